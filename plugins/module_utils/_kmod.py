# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure core of cni.ovs.ovs_kmod_swap: parse, plan and decide; no I/O here.

Paths handled by the planner are relative to the kernel release directory
``<modules_root>/<kernel_release>`` (for example ``weak-updates/openvswitch/openvswitch.ko``).
The module collects facts about the file tree, hands them to :func:`plan_upstream` or
:func:`check_nsx`, and applies the returned plan.
"""

from __future__ import annotations

import posixpath
import re
import struct

DEFAULT_MODULES = (
    'openvswitch.ko',
    'vport-geneve.ko',
    'vport-gre.ko',
    'vport-lisp.ko',
    'vport-stt.ko',
    'vport-vxlan.ko',
)
# Auto-detection order: RHEL family (kABI weak-updates), then Ubuntu (DKMS).
NSX_LOCATIONS = ('weak-updates/openvswitch', 'updates/dkms')
NSX_DIR = 'nsx'
USR_BACKUP_DIR = 'nsx/usr-ovs-kmod-backup'
INFO_FILE = 'nsx/usr-ovs-kmod-backup/INFO'
# Where version 1 of the module wrote its journal (inside nsx/, removed with it). The journal now lives
# outside nsx/ (see _kmod_exec.JOURNAL); this path is still read so a run of version 1 can be resumed.
JOURNAL_FILE = 'nsx/.cni-ovs-kmod-swap.journal'
JOURNAL_HEADER = '# cni.ovs.ovs_kmod_swap journal v1: upstream modules moved to these paths'

_MODULE_NAME_RE = re.compile(r'^[A-Za-z0-9_.+-]+\.ko(\.(xz|gz|zst))?$')
_RELEASE_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+~-]*$')
_MODINFO_KEY_RE = re.compile(r'^[a-z_][a-z0-9_.]*$')


class KmodError(Exception):
    """Bad input or a tree the planner refuses to touch; nothing was changed."""


# --------------------------------------------------------------------------- parsers

def _modinfo_strings(blob):
    info = {}
    for raw in blob.split(b'\0'):
        if b'=' not in raw:
            continue
        key, _sep, value = raw.partition(b'=')
        try:
            key_s = key.decode('ascii')
        except UnicodeDecodeError:
            continue
        if not _MODINFO_KEY_RE.match(key_s):
            continue
        info.setdefault(key_s, value.decode('utf-8', 'replace'))
    return info


def _elf_section(data, wanted):
    """Return the bytes of section ``wanted`` of an ELF file, None when absent or not ELF."""
    if len(data) < 52 or data[:4] != b'\x7fELF':
        return None
    ei_class, ei_data = data[4], data[5]
    if ei_class not in (1, 2) or ei_data not in (1, 2):
        return None
    end = '<' if ei_data == 1 else '>'
    try:
        if ei_class == 2:
            shoff, = struct.unpack_from(end + 'Q', data, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from(end + 'HHH', data, 0x3A)
            sh_fmt, off_idx, size_idx = end + 'IIQQQQIIQQ', 4, 5
        else:
            shoff, = struct.unpack_from(end + 'I', data, 0x20)
            shentsize, shnum, shstrndx = struct.unpack_from(end + 'HHH', data, 0x2E)
            sh_fmt, off_idx, size_idx = end + 'IIIIIIIIII', 4, 5
        if shentsize < struct.calcsize(sh_fmt) or shoff + shnum * shentsize > len(data):
            return None
        headers = []
        for i in range(shnum):
            headers.append(struct.unpack_from(sh_fmt, data, shoff + i * shentsize))
        if shstrndx >= len(headers):
            return None
        strtab = headers[shstrndx]
        names = data[strtab[off_idx]:strtab[off_idx] + strtab[size_idx]]
        for hdr in headers:
            name_end = names.find(b'\0', hdr[0])
            if names[hdr[0]:name_end] == wanted:
                return data[hdr[off_idx]:hdr[off_idx] + hdr[size_idx]]
    except (struct.error, OverflowError):
        return None
    return None


def parse_modinfo(data):
    """Return the modinfo key/value pairs (first value of each key) of a kernel module.

    ``data`` is the content of a ``.ko`` file. For an ELF object the ``.modinfo``
    section is read (what ``modinfo`` prints); for anything else the NUL-separated
    ``key=value`` strings found in the whole content are used. An ELF file without a
    readable ``.modinfo`` section and compressed modules (``.ko.xz`` and friends) yield
    an empty dict.
    """
    if not isinstance(data, bytes):
        raise TypeError('parse_modinfo expects bytes, got %s' % type(data).__name__)
    if data[:4] == b'\x7fELF':
        section = _elf_section(data, b'.modinfo')
        return _modinfo_strings(section) if section is not None else {}
    return _modinfo_strings(data)


def parse_modinfo_output(text):
    """Parse the text printed by ``modinfo FILE`` into a dict (first value of each key)."""
    info = {}
    last = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[:1].isspace() and last is not None:
            continue  # continuation line (signatures)
        key, sep, value = line.partition(':')
        if not sep:
            continue
        last = key.strip()
        info.setdefault(last, value.strip())
    return info


def parse_proc_modules(text):
    """Parse /proc/modules into {name: {'size': int, 'refcount': int, 'used_by': [..]}}."""
    result = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        used_by = [] if len(fields) < 4 or fields[3] == '-' else [u for u in fields[3].split(',') if u]
        try:
            result[fields[0]] = {'size': int(fields[1]), 'refcount': int(fields[2]), 'used_by': used_by}
        except ValueError:
            continue
    return result


def parse_modules_dep(text):
    """Return the module paths (left of the colon) listed in a modules.dep file."""
    paths = []
    for line in text.splitlines():
        head, sep, _rest = line.partition(':')
        if sep and head.strip():
            paths.append(head.strip())
    return paths


def _rebase(path, release, modules_roots):
    """Turn an INFO path into a normalised path relative to the release dir, or raise."""
    if path.startswith('/'):
        norm = posixpath.normpath(path)
        for root in modules_roots:
            prefix = posixpath.normpath(root).rstrip('/') + '/' + release + '/'
            if norm.startswith(prefix):
                return norm[len(prefix):]
        raise KmodError('is outside the module tree of kernel %s' % release)
    norm = posixpath.normpath(path)
    if norm in ('.', '') or norm == '..' or norm.startswith('../'):
        raise KmodError('is outside the module tree of kernel %s' % release)
    return norm


def parse_info(text, release, modules_root='/lib/modules'):
    """Parse nsx/usr-ovs-kmod-backup/INFO into {file name: destination relative to the release dir}.

    Format assumed by this collection (no published description of the file was found):
    one line per backed-up file, ``<file name> <original path>``, whitespace separated;
    ``#`` comments and blank lines are ignored; the original path is absolute
    (``/lib/modules/<release>/...``) or relative to the release directory.
    Raises KmodError naming the line when a line does not fit.
    """
    roots = ['/lib/modules', '/usr/lib/modules']
    if modules_root not in roots:
        roots.append(modules_root)
    entries = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        fields = stripped.split()
        if len(fields) != 2:
            raise KmodError('INFO line %d %r: expected "<file> <original path>"' % (number, stripped))
        name, dest = fields
        if '/' in name or name in ('.', '..'):
            raise KmodError('INFO line %d: file name %r must be a plain name' % (number, name))
        try:
            rel = _rebase(dest, release, roots)
        except KmodError as exc:
            raise KmodError('INFO line %d: original path %r %s' % (number, dest, exc))
        if rel == NSX_DIR or rel.startswith(NSX_DIR + '/'):
            raise KmodError('INFO line %d: original path %r lies inside nsx/, which is removed' % (number, dest))
        if name in entries and entries[name] != rel:
            raise KmodError('INFO line %d: %s is listed twice with different paths' % (number, name))
        entries[name] = rel
    return entries


def parse_journal(text):
    """Return the destination paths recorded in this module's journal file."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith('#')]


def render_journal(dests):
    return JOURNAL_HEADER + '\n' + ''.join(d + '\n' for d in dests)


# --------------------------------------------------------------------------- input checks

def _shown(value, limit=512):
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return '%r... (%d characters)' % (text[:limit], len(text))
    return repr(text)


def validate_modules(modules):
    if not modules:
        raise KmodError('modules must name at least one module file')
    bad = [m for m in modules if not _MODULE_NAME_RE.match(m)]
    if bad:
        raise KmodError('modules entries must be plain file names ending in .ko (or .ko.xz/.gz/.zst): %s'
                        % ', '.join(_shown(b) for b in bad[:10]))
    seen = set()
    dup = [m for m in modules if m in seen or seen.add(m)]
    if dup:
        raise KmodError('modules lists %s more than once' % ', '.join(_shown(d) for d in dup[:10]))


def validate_release(release):
    if not release or not _RELEASE_RE.match(release) or release in ('.', '..'):
        raise KmodError('kernel_release %r is not a kernel release name' % (release,))


def validate_location(location):
    """nsx_location must be a relative path inside the release dir, outside nsx/."""
    norm = posixpath.normpath(location or '')
    if (not location or location.startswith('/') or norm in ('.', '..') or norm.startswith('../')
            or norm == NSX_DIR or norm.startswith(NSX_DIR + '/')):
        raise KmodError('nsx_location %r must be a directory relative to the kernel release directory, '
                        'such as weak-updates/openvswitch or updates/dkms, and outside nsx/' % (location,))
    return norm


def depmod_base(modules_root):
    """Return the ``depmod -b`` base directory for modules_root, or None when it cannot be addressed.

    depmod looks for ``<base>/lib/modules/<release>``; ``/lib/modules`` gives ``/``.
    """
    norm = posixpath.normpath(modules_root)
    if norm == '/lib/modules':
        return '/'
    if norm.endswith('/lib/modules'):
        return norm[:-len('/lib/modules')] or '/'
    return None


# --------------------------------------------------------------------------- planning

def probe_paths(modules, locations, info):
    """Paths (relative to the release dir) whose facts plan_upstream needs besides the nsx/ listing."""
    paths = set()
    for loc in locations:
        for mod in modules:
            paths.add(posixpath.join(loc, mod))
    for dest in info.values():
        paths.add(dest)
    return sorted(paths)


def detect_location(modules, location, facts):
    """Return (location, note). ``location`` None means auto-detect among NSX_LOCATIONS."""
    if location:
        return location, 'nsx_location %s given' % location
    holding = [loc for loc in NSX_LOCATIONS if any(posixpath.join(loc, m) in facts for m in modules)]
    if len(holding) > 1:
        raise KmodError('module files found in both %s; set nsx_location to the one NSX-OVS installed into'
                        % ' and '.join(holding))
    if holding:
        return holding[0], 'detected: %s holds module files' % holding[0]
    existing = [loc for loc in NSX_LOCATIONS if facts.get(loc) == 'dir']
    if len(existing) == 1:
        return existing[0], 'detected: %s exists (no module files in it)' % existing[0]
    return None, 'no NSX location holds module files'


class Plan:
    """What state=upstream does to one release tree; every path is relative to the release dir."""

    def __init__(self):
        self.location = None
        self.location_note = ''
        self.nsx_installed = False
        self.archive = []        # files to put in the backup archive
        self.moves = []          # (src, dest): upstream files back to where they were
        self.removes = []        # NSX module files (and identical duplicates) to delete
        self.remove_dirs = []    # directories to delete recursively (nsx/)
        self.kept = []           # files at the NSX location left alone, with the reason
        self.journal = []        # destinations recorded before the first change
        self.before = []
        self.after = []
        self.notes = []

    @property
    def tree_changes(self):
        return bool(self.moves or self.removes or self.remove_dirs)


def plan_upstream(modules, location, nsx_listing, info, journal, facts, digests=None):
    """Decide how to switch one release tree from NSX-OVS to the upstream modules.

    modules      module file names (validated)
    location     nsx_location or None for auto-detection
    nsx_listing  None when nsx/ is absent, else every entry under it: {rel path: 'file'|'link'|'dir'}
    info         parse_info() result ({} without INFO)
    journal      parse_journal() result ([] without a journal)
    facts        {rel path: 'file'|'link'|'dir'} for the paths of probe_paths() and the NSX_LOCATIONS
                 directories that exist (absent paths are missing)
    digests      {rel path: sha256} for files that may be duplicates (src and occupied dest)
    """
    digests = digests or {}
    plan = Plan()
    plan.location, plan.location_note = detect_location(modules, location, facts)
    plan.nsx_installed = nsx_listing is not None
    nsx_listing = nsx_listing or {}
    present = set(p for p, kind in facts.items() if kind != 'dir')
    present.update(p for p, kind in nsx_listing.items() if kind != 'dir')
    relevant = set(p for p in present)
    plan.before = sorted(relevant)

    if not plan.nsx_installed:
        if plan.location:
            for mod in modules:
                path = posixpath.join(plan.location, mod)
                if path in present:
                    plan.kept.append({'path': path,
                                      'reason': 'nsx/ is absent, so this is not an NSX-OVS installation '
                                                '(already switched, or an upstream/DKMS module)'})
        plan.after = plan.before
        return plan

    journal_set = set(journal)
    moved_to = set()
    for mod in modules:
        src = posixpath.join(USR_BACKUP_DIR, mod)
        if src not in present:
            continue
        if plan.location is None and mod not in info:
            raise KmodError('%s has no original path in INFO and no NSX location was found to move it to; '
                            'set nsx_location' % src)
        dest = info.get(mod) or posixpath.join(plan.location, mod)
        nsx_copy = plan.location and dest == posixpath.join(plan.location, mod)
        if dest in present and not nsx_copy and dest not in journal_set:
            if digests.get(src) is not None and digests.get(src) == digests.get(dest):
                plan.notes.append('%s already holds the same content as %s; the backup copy goes with nsx/' % (dest, src))
                continue
            raise KmodError('%s would be moved to %s, which already holds a different file; move one of them '
                            'away or fix INFO' % (src, dest))
        plan.moves.append((src, dest))
        moved_to.add(dest)

    if plan.location:
        for mod in modules:
            path = posixpath.join(plan.location, mod)
            if path not in present or path in moved_to:
                continue
            if path in journal_set:
                plan.kept.append({'path': path, 'reason': 'upstream module already moved back by an earlier run (journal)'})
                continue
            if info.get(mod) == path and posixpath.join(USR_BACKUP_DIR, mod) not in present:
                plan.kept.append({'path': path, 'reason': 'INFO names it as the original place of the upstream module, '
                                                          'and the backup copy is gone: already moved back'})
                continue
            plan.removes.append(path)

    replaced = [dest for _src, dest in plan.moves if dest in present]
    nsx_files = [p for p, kind in nsx_listing.items() if kind != 'dir' and p != JOURNAL_FILE]
    plan.archive = sorted(set(plan.removes + replaced + nsx_files))
    plan.remove_dirs = [NSX_DIR]
    plan.journal = sorted(set(journal_set | moved_to))

    after = set(relevant)
    for src, dest in plan.moves:
        after.discard(src)
        after.add(dest)
    after.difference_update(plan.removes)
    after = set(p for p in after if not (p == NSX_DIR or p.startswith(NSX_DIR + '/')))
    plan.after = sorted(after)
    return plan


def depmod_stale(dep_paths, existing, dep_mtime, ctimes):
    """Decide whether modules.dep needs a depmod run although no file moves are planned.

    dep_paths  entries of modules.dep for our module names (None when modules.dep is missing)
    existing   set of those entries that exist
    dep_mtime  mtime of modules.dep (None when missing)
    ctimes     ctimes of the module files and directories this module handles
    Returns a reason string, or None when modules.dep is up to date.
    """
    if dep_paths is None or dep_mtime is None:
        return 'modules.dep is missing'
    gone = [p for p in dep_paths if p not in existing]
    if gone:
        return 'modules.dep lists missing files: %s' % ', '.join(sorted(gone))
    newer = [c for c in ctimes if c > dep_mtime]
    if newer:
        return 'module files changed after modules.dep was written'
    return None


def module_names(modules):
    """Kernel module names (as in /proc/modules) for module file names."""
    names = []
    for mod in modules:
        base = mod.split('.ko', 1)[0]
        names.append(base.replace('-', '_'))
    return names


def unload_order(modules, loaded):
    """Loaded module names among ours, dependants first (openvswitch last)."""
    names = [n for n in module_names(modules) if n in loaded]
    return sorted(names, key=lambda n: (n == 'openvswitch', n))


def modprobe_skip_reason(want, has_proc_modules, release, running_release, modules_root):
    """Why modprobe must not run (None when it may)."""
    if not want:
        return 'modprobe=false'
    if not has_proc_modules:
        return 'the running kernel has no loadable module support (/proc/modules is absent)'
    if release != running_release:
        return ('kernel_release %s is not the running kernel %s; its modules load when it boots'
                % (release, running_release))
    if posixpath.normpath(modules_root) != '/lib/modules':
        return 'modules_root %s is not /lib/modules, which is where modprobe loads modules from' % modules_root
    return None


NOT_DONE_UPSTREAM = [
    'does not upgrade the kernel or reboot the node (the nsx_kmod_switch role does, or you do)',
    'does not change the nsx-node-agent ConfigMap (use_nsx_ovs_kernel_module) or DaemonSet tolerations',
    'does not install upstream OVS kernel modules; it only puts back the ones nsx/usr-ovs-kmod-backup kept '
    '(otherwise the kernel\'s own net/openvswitch modules are used)',
]

NOT_DONE_NSX = [
    'does not install NSX-OVS kernel modules: the nsx-ncp-bootstrap init container does that on its next start '
    'when use_nsx_ovs_kernel_module = True (it also moves the upstream files into nsx/usr-ovs-kmod-backup)',
    'does not downgrade the kernel or reboot the node',
    'does not change the nsx-node-agent ConfigMap or DaemonSet tolerations',
    'does not restore a backup archive written by state=upstream; extract it yourself '
    '(tar -xzf ARCHIVE -C <modules_root>/<release>) if you want those exact files back',
]


def check_nsx(modules, location, nsx_listing, journal_present, facts, usr_backup_present):
    """Verify a release tree before switching back to NSX-OVS.

    Returns {'ready': bool, 'problems': [...], 'state': str, 'location': ..., 'upstream_files': [...],
    'nsx_files': [...]}.
    """
    problems = []
    loc, _note = detect_location(modules, location, facts)
    files_at_loc = [posixpath.join(loc, m) for m in modules if loc and posixpath.join(loc, m) in facts]
    if journal_present:
        problems.append('an earlier state=upstream run did not finish (%s exists); run state=upstream again to '
                        'finish it before switching back' % JOURNAL_FILE)
    if nsx_listing is not None:
        state = 'nsx'
        nsx_files, upstream_files = files_at_loc, []
        if not files_at_loc:
            if usr_backup_present:
                problems.append('nsx/ and its usr-ovs-kmod-backup exist but no NSX-OVS module file is in the NSX '
                                'location: a half-finished switch; run state=upstream to finish it first')
            else:
                state = 'nsx-incomplete'
    else:
        state = 'upstream'
        nsx_files, upstream_files = [], files_at_loc
    return {
        'ready': not problems,
        'problems': problems,
        'state': state,
        'location': loc,
        'nsx_files': nsx_files,
        'upstream_files': upstream_files,
    }
