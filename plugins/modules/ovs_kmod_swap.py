#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ovs_kmod_swap
short_description: Switch a node between the NSX-OVS and the upstream Open vSwitch kernel modules
version_added: 0.1.0
description:
  - Automates the file part of VMware NSX NCP's procedure "switch to the upstream OVS kernel module"
    for one kernel release tree C(<modules_root>/<kernel_release>).
  - With O(state=upstream) it archives the NSX-OVS module files, moves the files kept in
    C(nsx/usr-ovs-kmod-backup) back to their original places (from its C(INFO) file when present,
    else into the NSX location as the NSX procedure says), removes the remaining NSX-OVS module files,
    deletes the C(nsx) directory and runs C(depmod) for the release.
  - With O(state=nsx) it verifies that the release tree is ready for switching back (the NSX
    C(nsx-ncp-bootstrap) init container reinstalls NSX-OVS after the kernel downgrade) and refreshes a stale
    C(modules.dep). It never installs NSX-OVS modules itself.
  - An NSX-OVS installation is recognised by the C(<kernel_release>/nsx) directory. Without it, module files in
    the NSX location are left alone (already switched, or an upstream/DKMS build) and listed in RV(kept).
  - Before the first change the module writes a journal into C(nsx/), so that a run that stopped midway
    resumes correctly when run again with the same arguments; the journal goes away with C(nsx/).
  - The module does not upgrade or downgrade the kernel, reboot, or change Kubernetes objects;
    RV(not_done) lists this in every result.
author: cni.ovs contributors (!UNKNOWN)
extends_documentation_fragment:
  - cni.ovs._attributes
  - cni.ovs._attributes.ACTIONGROUP_OVS
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff lists the module files and the files under C(nsx/) before and after, relative to the release directory.
  idempotent:
    support: full
options:
  state:
    description:
      - V(upstream) switches the tree to the upstream modules.
      - V(nsx) verifies the tree before switching back to NSX-OVS and fails listing the problems found.
    type: str
    required: true
    choices: [upstream, nsx]
  kernel_release:
    description:
      - Kernel release whose module tree is handled, for example the release being upgraded to.
      - Defaults to the running kernel (C(uname -r)).
    type: str
  modules_root:
    description:
      - Directory holding one module tree per kernel release.
      - C(depmod) runs only when this path ends in C(lib/modules) (C(depmod -b <base>) addresses
        C(<base>/lib/modules/<release>)); C(modprobe) only when it is C(/lib/modules).
    type: path
    default: /lib/modules
  nsx_location:
    description:
      - Directory, relative to the release directory, where NSX-OVS installed its module files.
      - Detected when not set, among C(weak-updates/openvswitch) (RHEL family) and C(updates/dkms) (Ubuntu),
        as the one holding module files; the module fails when both do.
    type: str
  modules:
    description:
      - Module file names NSX-OVS installs and the backup keeps.
    type: list
    elements: str
    default: [openvswitch.ko, vport-geneve.ko, vport-gre.ko, vport-lisp.ko, vport-stt.ko, vport-vxlan.ko]
  use_info:
    description:
      - Read C(nsx/usr-ovs-kmod-backup/INFO) for the original path of each backed-up file.
      - The assumed format is one line per file, C(<file name> <original path>), the path absolute
        (C(/lib/modules/<release>/...)) or relative to the release directory; C(#) starts a comment.
        The module fails before any change on a line that does not fit.
      - Set V(false) to ignore the file and move the backed-up files into the NSX location, as the NSX procedure says.
    type: bool
    default: true
  backup:
    description:
      - Archive every file that is removed or replaced (the NSX-OVS module files and the whole C(nsx/) directory)
        into a C(.tar.gz) under O(backup_dir) before the first change. The archive has mode C(0600);
        its members are relative to the release directory, so C(tar -xzf ARCHIVE -C <modules_root>/<release>)
        puts the NSX-OVS files back.
    type: bool
    default: true
  backup_dir:
    description:
      - Directory for the archives; created with mode C(0700) when missing.
    type: path
    default: /var/lib/cni-ovs/kmod-backup
  depmod:
    description:
      - Run C(depmod -b <base> <kernel_release>) after changing the tree, or when C(modules.dep) is stale
        (missing, listing removed files, or older than the module files). Skipped, with the reason in RV(skipped_actions),
        when the C(depmod) command is not installed or O(modules_root) cannot be addressed by C(depmod -b).
    type: bool
    default: true
  modprobe:
    description:
      - When the tree changes, unload the loaded modules of O(modules) with C(modprobe -r) before the file moves
        and load C(openvswitch) again afterwards if it was loaded.
      - Skipped, with the reason in RV(skipped_actions), when the kernel has no loadable module support (no C(/proc/modules)),
        when O(kernel_release) is not the running kernel, or when O(modules_root) is not C(/lib/modules).
      - A failing unload (module in use) does not stop the switch; the old module stays loaded until the reboot
        and a warning says so.
    type: bool
    default: true
notes:
  - The C(INFO) format is an assumption of this collection; no public description of the NSX file was found.
    See the collection's C(docs/nsx_kmod_switch.md).
seealso:
  - name: VMware NCP documentation, switching between the NSX-OVS and upstream OVS kernel modules
    description: The operator procedure this module automates the file part of.
    link: https://docs.vmware.com/en/VMware-NSX-Container-Plugin/index.html
"""

EXAMPLES = r"""
- name: Switch the release being upgraded to over to the upstream OVS modules
  cni.ovs.ovs_kmod_swap:
    state: upstream
    kernel_release: 5.14.0-427.el9.x86_64
  register: swap

- name: Show where the NSX-OVS modules were archived
  ansible.builtin.debug:
    msg: "NSX-OVS modules archived in {{ swap.backup_path }}"
  when: swap.backup_path is not none

- name: Ubuntu node, DKMS location given explicitly, INFO ignored
  cni.ovs.ovs_kmod_swap:
    state: upstream
    nsx_location: updates/dkms
    use_info: false

- name: Before switching back, check the downgrade target tree
  cni.ovs.ovs_kmod_swap:
    state: nsx
    kernel_release: 5.14.0-362.el9.x86_64
"""

RETURN = r"""
kernel_release:
  description: Kernel release handled.
  returned: always
  type: str
  sample: 5.14.0-427.el9.x86_64
release_dir:
  description: The release directory all relative paths refer to.
  returned: always
  type: str
  sample: /lib/modules/5.14.0-427.el9.x86_64
nsx_location:
  description: NSX location used (given or detected), relative to RV(release_dir); null when none was found.
  returned: always
  type: str
  sample: weak-updates/openvswitch
nsx_location_note:
  description: How RV(nsx_location) was chosen.
  returned: always
  type: str
  sample: "detected: weak-updates/openvswitch holds module files"
removed:
  description: Absolute paths of files removed (or planned to be, in check mode), not counting replaced ones.
  returned: always
  type: list
  elements: str
  sample: [/lib/modules/5.14.0-427.el9.x86_64/weak-updates/openvswitch/vport-stt.ko]
moved:
  description: Files moved from C(nsx/usr-ovs-kmod-backup) back to their original places (absolute paths).
  returned: always
  type: list
  elements: dict
  sample: [{src: /lib/modules/R/nsx/usr-ovs-kmod-backup/openvswitch.ko, dest: /lib/modules/R/weak-updates/openvswitch/openvswitch.ko}]
removed_dirs:
  description: Directories removed recursively (absolute paths).
  returned: always
  type: list
  elements: str
  sample: [/lib/modules/5.14.0-427.el9.x86_64/nsx]
kept:
  description: Module files in the NSX location that were left alone, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{path: weak-updates/openvswitch/openvswitch.ko, reason: upstream module already moved back by an earlier run (journal)}]
backup_path:
  description: Archive (mode 0600) of every file removed or replaced; null when nothing was archived.
    In check mode, the path the archive would get.
  returned: always
  type: str
  sample: /var/lib/cni-ovs/kmod-backup/nsx-ovs-kmod-5.14.0-427.el9.x86_64-20240101T000000Z.tar.gz
archived:
  description: Archive members, relative to RV(release_dir).
  returned: always
  type: list
  elements: str
modules_found:
  description: Module files found before the run (relative paths) with the C(version) and C(vermagic) read from their C(.modinfo).
  returned: always
  type: dict
  sample: {weak-updates/openvswitch/openvswitch.ko: {version: 2.17.1.nsx, vermagic: 5.14.0-1 SMP mod_unload}}
depmod:
  description: The C(depmod) command run, or null.
  returned: always
  type: list
  elements: str
  sample: [/usr/sbin/depmod, -b, /, 5.14.0-427.el9.x86_64]
skipped_actions:
  description: Actions not taken, each with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{action: modprobe, reason: the running kernel has no loadable module support (/proc/modules is absent)}]
not_done:
  description: What this module does not do for the chosen state; the role or the operator must.
  returned: always
  type: list
  elements: str
ready:
  description: With O(state=nsx), whether the tree is ready for switching back.
  returned: when state=nsx
  type: bool
problems:
  description: With O(state=nsx), what stops switching back.
  returned: when state=nsx
  type: list
  elements: str
tree_state:
  description: With O(state=nsx), V(nsx) (NSX-OVS installed), V(nsx-incomplete) (C(nsx/) without module files) or V(upstream).
  returned: when state=nsx
  type: str
"""

import datetime
import hashlib
import os
import shutil
import stat
import tarfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cni.ovs.plugins.module_utils._kmod import (
    DEFAULT_MODULES, INFO_FILE, JOURNAL_FILE, NOT_DONE_NSX, NOT_DONE_UPSTREAM, NSX_DIR, NSX_LOCATIONS,
    USR_BACKUP_DIR, KmodError, check_nsx, depmod_base, depmod_stale, modprobe_skip_reason, parse_info,
    parse_journal, parse_modinfo, parse_modules_dep, parse_proc_modules, plan_upstream, probe_paths,
    render_journal, unload_order, validate_location, validate_modules, validate_release,
)

PROC_MODULES = '/proc/modules'


def _kind(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return 'link'
    if stat.S_ISDIR(st.st_mode):
        return 'dir'
    return 'file'


class StepError(Exception):
    def __init__(self, step, path, cause):
        super(StepError, self).__init__('%s %s: %s' % (step, path, cause))
        self.step, self.path, self.cause = step, path, cause


class KmodSwap:
    def __init__(self, module):
        self.module = module
        p = module.params
        self.state = p['state']
        self.release = p['kernel_release'] or os.uname()[2]
        self.modules_root = p['modules_root']
        self.modules = list(p['modules'])
        self.rel_dir = os.path.join(self.modules_root, self.release)
        self.skipped = []
        self.warnings = []
        self.done = []

    # one patchable place for every external command
    def _run(self, argv):
        return self.module.run_command(argv, environ_update={'LANG': 'C', 'LC_ALL': 'C'})

    def abs(self, rel):
        return os.path.join(self.rel_dir, rel)

    def skip(self, action, reason):
        self.skipped.append({'action': action, 'reason': reason})

    # ------------------------------------------------------------------ facts
    def nsx_listing(self):
        top = self.abs(NSX_DIR)
        kind = _kind(top)
        if kind is None:
            return None
        if kind != 'dir':
            raise KmodError('%s exists but is not a directory' % top)
        listing = {}
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                full = os.path.join(dirpath, name)
                listing[os.path.relpath(full, self.rel_dir)] = _kind(full)
        return listing

    def read_text(self, rel):
        path = self.abs(rel)
        if _kind(path) != 'file':
            return None
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def facts(self, info):
        facts = {}
        for rel in list(probe_paths(self.modules, self.locations(), info)) + list(self.locations()):
            kind = _kind(self.abs(rel))
            if kind is not None:
                facts[rel] = kind
        return facts

    def locations(self):
        return [self.location] if self.location else list(NSX_LOCATIONS)

    def digest(self, rel):
        h = hashlib.sha256()
        with open(self.abs(rel), 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 16), b''):
                h.update(chunk)
        return h.hexdigest()

    def modinfo_of(self, rels):
        found = {}
        for rel in rels:
            if not any(rel.endswith('/' + m) for m in self.modules):
                continue
            try:
                with open(self.abs(rel), 'rb') as f:
                    info = parse_modinfo(f.read())
            except OSError as exc:
                info = {'error': str(exc)}
            found[rel] = dict((k, info.get(k)) for k in ('version', 'vermagic', 'name', 'error') if info.get(k))
        return found

    # ------------------------------------------------------------------ depmod / modprobe
    def depmod_argv(self, tree_changes):
        """Return (argv or None). Adds a skipped entry when depmod is wanted but cannot run."""
        if not self.module.params['depmod']:
            self.skip('depmod', 'depmod=false')
            return None
        base = depmod_base(self.modules_root)
        if base is None:
            self.skip('depmod', 'modules_root %s does not end in lib/modules, so depmod -b cannot address it'
                      % self.modules_root)
            return None
        binary = self.module.get_bin_path('depmod')
        if not binary:
            self.skip('depmod', 'the depmod command is not installed (package kmod); run depmod %s after installing it'
                      % self.release)
            return None
        if not tree_changes:
            reason = self.depmod_reason()
            if reason is None:
                return None
            self.done.append('modules.dep stale: %s' % reason)
        return [binary, '-b', base, self.release]

    def depmod_reason(self):
        dep_path = self.abs('modules.dep')
        try:
            with open(dep_path) as f:
                text = f.read()
            dep_mtime = os.stat(dep_path).st_mtime
        except FileNotFoundError:
            return depmod_stale(None, set(), None, [])
        ours = [p for p in parse_modules_dep(text) if os.path.basename(p) in self.modules]
        existing = set(p for p in ours if os.path.lexists(self.abs(p)))
        ctimes = []
        for rel in self.locations() + [os.path.join(loc, m) for loc in self.locations() for m in self.modules]:
            try:
                ctimes.append(os.lstat(self.abs(rel)).st_ctime)
            except FileNotFoundError:
                pass
        return depmod_stale(ours, existing, dep_mtime, ctimes)

    def modprobe_plan(self, tree_changes):
        if not tree_changes:
            return None
        reason = modprobe_skip_reason(self.module.params['modprobe'], os.path.exists(PROC_MODULES), self.release,
                                      os.uname()[2], self.modules_root)
        if reason:
            self.skip('modprobe', reason)
            return None
        binary = self.module.get_bin_path('modprobe')
        if not binary:
            self.skip('modprobe', 'the modprobe command is not installed (package kmod)')
            return None
        with open(PROC_MODULES) as f:
            loaded = parse_proc_modules(f.read())
        names = unload_order(self.modules, loaded)
        if not names:
            self.skip('modprobe', 'none of the modules is loaded')
            return None
        return binary, names

    # ------------------------------------------------------------------ apply steps
    def write_archive(self, members, path):
        backup_dir = os.path.dirname(path)
        try:
            if not os.path.isdir(backup_dir):
                os.makedirs(backup_dir, 0o700)
            tmp = path + '.part'
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, 'wb') as raw:
                    with tarfile.open(fileobj=raw, mode='w:gz') as tar:
                        for rel in members:
                            tar.add(self.abs(rel), arcname=rel, recursive=False)
                os.chmod(tmp, 0o600)
                os.rename(tmp, path)
            except BaseException:
                if os.path.lexists(tmp):
                    os.unlink(tmp)
                raise
        except (OSError, tarfile.TarError) as exc:
            raise StepError('writing the backup archive', path, exc)

    def write_journal(self, dests):
        path = self.abs(JOURNAL_FILE)
        try:
            tmp = path + '.part'
            with open(tmp, 'w') as f:
                f.write(render_journal(dests))
            os.rename(tmp, path)
        except OSError as exc:
            raise StepError('writing the journal', path, exc)

    def move(self, src, dest):
        try:
            parent = os.path.dirname(self.abs(dest))
            if not os.path.isdir(parent):
                os.makedirs(parent, 0o755)
            os.replace(self.abs(src), self.abs(dest))
        except OSError as exc:
            raise StepError('moving %s to' % self.abs(src), self.abs(dest), exc)

    def remove(self, rel):
        try:
            os.unlink(self.abs(rel))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StepError('removing', self.abs(rel), exc)

    def remove_tree(self, rel):
        try:
            shutil.rmtree(self.abs(rel))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StepError('removing directory', self.abs(rel), exc)

    # ------------------------------------------------------------------ states
    def result_base(self):
        return {
            'kernel_release': self.release,
            'release_dir': self.rel_dir,
            'removed': [], 'moved': [], 'removed_dirs': [], 'kept': [], 'archived': [],
            'backup_path': None, 'depmod': None, 'skipped_actions': self.skipped,
        }

    def prepare(self):
        p = self.module.params
        validate_release(self.release)
        validate_modules(self.modules)
        self.location = validate_location(p['nsx_location']) if p['nsx_location'] else None
        if _kind(self.rel_dir) != 'dir':
            raise KmodError('%s is not a directory: kernel %s has no module tree under %s'
                            % (self.rel_dir, self.release, self.modules_root))

    def run_nsx(self):
        listing = self.nsx_listing()
        journal_present = self.read_text(JOURNAL_FILE) is not None
        facts = self.facts({})
        verdict = check_nsx(self.modules, self.location, listing, journal_present, facts,
                            _kind(self.abs(USR_BACKUP_DIR)) == 'dir')
        result = self.result_base()
        result.update(nsx_location=verdict['location'], nsx_location_note='', not_done=NOT_DONE_NSX,
                      ready=verdict['ready'], problems=verdict['problems'], tree_state=verdict['state'],
                      modules_found=self.modinfo_of(sorted(p for p, k in facts.items() if k != 'dir')))
        self.skip('modprobe', 'state=nsx loads nothing: NSX-OVS modules are installed and loaded by the NSX containers')
        if not verdict['ready']:
            self.module.fail_json(msg='kernel %s is not ready for switching back to NSX-OVS: %s. Nothing was changed.'
                                  % (self.release, '; '.join(verdict['problems'])), **result)
        argv = self.depmod_argv(False)
        result['changed'] = argv is not None
        if argv and not self.module.check_mode:
            self.run_depmod(argv, result)
        result['depmod'] = argv
        result['warnings'] = self.warnings
        return result

    def run_depmod(self, argv, result):
        rc, out, err = self._run(argv)
        if rc != 0:
            raise StepError('running', ' '.join(argv), 'rc=%d %s' % (rc, (err or out).strip()))
        result['depmod'] = argv

    def run_upstream(self):
        p = self.module.params
        info = {}
        if p['use_info']:
            text = self.read_text(INFO_FILE)
            if text is not None:
                info = parse_info(text, self.release, self.modules_root)
        listing = self.nsx_listing()
        journal = parse_journal(self.read_text(JOURNAL_FILE) or '')
        facts = self.facts(info)
        digests = {}
        for mod in self.modules:
            src = os.path.join(USR_BACKUP_DIR, mod)
            if listing and listing.get(src) == 'file':
                digests[src] = self.digest(src)
                dest = info.get(mod)
                if dest and facts.get(dest) == 'file':
                    digests[dest] = self.digest(dest)
        plan = plan_upstream(self.modules, self.location, listing, info, journal, facts, digests)
        self.location = plan.location

        result = self.result_base()
        result.update(
            nsx_location=plan.location, nsx_location_note=plan.location_note, not_done=NOT_DONE_UPSTREAM,
            kept=plan.kept, archived=plan.archive,
            removed=[self.abs(r) for r in plan.removes],
            moved=[{'src': self.abs(s), 'dest': self.abs(d)} for s, d in plan.moves],
            removed_dirs=[self.abs(d) for d in plan.remove_dirs],
            modules_found=self.modinfo_of(plan.before),
        )
        if listing is None:
            self.done.append('nsx/ absent: no NSX-OVS installation in %s' % self.rel_dir)
        backup_path = None
        if plan.archive:
            if p['backup']:
                stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')
                backup_path = os.path.join(p['backup_dir'], 'nsx-ovs-kmod-%s-%s.tar.gz' % (self.release, stamp))
            else:
                self.skip('backup', 'backup=false: the removed files are not archived')
                result['archived'] = []
        result['backup_path'] = backup_path
        modprobe = self.modprobe_plan(plan.tree_changes)
        depmod_argv = self.depmod_argv(plan.tree_changes)
        result['changed'] = plan.tree_changes or depmod_argv is not None
        if self.module._diff:
            result['diff'] = {
                'before_header': self.rel_dir, 'after_header': self.rel_dir,
                'before': ''.join(x + '\n' for x in plan.before),
                'after': ''.join(x + '\n' for x in plan.after),
            }
        if self.module.check_mode:
            result['depmod'] = depmod_argv
            if modprobe:
                result['modprobe_unload'] = modprobe[1]
            return result

        unloaded = []
        try:
            if modprobe:
                rc, _out, err = self._run([modprobe[0], '-r', '--'] + modprobe[1])
                if rc == 0:
                    unloaded = modprobe[1]
                    self.done.append('unloaded %s' % ', '.join(unloaded))
                else:
                    self.warnings.append('modprobe -r %s failed (%s); the loaded modules stay until the reboot'
                                         % (' '.join(modprobe[1]), err.strip()))
            if backup_path:
                self.write_archive(plan.archive, backup_path)
                self.done.append('archived %d files in %s' % (len(plan.archive), backup_path))
            if plan.moves:
                self.write_journal(plan.journal)
                self.done.append('journal written')
            for src, dest in plan.moves:
                self.move(src, dest)
                self.done.append('moved %s to %s' % (src, dest))
            for rel in plan.removes:
                self.remove(rel)
                self.done.append('removed %s' % rel)
            for rel in plan.remove_dirs:
                self.remove_tree(rel)
                self.done.append('removed %s/' % rel)
            if depmod_argv:
                self.run_depmod(depmod_argv, result)
                self.done.append('depmod ran')
            if 'openvswitch' in unloaded:
                rc, _out, err = self._run([modprobe[0], '--', 'openvswitch'])
                if rc != 0:
                    self.warnings.append('modprobe openvswitch failed (%s); load it after fixing the cause' % err.strip())
                else:
                    result['modprobe_loaded'] = ['openvswitch']
        except StepError as exc:
            self.module.fail_json(
                msg='ovs_kmod_swap stopped while %s. Done before the failure: %s. Everything else in %s was left as it '
                    'was%s. Fix the cause and run the module again with the same arguments: it continues from the '
                    'current tree.' % (
                        exc, '; '.join(self.done) or 'nothing', self.rel_dir,
                        ('; the removed files are archived in %s' % backup_path) if backup_path and any(
                            d.startswith('archived') for d in self.done) else ''),
                **result)
        result['modprobe_unloaded'] = unloaded
        result['warnings'] = self.warnings
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', required=True, choices=['upstream', 'nsx']),
            kernel_release=dict(type='str'),
            modules_root=dict(type='path', default='/lib/modules'),
            nsx_location=dict(type='str'),
            modules=dict(type='list', elements='str', default=list(DEFAULT_MODULES)),
            use_info=dict(type='bool', default=True),
            backup=dict(type='bool', default=True),
            backup_dir=dict(type='path', default='/var/lib/cni-ovs/kmod-backup'),
            depmod=dict(type='bool', default=True),
            modprobe=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    swap = KmodSwap(module)
    try:
        swap.prepare()
        result = swap.run_upstream() if swap.state == 'upstream' else swap.run_nsx()
    except KmodError as exc:
        module.fail_json(msg='%s. Nothing was changed.' % exc, kernel_release=swap.release,
                         release_dir=swap.rel_dir, skipped_actions=swap.skipped)
    except StepError as exc:
        module.fail_json(msg='ovs_kmod_swap failed while %s. The file tree was not changed by this step; '
                             'fix the cause and run again.' % exc, kernel_release=swap.release)
    result.pop('warnings', None)
    for warning in swap.warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
