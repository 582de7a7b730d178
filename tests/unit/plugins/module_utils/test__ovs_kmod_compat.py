# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed 003's first condition: userspace vs the loaded openvswitch module."""

from __future__ import annotations

import pytest

from ansible_collections.cni.ovs.plugins.module_utils._ovs_kmod_compat import KmodCompatError
from ansible_collections.cni.ovs.plugins.module_utils._ovs_kmod_compat import kmod_compat
from ansible_collections.cni.ovs.plugins.module_utils._ovs_kmod_compat import userspace_version

# recorded: `ovs-vswitchd --version` on a lab node (Debian bookworm's openvswitch-switch)
LAB = 'ovs-vswitchd (Open vSwitch) 3.1.0\n'


def test_version_line_of_the_lab_binary():
    assert userspace_version(LAB) == '3.1.0'
    assert userspace_version('2.17.9') == '2.17.9'


def test_no_module_loaded_is_compatible():
    r = kmod_compat(LAB, False)
    assert r['compatible'] and r['datapath'] == 'none' and 'userspace 3.1.0' in r['reason']


def test_upstream_module_needs_linux_3_3():
    assert kmod_compat(LAB, True, '', '6.1.0-18-amd64')['compatible']
    r = kmod_compat(LAB, True, '', '3.2.0')
    assert not r['compatible'] and r['datapath'] == 'upstream' and '3.3' in r['reason']


@pytest.mark.parametrize('mod,ok', [('3.1.7', True), ('3.1', True), ('2.17.9', False), ('3.2.0', False),
                                    ('2.14.2.17796766', False)])
def test_out_of_tree_module_needs_the_same_series(mod, ok):
    r = kmod_compat(LAB, True, mod, '5.15.0-91-generic')
    assert r['compatible'] is ok and r['datapath'] == 'out_of_tree'
    if not ok:
        assert mod in r['reason'] and '3.1' in r['reason']


@pytest.mark.parametrize('args,word', [
    ((None, False), 'userspace'),
    (('banana', False), 'userspace'),
    ((LAB, 'yes'), 'module_loaded'),
    ((LAB, True, '', ''), 'kernel_release'),
    ((LAB, True, 'x.y', '6.1.0'), 'module_version'),
    ((LAB, True, 3.1, '6.1.0'), 'module_version'),
    ((LAB + '\x00', False), 'NUL'),
])
def test_input_that_cannot_be_judged_is_named(args, word):
    with pytest.raises(KmodCompatError) as exc:
        kmod_compat(*args)
    assert word in str(exc.value)
