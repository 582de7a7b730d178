# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Execution core of cni.ovs.ovs_kmod_swap: facts, checks and the journaled switch of one release tree.

The pure planning lives in ``_kmod``; this core gathers the facts through an injected
filesystem object (:class:`FileOps`), checks every input before any change, and runs the
plan as a sequence of journaled steps. External commands go through the injected ``run``
callable (argv list -> ``(rc, out, err)``). After every step it calls ``checkpoint(label)``,
so the fault-injection layer can stop the run at each step boundary and check that a re-run
converges.

Journal: ``<release dir>/.cni-ovs-kmod-swap.journal`` (JSON), outside ``nsx/`` and outside the
NSX location, so nothing the switch removes takes it along. It is written before the first
change to the tree, records the paths the upstream modules are restored to and the archives
written, and is removed as the very last step. A run that finds it continues the switch and
never removes a path it lists.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import posixpath
import stat
import tarfile
import zlib

from ansible_collections.cni.ovs.plugins.module_utils._atomic import fsync_dir, write_atomic
from ansible_collections.cni.ovs.plugins.module_utils._kmod import (
    INFO_FILE, JOURNAL_FILE, NOT_DONE_NSX, NOT_DONE_UPSTREAM, NSX_DIR, NSX_LOCATIONS, USR_BACKUP_DIR,
    KmodError, check_nsx, depmod_base, depmod_stale, modprobe_skip_reason, parse_info, parse_journal,
    parse_modinfo, parse_modules_dep, parse_proc_modules, plan_upstream, probe_paths, unload_order,
    validate_location, validate_modules, validate_release,
)

# The journal of this version, relative to the release directory (outside everything removed).
JOURNAL = '.cni-ovs-kmod-swap.journal'
# Where version 1 kept it (inside nsx/); still read, so a run started by an older version resumes.
LEGACY_JOURNAL = JOURNAL_FILE
JOURNAL_FORMAT = 'cni.ovs.ovs_kmod_swap journal'
JOURNAL_VERSION = 2

# Kinds of checkpoint labels, in execution order (a label is '<kind>' or '<kind> <path>').
STEP_KINDS = ('start', 'archive', 'journal', 'unload', 'move', 'remove', 'rmtree', 'depmod', 'load', 'journal-cleared')


def shown(value, limit=512):
    """A value for an error message: quoted, cut at ``limit`` characters (with the full length)."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return '%r... (%d characters)' % (text[:limit], len(text))
    return repr(text)


def _inside(path, top):
    return path == top or path.startswith(top.rstrip('/') + '/')


class StepError(Exception):
    """One execution step failed (an OSError or a failing command)."""

    def __init__(self, step, path, cause):
        super(StepError, self).__init__('%s %s: %s' % (step, path, cause))
        self.step, self.path, self.cause = step, path, cause


class SwitchFailed(Exception):
    """Execution stopped midway; ``result`` says what was done (``changed`` is true only when something was)."""

    def __init__(self, msg, result):
        super(SwitchFailed, self).__init__(msg)
        self.msg, self.result = msg, result


class ArchiveMismatch(Exception):
    """The backup archive read back is not what was written (a member missing, extra or different)."""


# What reading back a damaged archive can raise (a truncated gzip stream gives EOFError or zlib.error).
ARCHIVE_READ_ERRORS = (OSError, tarfile.TarError, EOFError, zlib.error, ArchiveMismatch)


class FileOps:
    """The filesystem operations the core uses. Tests may wrap or replace them."""

    def kind(self, path):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        if stat.S_ISLNK(st.st_mode):
            return 'link'
        if stat.S_ISDIR(st.st_mode):
            return 'dir'
        return 'file'

    def isdir(self, path):
        return os.path.isdir(path)

    def exists(self, path):
        return os.path.exists(path)

    def realpath(self, path):
        return os.path.realpath(path)

    def readable_dir(self, path):
        return os.access(path, os.R_OK | os.X_OK)

    def read_bytes(self, path):
        with open(path, 'rb') as f:
            return f.read()

    def mtime(self, path):
        return os.stat(path).st_mtime

    def ctime(self, path):
        return os.lstat(path).st_ctime

    def digest(self, path):
        h = hashlib.sha256()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 16), b''):
                h.update(chunk)
        return h.hexdigest()

    def walk(self, top):
        """[(path, kind)] of everything under top, without following symbolic links."""
        found = []
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                full = os.path.join(dirpath, name)
                found.append((full, self.kind(full)))
        return found

    def makedirs(self, path, mode):
        os.makedirs(path, mode)

    def sync_dir(self, path):
        """fsync a directory, so a new entry in it survives a power loss (``_atomic.fsync_dir``)."""
        fsync_dir(path)

    def replace(self, src, dest):
        os.replace(src, dest)

    def unlink(self, path):
        os.unlink(path)

    def rmdir(self, path):
        os.rmdir(path)

    def write_atomic(self, path, data, mode=0o600):
        """Replace ``path`` with ``data`` (bytes) through the one atomic writer (``_atomic.write_atomic``)."""
        write_atomic(path, data, mode=mode)

    def write_archive(self, path, members):
        """Write a tar.gz at path (mode 0600) of members [(absolute path, member name)], atomically.

        A symbolic link is archived with the content of the file it points to (a regular member).
        """
        def fill(raw):
            with tarfile.open(fileobj=raw, mode='w:gz') as tar:
                for full, name in members:
                    info = tar.gettarinfo(full, arcname=name)
                    if info.issym():
                        real = tar.gettarinfo(os.path.realpath(full), arcname=name)
                        with open(full, 'rb') as f:
                            tar.addfile(real, f)
                    elif info.isfile():
                        with open(full, 'rb') as f:
                            tar.addfile(info, f)
                    else:
                        tar.addfile(info)
        write_atomic(path, mode=0o600, writer=fill)

    def verify_archive(self, path, members):
        """Read the archive at path back and compare it with members [(absolute path, member name)].

        Every member must be there exactly once, nothing else, and each regular file (or the file a
        symbolic link points to) must have the same sha256 as the archived member. Raises
        ArchiveMismatch or what reading a damaged archive raises (OSError, TarError, EOFError, zlib.error).
        """
        expected = dict((name, full) for full, name in members)
        seen = set()
        with tarfile.open(path, mode='r:gz') as tar:
            for member in tar:
                if member.name in seen or member.name not in expected:
                    why = 'twice in it' if member.name in seen else 'not one of the archived files'
                    raise ArchiveMismatch('member %s is %s' % (member.name, why))
                seen.add(member.name)
                full = expected[member.name]
                if member.isfile():
                    data = tar.extractfile(member)
                    h = hashlib.sha256()
                    for chunk in iter(lambda: data.read(1 << 16), b''):
                        h.update(chunk)
                    if h.hexdigest() != self.digest(full):
                        raise ArchiveMismatch('member %s differs from %s' % (member.name, full))
                elif os.path.isfile(full):
                    raise ArchiveMismatch('member %s is not a regular file, %s is' % (member.name, full))
        missing = sorted(set(expected) - seen)
        if missing:
            raise ArchiveMismatch('%d of %d files missing (%s)' % (len(missing), len(expected), ', '.join(missing[:5])))


def render_journal(release, restored, archives, unloaded, info=None):
    return json.dumps({'format': JOURNAL_FORMAT, 'version': JOURNAL_VERSION, 'kernel_release': release,
                       'restored': sorted(set(restored)), 'archives': list(archives),
                       'unloaded': list(unloaded), 'info': dict(info or {})}, indent=1, sort_keys=True) + '\n'


def parse_journal_v2(text, release, where):
    """Return {'restored': [...], 'archives': [...], 'unloaded': [...], 'info': {...}} or raise KmodError naming ``where``."""
    damaged = ('the journal %s is damaged (%%s): it records which upstream modules an earlier run restored, so '
               'the module cannot tell them from NSX-OVS files. Inspect the tree; remove the journal only if the files '
               'at the NSX location are the ones you want treated as NSX-OVS files' % where)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise KmodError(damaged % ('not valid JSON: %s' % exc))
    if not isinstance(data, dict) or data.get('format') != JOURNAL_FORMAT or data.get('version') != JOURNAL_VERSION:
        raise KmodError(damaged % 'unknown format')
    if data.get('kernel_release') != release:
        raise KmodError(damaged % ('written for kernel %s' % shown(data.get('kernel_release'))))
    out = {}
    for key in ('restored', 'archives', 'unloaded'):
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v and '\0' not in v for v in value):
            raise KmodError(damaged % ('%s is not a list of paths' % key))
        out[key] = value
    info = data.get('info', {})
    if not isinstance(info, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in info.items()):
        raise KmodError(damaged % 'info is not a mapping of file names to paths')
    out['info'] = info
    for rel in out['restored'] + list(info.values()):
        norm = posixpath.normpath(rel)
        if rel.startswith('/') or norm != rel or norm == '..' or norm.startswith('../'):
            raise KmodError(damaged % ('restored path %s is not inside the release directory' % shown(rel)))
    return out


class KmodSwitch:
    """One run of ovs_kmod_swap on one release tree.

    params       the module parameters (kernel_release None means running_release)
    fs           FileOps (or a replacement)
    run          argv -> (rc, out, err)
    which        command name -> absolute path or None
    checkpoint   label -> None, called after every step (fault injection)
    """

    def __init__(self, params, fs=None, run=None, which=None, checkpoint=None, proc_modules='/proc/modules',
                 running_release=None, check_mode=False, diff=False, now=None):
        self.p = params
        self.fs = fs or FileOps()
        self.runner = run
        self.which = which or (lambda name: None)
        self.checkpoint = checkpoint or (lambda label: None)
        self.proc_modules = proc_modules
        self.running_release = running_release or os.uname()[2]
        self.check_mode = check_mode
        self.diff = diff
        self.now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self.state = params['state']
        given = params.get('kernel_release')
        self.release = self.running_release if given is None else given
        self.release_given = given is not None
        self.modules_root = params['modules_root']
        self.modules = list(params['modules'] or [])
        self.rel_dir = os.path.join(self.modules_root or '', self.release if isinstance(self.release, str) else '')
        self.location = None
        self.skipped = []
        self.warnings = []
        self.done = []
        self.changed = False
        self.tree_changed = False

    # ------------------------------------------------------------------ helpers
    def abs(self, rel):
        return os.path.join(self.rel_dir, rel)

    def skip(self, action, reason):
        self.skipped.append({'action': action, 'reason': reason})

    def step(self, label):
        if label not in ('start', 'archive'):
            self.tree_changed = True
        self.checkpoint(label)

    # ------------------------------------------------------------------ input checks (before any change)
    def prepare(self):
        p = self.p
        if self.release_given and self.release == '':
            raise KmodError("kernel_release '' is empty; omit kernel_release to use the running kernel (%s)"
                            % self.running_release)
        if not isinstance(self.release, str) or len(self.release) > 200:
            raise KmodError('kernel_release %s is not a kernel release name' % shown(self.release))
        try:
            validate_release(self.release)
        except KmodError:
            raise KmodError('kernel_release %s is not a kernel release name: use letters, digits and . _ + ~ -, '
                            'starting with a letter or digit' % shown(self.release))
        validate_modules(self.modules)
        root = self.modules_root
        if not root or '\0' in root:
            raise KmodError('modules_root %s is not a directory path' % shown(root))
        if not root.startswith('/'):
            raise KmodError('modules_root %s must be an absolute path' % shown(root))
        if not self.fs.exists(root):
            raise KmodError('modules_root %s does not exist' % shown(root))
        if not self.fs.isdir(root):
            raise KmodError('modules_root %s is not a directory' % shown(root))
        if not self.fs.readable_dir(root):
            raise KmodError('modules_root %s is not readable' % shown(root))
        if p.get('nsx_location') is not None:
            if not isinstance(p['nsx_location'], str) or '\0' in p['nsx_location']:
                raise KmodError('nsx_location %s must be a relative directory path' % shown(p['nsx_location']))
            try:
                self.location = validate_location(p['nsx_location'])
            except KmodError:
                raise KmodError('nsx_location %s must be a directory relative to the kernel release directory, such as '
                                'weak-updates/openvswitch or updates/dkms, and outside nsx/' % shown(p['nsx_location']))
        if self.fs.kind(self.rel_dir) is None or not self.fs.isdir(self.rel_dir):
            raise KmodError('%s is not a directory: kernel_release %s has no module tree under modules_root %s'
                            % (self.rel_dir, shown(self.release), shown(root)))
        self.real_root = self.fs.realpath(root)
        self.real_rel = self.fs.realpath(self.rel_dir)
        if not _inside(self.real_rel, self.real_root) or self.real_rel == self.real_root:
            raise KmodError('kernel_release %s: the release directory %s resolves to %s, outside modules_root %s'
                            % (shown(self.release), self.rel_dir, self.real_rel, shown(root)))
        for rel in (NSX_DIR, USR_BACKUP_DIR):
            if self.fs.kind(self.abs(rel)) == 'link':
                raise KmodError('%s is a symbolic link; an NSX-OVS installation keeps a real directory there, '
                                'refusing to follow it' % self.abs(rel))
        if self.fs.kind(self.abs(NSX_DIR)) not in (None, 'dir'):
            raise KmodError('%s exists but is not a directory' % self.abs(NSX_DIR))
        if self.state == 'upstream' and p.get('backup'):
            self.check_backup_dir(p.get('backup_dir'))

    def check_backup_dir(self, backup_dir):
        if not backup_dir or not isinstance(backup_dir, str) or '\0' in backup_dir:
            raise KmodError('backup_dir %s is not a directory path' % shown(backup_dir))
        if not backup_dir.startswith('/'):
            raise KmodError('backup_dir %s must be an absolute path' % shown(backup_dir))
        real = self.fs.realpath(backup_dir)
        if _inside(real, self.real_rel):
            raise KmodError('backup_dir %s lies inside the release directory %s (resolved: %s), whose files this '
                            'module removes: choose a backup_dir outside %s'
                            % (shown(backup_dir), self.rel_dir, real, self.rel_dir))
        probe = backup_dir
        while not self.fs.exists(probe):
            if self.fs.kind(probe) == 'link':
                raise KmodError('backup_dir %s: %s is a dangling symbolic link' % (shown(backup_dir), probe))
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
        if not self.fs.isdir(probe):
            raise KmodError('backup_dir %s cannot be created: %s is not a directory' % (shown(backup_dir), probe))

    def check_inside(self, rels, what):
        """Refuse when a path the plan touches resolves (through a symbolic link) outside the release directory."""
        for rel in rels:
            parent = self.fs.realpath(os.path.dirname(self.abs(rel)))
            if not _inside(parent, self.real_rel):
                raise KmodError('%s %s lies under a symbolic link: %s resolves to %s, outside the release directory %s'
                                % (what, rel, os.path.dirname(self.abs(rel)), parent, self.real_rel))

    # ------------------------------------------------------------------ facts
    def nsx_listing(self):
        top = self.abs(NSX_DIR)
        if self.fs.kind(top) is None:
            return None
        return dict((os.path.relpath(full, self.rel_dir), kind) for full, kind in self.fs.walk(top))

    def read_text(self, rel):
        path = self.abs(rel)
        if self.fs.kind(path) != 'file':
            return None
        return self.fs.read_bytes(path).decode('utf-8', 'replace')

    def locations(self):
        return [self.location] if self.location else list(NSX_LOCATIONS)

    def facts(self, info):
        facts = {}
        for rel in list(probe_paths(self.modules, self.locations(), info)) + list(self.locations()):
            kind = self.fs.kind(self.abs(rel))
            if kind is not None:
                facts[rel] = kind
        return facts

    def modinfo_of(self, rels):
        found = {}
        for rel in rels:
            if not any(rel.endswith('/' + m) for m in self.modules):
                continue
            try:
                info = parse_modinfo(self.fs.read_bytes(self.abs(rel)))
            except OSError as exc:
                info = {'error': str(exc)}
            found[rel] = dict((k, info.get(k)) for k in ('version', 'vermagic', 'name', 'error') if info.get(k))
        return found

    def read_journal(self):
        """Return (journal dict, pending) from the journal file(s); raise KmodError when one is unusable."""
        journal = {'restored': [], 'archives': [], 'unloaded': [], 'info': {}}
        pending = False
        path = self.abs(JOURNAL)
        kind = self.fs.kind(path)
        if kind == 'link' or kind == 'dir':
            raise KmodError('the journal %s is a %s, not a file this module wrote; refusing to follow it. Inspect the '
                            'tree and remove it' % (path, 'symbolic link' if kind == 'link' else 'directory'))
        if kind == 'file':
            journal = parse_journal_v2(self.fs.read_bytes(path).decode('utf-8', 'replace'), self.release, path)
            pending = True
        legacy = self.abs(LEGACY_JOURNAL)
        kind = self.fs.kind(legacy)
        if kind == 'link':
            raise KmodError('the journal %s is a symbolic link; refusing to follow it' % legacy)
        if kind == 'file':
            journal['restored'] = sorted(set(journal['restored']) | set(
                parse_journal(self.fs.read_bytes(legacy).decode('utf-8', 'replace'))))
            pending = True
        return journal, pending

    # ------------------------------------------------------------------ depmod / modprobe
    def depmod_argv(self, tree_changes):
        if not self.p['depmod']:
            self.skip('depmod', 'depmod=false')
            return None
        base = depmod_base(self.modules_root)
        if base is None:
            self.skip('depmod', 'modules_root %s does not end in lib/modules, so depmod -b cannot address it'
                      % self.modules_root)
            return None
        binary = self.which('depmod')
        if not binary:
            self.skip('depmod', 'the depmod command is not installed (package kmod); run depmod %s after installing it'
                      % self.release)
            return None
        if not tree_changes:
            reason = self.depmod_reason()
            if reason is None:
                return None
            self.done.append('modules.dep stale: %s' % reason)
        return [binary, '-b', base, '--', self.release]

    def depmod_reason(self):
        dep_path = self.abs('modules.dep')
        if self.fs.kind(dep_path) is None:
            return depmod_stale(None, set(), None, [])
        text = self.fs.read_bytes(dep_path).decode('utf-8', 'replace')
        dep_mtime = self.fs.mtime(dep_path)
        ours = [p for p in parse_modules_dep(text) if os.path.basename(p) in self.modules]
        existing = set(p for p in ours if self.fs.kind(self.abs(p)) is not None)
        ctimes = []
        for rel in self.locations() + [os.path.join(loc, m) for loc in self.locations() for m in self.modules]:
            if self.fs.kind(self.abs(rel)) is not None:
                ctimes.append(self.fs.ctime(self.abs(rel)))
        return depmod_stale(ours, existing, dep_mtime, ctimes)

    def modprobe_plan(self, tree_changes):
        if not tree_changes:
            return None
        reason = modprobe_skip_reason(self.p['modprobe'], self.fs.exists(self.proc_modules), self.release,
                                      self.running_release, self.modules_root)
        if reason:
            self.skip('modprobe', reason)
            return None
        binary = self.which('modprobe')
        if not binary:
            self.skip('modprobe', 'the modprobe command is not installed (package kmod)')
            return None
        loaded = parse_proc_modules(self.fs.read_bytes(self.proc_modules).decode('utf-8', 'replace'))
        names = unload_order(self.modules, loaded)
        if not names:
            self.skip('modprobe', 'none of the modules is loaded')
            return None
        return binary, names

    def command(self, argv, what):
        rc, out, err = self.runner(argv)
        if rc != 0:
            raise StepError('running', ' '.join(argv), 'rc=%d %s' % (rc, (err or out).strip()))
        return out

    # ------------------------------------------------------------------ results
    def result_base(self):
        return {
            'kernel_release': self.release,
            'release_dir': self.rel_dir,
            'removed': [], 'moved': [], 'removed_dirs': [], 'kept': [], 'archived': [],
            'backup_path': None, 'depmod': None, 'skipped_actions': self.skipped,
            'journal': self.abs(JOURNAL), 'resumed': False, 'earlier_backup_paths': [],
        }

    def run(self):
        self.prepare()
        return self.run_upstream() if self.state == 'upstream' else self.run_nsx()

    # ------------------------------------------------------------------ state=nsx
    def run_nsx(self):
        listing = self.nsx_listing()
        _journal, pending = self.read_journal()
        facts = self.facts({})
        verdict = check_nsx(self.modules, self.location, listing, pending, facts,
                            self.fs.kind(self.abs(USR_BACKUP_DIR)) == 'dir')
        problems = [prob.replace(JOURNAL_FILE, JOURNAL) for prob in verdict['problems']]
        result = self.result_base()
        result.update(nsx_location=verdict['location'], nsx_location_note='', not_done=NOT_DONE_NSX,
                      ready=not problems, problems=problems, tree_state=verdict['state'],
                      modules_found=self.modinfo_of(sorted(p for p, k in facts.items() if k != 'dir')), changed=False)
        self.skip('modprobe', 'state=nsx loads nothing: NSX-OVS modules are installed and loaded by the NSX containers')
        if problems:
            raise SwitchFailed('kernel %s is not ready for switching back to NSX-OVS: %s. Nothing was changed.'
                               % (self.release, '; '.join(problems)), result)
        argv = self.depmod_argv(False)
        result['changed'] = argv is not None
        result['depmod'] = argv
        if argv and not self.check_mode:
            ran = False
            try:
                self.step('start')
                self.command(argv, 'depmod')
                ran = True
                self.step('depmod')
            except (StepError, OSError) as exc:
                result['changed'] = ran
                raise SwitchFailed('ovs_kmod_swap stopped while %s. The module files of %s were not changed; modules.dep '
                                   '%s. Fix the cause and run again.' % (
                                       exc, self.rel_dir, 'was rebuilt' if ran else 'may be stale'), result)
        return result

    # ------------------------------------------------------------------ state=upstream
    def plan(self):
        """Gather the facts and return (plan, info, journal, pending)."""
        info = {}
        journal, pending = self.read_journal()
        if self.p['use_info']:
            text = self.read_text(INFO_FILE)
            if text is not None:
                info = parse_info(text, self.release, self.modules_root)
            elif journal['info']:
                # INFO went with part of nsx/ in an interrupted run: the journal kept what it said
                info = dict(journal['info'])
        listing = self.nsx_listing()
        facts = self.facts(info)
        digests = {}
        for mod in self.modules:
            src = os.path.join(USR_BACKUP_DIR, mod)
            if listing and listing.get(src) in ('file', 'link') and self.fs.exists(self.abs(src)):
                digests[src] = self.fs.digest(self.abs(src))
                dest = info.get(mod)
                if dest and facts.get(dest) in ('file', 'link') and self.fs.exists(self.abs(dest)):
                    digests[dest] = self.fs.digest(self.abs(dest))
        listing_for_plan = None
        if listing is not None:
            listing_for_plan = dict((k, v) for k, v in listing.items() if k != LEGACY_JOURNAL)
        plan = plan_upstream(self.modules, self.location, listing_for_plan, info, journal['restored'], facts, digests)
        return plan, info, journal, pending

    def check_plan(self, plan):
        """Checks of the planned paths that need the filesystem; raise KmodError before any change."""
        if plan.location:
            loc_abs = self.abs(plan.location)
            if self.fs.kind(loc_abs) is not None:
                real = self.fs.realpath(loc_abs)
                if not _inside(real, self.real_rel):
                    raise KmodError('nsx_location %s: %s resolves to %s, outside the release directory %s; refusing to '
                                    'follow the symbolic link' % (shown(plan.location), loc_abs, real, self.real_rel))
        self.check_inside([d for _s, d in plan.moves] + [s for s, _d in plan.moves] + plan.removes, 'path')
        for rel in sorted(set(d for _s, d in plan.moves) | set(s for s, _d in plan.moves) | set(plan.removes)):
            kind = self.fs.kind(self.abs(rel))
            if kind == 'dir':
                raise KmodError('%s is a directory, not a module file; move it away first' % self.abs(rel))
        if self.p['backup']:
            for rel in plan.archive:
                full = self.abs(rel)
                if self.fs.kind(full) == 'link' and not self.fs.exists(full):
                    raise KmodError('%s is a symbolic link to a missing file, so its content cannot be archived; remove '
                                    'it or run with backup=false' % full)

    def run_upstream(self):
        p = self.p
        plan, info, journal, pending = self.plan()
        self.location = plan.location
        self.check_plan(plan)

        result = self.result_base()
        result.update(
            nsx_location=plan.location, nsx_location_note=plan.location_note, not_done=NOT_DONE_UPSTREAM,
            kept=plan.kept, archived=list(plan.archive),
            removed=[self.abs(r) for r in plan.removes],
            moved=[{'src': self.abs(s), 'dest': self.abs(d)} for s, d in plan.moves],
            removed_dirs=[self.abs(d) for d in plan.remove_dirs],
            modules_found=self.modinfo_of(plan.before),
            resumed=pending, earlier_backup_paths=list(journal['archives']),
        )
        if not plan.nsx_installed:
            self.done.append('nsx/ absent: no NSX-OVS installation in %s' % self.rel_dir)
        backup_path = None
        if plan.archive:
            if p['backup']:
                stamp = self.now().strftime('%Y%m%dT%H%M%S%fZ')
                backup_path = os.path.join(p['backup_dir'], 'nsx-ovs-kmod-%s-%s.tar.gz' % (self.release, stamp))
            else:
                self.skip('backup', 'backup=false: the removed files are not archived')
                result['archived'] = []
        result['backup_path'] = backup_path
        modprobe = self.modprobe_plan(plan.tree_changes)
        depmod_argv = self.depmod_argv(plan.tree_changes or pending)
        result['changed'] = bool(plan.tree_changes or depmod_argv is not None or pending)
        if self.diff:
            result['diff'] = {
                'before_header': self.rel_dir, 'after_header': self.rel_dir,
                'before': ''.join(x + '\n' for x in plan.before),
                'after': ''.join(x + '\n' for x in plan.after),
            }
        if self.check_mode:
            result['depmod'] = depmod_argv
            if modprobe:
                result['modprobe_unload'] = modprobe[1]
            return result
        result['changed'] = False
        try:
            self.execute(plan, info, journal, pending, backup_path, modprobe, depmod_argv, result)
        except (StepError, OSError, tarfile.TarError) as exc:
            result['changed'] = self.changed
            raise SwitchFailed(self.failure_message(exc, backup_path, journal), result)
        return result

    def failure_message(self, exc, backup_path, journal):
        if not self.changed:
            archive = ''
            if isinstance(exc, StepError) and 'backup archive' in exc.step:
                archive = (' The archive of the files to be removed is written and read back before any of that: free '
                           'space in backup_dir %s, make it writable, or choose another backup_dir.'
                           % os.path.dirname(exc.path))
            return ('ovs_kmod_swap stopped while %s. Nothing was changed: no kernel module was unloaded (modprobe -r did '
                    'not run) and no file was moved or removed (the module tree %s is as it was).%s Fix the cause '
                    'and run the module again with the same arguments.' % (exc, self.rel_dir, archive))
        archives = list(journal['archives'])
        if backup_path and any(d.startswith('archived') for d in self.done) and backup_path not in archives:
            archives.append(backup_path)
        if self.fs.kind(self.abs(JOURNAL)) == 'file':
            state = ('The tree %s is half switched; everything else in it was left as it was. The journal %s records '
                     'the switch in progress.' % (self.rel_dir, self.abs(JOURNAL)))
        elif self.tree_changed:
            state = 'The files of the tree %s are switched.' % self.rel_dir
        else:
            state = 'The module tree %s was not changed.' % self.rel_dir
        return ('ovs_kmod_swap stopped while %s. Done before the failure: %s. %s%s Fix the cause and run the module '
                'again with the same arguments: it continues from the current tree.' % (
                    exc, '; '.join(self.done) or 'nothing', state,
                    (' The removed files are archived in %s.' % ', '.join(archives)) if archives else ''))

    def execute(self, plan, info, journal, pending, backup_path, modprobe, depmod_argv, result):
        """The journaled steps. ``self.changed`` turns true with the first change anywhere."""
        self.step('start')
        archives = list(journal['archives'])
        if backup_path:
            # Archive first, always: the archive is written (fsync'ed file and directory), read back and
            # compared with the files before the journal, before modprobe -r and before any file moves.
            self.write_verified_archive(backup_path, [(self.abs(rel), rel) for rel in plan.archive], result)
            self.changed = True
            archives.append(backup_path)
            self.done.append('archived %d files in %s' % (len(plan.archive), backup_path))
            self.step('archive')
        unloaded = list(journal['unloaded'])
        restored = sorted(set(journal['restored']) | set(d for _s, d in plan.moves))
        if plan.tree_changes or pending:
            self.write_journal(restored, archives, unloaded, info)
            self.step('journal')
        unloaded_now = []
        if modprobe:
            rc, _out, err = self.runner([modprobe[0], '-r', '--'] + modprobe[1])
            if rc == 0:
                unloaded_now = list(modprobe[1])
                unloaded = sorted(set(unloaded) | set(modprobe[1]))
                self.changed = True
                self.done.append('unloaded %s' % ', '.join(modprobe[1]))
                self.write_journal(restored, archives, unloaded, info)
            else:
                self.warnings.append('modprobe -r %s failed (%s); the loaded modules stay until the reboot'
                                     % (' '.join(modprobe[1]), err.strip()))
            self.step('unload')
        for src, dest in plan.moves:
            self.move(src, dest)
            self.changed = True
            self.done.append('moved %s to %s' % (src, dest))
            self.step('move %s' % dest)
        for rel in plan.removes:
            self.remove(rel)
            self.changed = True
            self.done.append('removed %s' % rel)
            self.step('remove %s' % rel)
        for rel in plan.remove_dirs:
            self.remove_tree(rel)
            self.done.append('removed %s/' % rel)
        if depmod_argv:
            self.command(depmod_argv, 'depmod')
            self.changed = True
            result['depmod'] = depmod_argv
            self.done.append('depmod ran')
            self.step('depmod')
        if 'openvswitch' in unloaded and modprobe:
            rc, _out, err = self.runner([modprobe[0], '--', 'openvswitch'])
            if rc != 0:
                self.warnings.append('modprobe openvswitch failed (%s); load it after fixing the cause' % err.strip())
            else:
                result['modprobe_loaded'] = ['openvswitch']
            self.step('load')
        if self.fs.kind(self.abs(JOURNAL)) is not None:
            try:
                self.fs.unlink(self.abs(JOURNAL))
            except OSError as exc:
                raise StepError('removing the journal', self.abs(JOURNAL), exc)
            self.changed = True
            self.done.append('journal removed')
            self.step('journal-cleared')
        result['modprobe_unloaded'] = unloaded_now
        result['changed'] = self.changed

    def write_verified_archive(self, backup_path, members, result):
        """Write the archive durably and read it back; on any failure remove what was written and raise StepError."""
        backup_dir = os.path.dirname(backup_path)
        step = 'writing the backup archive into backup_dir'
        try:
            created = []
            probe = backup_dir
            while not self.fs.isdir(probe) and os.path.dirname(probe) != probe:
                created.append(probe)
                probe = os.path.dirname(probe)
            if created:
                self.fs.makedirs(backup_dir, 0o700)
                # the new directories' entries are made durable too, not only the archive inside them
                for made in created:
                    self.fs.sync_dir(os.path.dirname(made))
            self.fs.write_archive(backup_path, members)
            step = 'reading back the backup archive in backup_dir'
            self.fs.verify_archive(backup_path, members)
        except ARCHIVE_READ_ERRORS as exc:
            result['backup_path'] = None
            if self.fs.kind(backup_path) is not None:
                try:
                    self.fs.unlink(backup_path)
                    exc = '%s (the damaged archive was removed)' % exc
                except OSError as err:
                    exc = '%s (the damaged archive could not be removed: %s)' % (exc, err)
            raise StepError(step, backup_path, exc)

    def write_journal(self, restored, archives, unloaded, info):
        path = self.abs(JOURNAL)
        try:
            self.fs.write_atomic(path, render_journal(self.release, restored, archives, unloaded, info).encode('utf-8'))
        except OSError as exc:
            raise StepError('writing the journal', path, exc)
        self.changed = True
        if 'journal written' not in self.done:
            self.done.append('journal written')

    def move(self, src, dest):
        try:
            parent = os.path.dirname(self.abs(dest))
            if not self.fs.isdir(parent):
                self.fs.makedirs(parent, 0o755)
            self.fs.replace(self.abs(src), self.abs(dest))
        except OSError as exc:
            raise StepError('moving %s to' % self.abs(src), self.abs(dest), exc)

    def remove(self, rel):
        try:
            self.fs.unlink(self.abs(rel))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StepError('removing', self.abs(rel), exc)

    def remove_tree(self, rel):
        """Remove a directory bottom-up, one entry per step (symbolic links are removed, never followed)."""
        top = self.abs(rel)
        if self.fs.kind(top) is None:
            return
        entries = self.fs.walk(top)
        # deepest first: a directory goes after everything in it
        entries.sort(key=lambda e: (-e[0].count('/'), e[0]))
        for full, kind in entries + [(top, 'dir')]:
            try:
                if kind == 'dir':
                    self.fs.rmdir(full)
                else:
                    self.fs.unlink(full)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StepError('removing', full, exc)
            self.changed = True
            self.step('rmtree %s' % os.path.relpath(full, self.rel_dir))
