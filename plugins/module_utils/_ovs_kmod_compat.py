# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed 003's first condition: is the new Open vSwitch userspace compatible with the kernel
module that is loaded now? Pure rule, no Ansible imports (the ovs_kmod_compat filter).

What a node can show (read from /sys/module/openvswitch before the restart):

* no module loaded: the userspace datapath (netdev, as on the lab nodes) or no kernel bridge
  yet; there is no module to be compatible with;
* a module without a ``version`` file: the module shipped with the Linux kernel (upstream,
  in-tree). Open vSwitch's documentation (FAQ "Releases"): userspace works with the kernel
  module shipped with Linux upstream 3.3 and later;
* a module with a ``version`` file: an out-of-tree module, built from the Open vSwitch source
  tree (deprecated in 2.15, removed in 3.0) or shipped by a vendor with its own OVS (NSX's
  nsx-ovs kmod). Those are built and tested with the userspace of their own release series, so
  this rule requires the same major.minor; anything else needs the operator's word after
  checking the vendor's matrix (or a kernel-module upgrade, which the role does not do).
"""

from __future__ import annotations

import re

_VERSION = re.compile(r'(?<![0-9.])([0-9]{1,4})\.([0-9]{1,4})(?:\.([0-9]{1,6}))?')
_USERSPACE = re.compile(r'^ovs-vswitchd \(Open vSwitch\) ([0-9][0-9A-Za-z.+~-]{0,63})$')
_KERNEL = re.compile(r'^([0-9]{1,4})\.([0-9]{1,4})')
_MAX_TEXT = 4096


class KmodCompatError(ValueError):
    """Input that cannot be judged (named, with what is allowed)."""


def _text(value, name):
    if not isinstance(value, str):
        raise KmodCompatError('%s=%r is a %s, not a string' % (name, value, type(value).__name__))
    if len(value) > _MAX_TEXT or '\x00' in value:
        raise KmodCompatError('%s is longer than %d characters or holds a NUL byte' % (name, _MAX_TEXT))
    return value.strip()


def userspace_version(text):
    """'X.Y.Z' from ``ovs-vswitchd --version`` (its first line) or from a bare version string."""
    text = _text(text, 'userspace')
    first = text.splitlines()[0].strip() if text else ''
    m = _USERSPACE.match(first)
    version = m.group(1) if m else first
    if not _VERSION.match(version):
        raise KmodCompatError('userspace=%r is neither "ovs-vswitchd (Open vSwitch) X.Y.Z" nor a version X.Y[.Z]' % first[:120])
    return version


def _series(version):
    m = _VERSION.search(version)
    return (int(m.group(1)), int(m.group(2))) if m else None


def kmod_compat(userspace, module_loaded, module_version='', kernel_release=''):
    """Judge the pair; returns a dict: compatible (bool), datapath ('none', 'upstream',
    'out_of_tree'), userspace (X.Y.Z), module_version, kernel_release, reason (one sentence)."""
    if not isinstance(module_loaded, bool):
        raise KmodCompatError('module_loaded=%r must be a boolean' % (module_loaded,))
    user = userspace_version(userspace)
    mod = _text(module_version if module_version is not None else '', 'module_version')
    kernel = _text(kernel_release if kernel_release is not None else '', 'kernel_release')
    result = {'userspace': user, 'module_version': mod, 'kernel_release': kernel}
    if not module_loaded:
        result.update(compatible=True, datapath='none',
                      reason='no openvswitch kernel module is loaded (userspace datapath, or no kernel bridge): '
                             'nothing for userspace %s to be compatible with' % user)
        return result
    if not mod:
        m = _KERNEL.match(kernel)
        if not m:
            raise KmodCompatError('kernel_release=%r is not a Linux release such as 6.1.0-18-amd64' % kernel[:120])
        ok = (int(m.group(1)), int(m.group(2))) >= (3, 3)
        result.update(compatible=ok, datapath='upstream',
                      reason=('the module shipped with Linux %s (no version file: in-tree); Open vSwitch userspace '
                              'works with the upstream module of Linux 3.3 and later' % kernel) if ok else
                             ('the module shipped with Linux %s (in-tree) is older than Linux 3.3, the oldest '
                              'upstream module Open vSwitch userspace works with' % kernel))
        return result
    mod_series, user_series = _series(mod), _series(user)
    if mod_series is None:
        raise KmodCompatError('module_version=%r has no X.Y version in it' % mod[:120])
    ok = mod_series == user_series
    result.update(compatible=ok, datapath='out_of_tree',
                  reason=('out-of-tree module %s and userspace %s are the same release series %d.%d' % (mod, user, mod_series[0], mod_series[1]))
                  if ok else
                  ('out-of-tree module %s (Open vSwitch tree or a vendor build such as NSX) is release series %d.%d, '
                   'the new userspace %s is %d.%d: such modules are built and tested with the userspace of their own '
                   'series' % (mod, mod_series[0], mod_series[1], user, user_series[0], user_series[1])))
    return result
