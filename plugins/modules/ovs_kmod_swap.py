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
  - Before the first change the module writes a journal, C(<kernel_release>/.cni-ovs-kmod-swap.journal), outside
    C(nsx/) and the NSX location, so that a run that stopped midway (even while C(nsx/) was being removed) resumes
    correctly when run again with the same arguments. It records where the upstream modules were put back (a resumed
    run never removes those), the C(INFO) mapping and the archives written, and it is removed as the last step.
    A journal that is not a regular file or cannot be read is refused before any change.
    A journal left in C(nsx/) by an earlier version of this module is read as well.
  - Every input is checked before the first change, and a failure reports C(changed=false) when nothing was changed.
    A O(kernel_release) that is not a plain release name, a O(backup_dir) inside the release directory, and paths that
    lead out of the release directory through symbolic links are refused.
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
      - Defaults to the running kernel (C(uname -r)) when omitted; an empty value is refused.
      - Letters, digits and C(. _ + ~ -), starting with a letter or digit.
    type: str
  modules_root:
    description:
      - Directory holding one module tree per kernel release. It must exist and be a readable directory.
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
      - A module file that is a symbolic link (RHEL C(weak-updates)) is archived with the content it points to;
        a symbolic link to a missing file is refused unless O(backup=false).
      - A run that resumes an interrupted one archives what is still there; RV(earlier_backup_paths) lists the
        archives of the interrupted run.
    type: bool
    default: true
  backup_dir:
    description:
      - Directory for the archives; created with mode C(0700) when missing.
      - Must lie outside the release directory (after resolving symbolic links); the module refuses it otherwise,
        because it removes files there.
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
  sample: [/usr/sbin/depmod, -b, /, --, 5.14.0-427.el9.x86_64]
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
journal:
  description: Path of the journal of an unfinished switch (it exists only between the first change and the end of a run).
  returned: always
  type: str
  sample: /lib/modules/5.14.0-427.el9.x86_64/.cni-ovs-kmod-swap.journal
resumed:
  description: Whether this run found the journal of an interrupted run and continued it.
  returned: always
  type: bool
earlier_backup_paths:
  description: Archives written by the interrupted run(s) this run continued (from the journal).
  returned: always
  type: list
  elements: str
tree_state:
  description: With O(state=nsx), V(nsx) (NSX-OVS installed), V(nsx-incomplete) (C(nsx/) without module files) or V(upstream).
  returned: when state=nsx
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cni.ovs.plugins.module_utils._exec import Runner
from ansible_collections.cni.ovs.plugins.module_utils._kmod import DEFAULT_MODULES, KmodError
from ansible_collections.cni.ovs.plugins.module_utils._kmod_exec import FileOps, KmodSwitch, SwitchFailed, shown

PROC_MODULES = '/proc/modules'


class KmodSwap:
    """Wiring: the module's arguments, the one runner (``_exec.Runner``) and the filesystem handed to the core."""

    def __init__(self, module, fs=None, checkpoint=None, runner=None):
        self.module = module
        p = module.params
        self.runner = runner or Runner()
        self.core = KmodSwitch(
            dict(p), fs=fs or FileOps(), run=self.runner.run, which=module.get_bin_path, checkpoint=checkpoint,
            proc_modules=PROC_MODULES, check_mode=module.check_mode, diff=module._diff)


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
    core = swap.core
    long_value = not isinstance(core.release, str) or len(core.release) > 200
    base = dict(changed=False, kernel_release=shown(core.release) if long_value else core.release,
                release_dir=None if long_value else core.rel_dir, skipped_actions=core.skipped)
    try:
        result = core.run()
    except KmodError as exc:
        module.fail_json(msg='%s. Nothing was changed.' % exc, **base)
    except SwitchFailed as exc:
        exc.result.pop('warnings', None)
        module.fail_json(msg=exc.msg, **exc.result)
    except OSError as exc:
        # only the fact gathering can get here (every step of the switch reports through SwitchFailed)
        module.fail_json(msg='ovs_kmod_swap could not read the module tree of kernel_release %s under modules_root %s: %s. '
                             'Nothing was changed.' % (shown(core.release), shown(core.modules_root), exc), **base)
    for warning in core.warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
