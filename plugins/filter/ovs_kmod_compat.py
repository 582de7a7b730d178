# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ovs_kmod_compat
short_description: Is an Open vSwitch userspace version compatible with the loaded openvswitch kernel module
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Seed 003's first condition for a userspace-only upgrade, judged from what the node shows before the restart.
  - No module loaded (userspace datapath) is compatible, there is nothing to be compatible with.
  - A loaded module without a C(version) file in C(/sys/module/openvswitch) is the module shipped with the Linux
    kernel; Open vSwitch documents that its userspace works with the upstream module of Linux 3.3 and later.
  - A loaded module with a C(version) file is out-of-tree (built from the Open vSwitch tree, deprecated in 2.15 and
    removed in 3.0, or a vendor build such as NSX's). It is judged compatible only with a userspace of the same
    release series (major.minor), because such modules are built and tested with their own userspace. Anything
    else needs a kernel-module upgrade or the operator's word after checking the vendor's matrix.
  - Input that cannot be judged (not a string, no version in it, a loaded upstream module without a kernel
    release) is an error naming the value.
options:
  _input:
    description: The first line of C(ovs-vswitchd --version) of the new binary, or a version C(X.Y[.Z]).
    type: str
    required: true
  module_loaded:
    description: Whether the openvswitch kernel module is loaded (C(/sys/module/openvswitch/initstate) exists).
    type: bool
    required: true
  module_version:
    description: Contents of C(/sys/module/openvswitch/version); empty when that file does not exist.
    type: str
    default: ''
  kernel_release:
    description: The running kernel's release (C(uname -r)); needed for an upstream module.
    type: str
    default: ''
"""

EXAMPLES = r"""
- name: Judge the pair before restarting
  ansible.builtin.set_fact:
    compat: "{{ 'ovs-vswitchd (Open vSwitch) 3.1.0' | cni.ovs.ovs_kmod_compat(module_loaded=true, module_version='2.17.9') }}"
# compat.compatible is false: out-of-tree module 2.17.9 is series 2.17, userspace 3.1.0 is 3.1
"""

RETURN = r"""
_value:
  description: The judgement.
  type: dict
  contains:
    compatible:
      description: Whether the upgrade may restart the userspace with the loaded module.
      type: bool
    datapath:
      description: C(none) (no module loaded), C(upstream) (in-tree module) or C(out_of_tree).
      type: str
    userspace:
      description: The userspace version read from the input.
      type: str
    module_version:
      description: The module's version, empty for none or upstream.
      type: str
    kernel_release:
      description: The kernel release given.
      type: str
    reason:
      description: One sentence saying why.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._ovs_kmod_compat import KmodCompatError
from ansible_collections.cni.ovs.plugins.module_utils._ovs_kmod_compat import kmod_compat


def ovs_kmod_compat(userspace, module_loaded, module_version='', kernel_release=''):
    """See DOCUMENTATION."""
    try:
        return kmod_compat(userspace, module_loaded, module_version=module_version, kernel_release=kernel_release)
    except KmodCompatError as exc:
        raise AnsibleFilterError('ovs_kmod_compat: %s' % exc)


class FilterModule:
    """cni.ovs.ovs_kmod_compat filter."""

    def filters(self):
        return {'ovs_kmod_compat': ovs_kmod_compat}
