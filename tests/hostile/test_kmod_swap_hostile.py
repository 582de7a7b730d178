# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile inputs to ovs_kmod_swap on real module trees (real depmod when it is installed).

Each case: the module answers with a clear error naming the parameter and the value, no
traceback, changed=false, and the whole temp root (module tree, backups, link targets) is
byte-for-byte, mode-for-mode as before.
"""

from __future__ import annotations

import os

import pytest

from harness import assert_module_refused, run_module, snapshot_tree
from kmod_tree import BK, WU, Tree

from ansible_collections.cni.ovs.plugins.modules import ovs_kmod_swap

BIG = 10 * 1024 * 1024


def _symlink(target, link):
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(target, link)


def _write(path, data=b'x'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


# (id, params override or callable(tree) -> override, parameter named, value shown (None: checked by repr))
def _cases():
    c = []

    def add(name, over, param, value='same'):
        c.append(pytest.param(over, param, value, id=name))

    # kernel_release
    add('release-empty', {'kernel_release': ''}, 'kernel_release', None)
    add('release-dash-v', {'kernel_release': '-v'}, 'kernel_release', '-v')
    add('release-dash-help', {'kernel_release': '--help'}, 'kernel_release', '--help')
    add('release-dash-only', {'kernel_release': '-'}, 'kernel_release', '-')
    add('release-dotdot', {'kernel_release': '..'}, 'kernel_release', '..')
    add('release-dotdot-path', {'kernel_release': '../x'}, 'kernel_release', '../x')
    add('release-slash', {'kernel_release': '5.14/evil'}, 'kernel_release', '5.14/evil')
    add('release-abs', {'kernel_release': '/etc'}, 'kernel_release', '/etc')
    add('release-nul', {'kernel_release': '5.14\x00x'}, 'kernel_release', None)
    add('release-space', {'kernel_release': '5.14 x'}, 'kernel_release', '5.14 x')
    add('release-leading-space', {'kernel_release': ' 5.14'}, 'kernel_release', ' 5.14')
    add('release-newline', {'kernel_release': '5.14\nx'}, 'kernel_release', None)
    add('release-subshell', {'kernel_release': '$(reboot)'}, 'kernel_release', '$(reboot)')
    add('release-backtick', {'kernel_release': '`id`'}, 'kernel_release', '`id`')
    add('release-semicolon', {'kernel_release': 'a;rm -rf /'}, 'kernel_release', 'a;rm -rf /')
    add('release-glob', {'kernel_release': '*'}, 'kernel_release', '*')
    add('release-10mb', {'kernel_release': 'a' * BIG}, 'kernel_release', 'a' * BIG)
    add('release-dict', {'kernel_release': {'a': 1}}, 'kernel_release', None)
    add('release-missing-tree', {'kernel_release': '9.9.9'}, 'kernel_release', '9.9.9')
    # modules_root
    add('root-is-file', lambda t: {'modules_root': _file(t, 'afile')}, 'modules_root', 'path')
    add('root-missing', lambda t: {'modules_root': os.path.join(t.root, 'nowhere', 'lib', 'modules')}, 'modules_root', 'path')
    add('root-relative', {'modules_root': 'lib/modules'}, 'modules_root', 'lib/modules')
    add('root-empty', {'modules_root': ''}, 'modules_root', None)
    add('root-nul', {'modules_root': '/lib\x00/modules'}, 'modules_root', None)
    add('root-dangling-link', lambda t: {'modules_root': _link(t, 'gone-target', 'dangling')}, 'modules_root', 'path')
    add('root-link-to-file', lambda t: {'modules_root': _link(t, _file(t, 'f2'), 'tofile')}, 'modules_root', 'path')
    add('root-10mb', {'modules_root': '/' + 'a' * BIG}, 'modules_root', '/' + 'a' * BIG)
    add('release-dir-links-outside', _release_link_outside, 'kernel_release', None)
    # backup_dir
    add('backup-in-nsx', lambda t: {'backup_dir': t.path('nsx', 'keep')}, 'backup_dir', 'path')
    add('backup-is-release-dir', lambda t: {'backup_dir': t.rel}, 'backup_dir', 'path')
    add('backup-in-location', lambda t: {'backup_dir': t.path(WU, 'bk')}, 'backup_dir', 'path')
    add('backup-link-into-nsx', lambda t: {'backup_dir': _link(t, t.path('nsx'), 'bk-link')}, 'backup_dir', 'path')
    add('backup-link-parent-into-tree', lambda t: {'backup_dir': os.path.join(_link(t, t.rel, 'rel-link'), 'x')},
        'backup_dir', 'path')
    add('backup-under-file', lambda t: {'backup_dir': os.path.join(_file(t, 'bfile'), 'sub')}, 'backup_dir', 'path')
    add('backup-is-file', lambda t: {'backup_dir': _file(t, 'bfile2')}, 'backup_dir', 'path')
    add('backup-relative', {'backup_dir': 'backups'}, 'backup_dir', 'backups')
    add('backup-empty', {'backup_dir': ''}, 'backup_dir', None)
    add('backup-unwritable-proc', {'backup_dir': '/proc/cni-ovs-kmod-hostile'}, 'backup_dir', '/proc/cni-ovs-kmod-hostile')
    add('backup-dangling-link', lambda t: {'backup_dir': _link(t, os.path.join(t.root, 'gone'), 'bk-dangling')},
        'backup_dir', 'path')
    # nsx_location
    add('location-abs', {'nsx_location': '/lib/modules'}, 'nsx_location', '/lib/modules')
    add('location-dotdot', {'nsx_location': '../../etc'}, 'nsx_location', '../../etc')
    add('location-dot', {'nsx_location': '.'}, 'nsx_location', '.')
    add('location-empty', {'nsx_location': ''}, 'nsx_location', None)
    add('location-in-nsx', {'nsx_location': 'nsx/usr-ovs-kmod-backup'}, 'nsx_location', 'nsx/usr-ovs-kmod-backup')
    add('location-nul', {'nsx_location': 'weak\x00updates'}, 'nsx_location', None)
    add('location-link-outside', lambda t: _location_link_outside(t, given=True), 'nsx_location', WU)
    add('location-detected-link-outside', lambda t: _location_link_outside(t, given=False), 'nsx_location', WU)
    # modules
    add('modules-empty', {'modules': []}, 'modules', None)
    add('modules-dotdot', {'modules': ['../openvswitch.ko']}, 'modules', '../openvswitch.ko')
    add('modules-not-ko', {'modules': ['openvswitch']}, 'modules', 'openvswitch')
    add('modules-space', {'modules': ['open vswitch.ko']}, 'modules', 'open vswitch.ko')
    add('modules-subshell', {'modules': ['$(id).ko']}, 'modules', '$(id).ko')
    add('modules-dup', {'modules': ['openvswitch.ko', 'openvswitch.ko']}, 'modules', 'openvswitch.ko')
    add('modules-dict', {'modules': [{'a': 1}]}, 'modules', None)
    add('modules-10mb', {'modules': ['a' * BIG + '/.ko']}, 'modules', 'a' * 30)
    # wrong types / choices
    add('state-bogus', {'state': 'both'}, 'state', 'both')
    add('use-info-not-bool', {'use_info': 'maybe'}, 'use_info', 'maybe')
    add('backup-not-bool', {'backup': 'perhaps'}, 'backup', 'perhaps')
    add('depmod-list', {'depmod': ['x']}, 'depmod', None)
    # symbolic links inside the tree
    add('nsx-dir-link', _nsx_dir_link, 'nsx', None)
    add('usr-backup-link', _usr_backup_link, 'usr-ovs-kmod-backup', None)
    add('ko-dangling-link', _dangling_ko, 'vport-stt.ko', None)
    add('journal-link', _journal_link, 'journal', None)
    add('journal-garbage', _journal_garbage, 'journal', None)
    add('info-outside', _bad_info, 'INFO', None)
    add('info-dest-through-link', _info_dest_link, 'extra/openvswitch/openvswitch.ko', None)
    return c


def _file(t, name):
    path = os.path.join(t.root, name)
    _write(path)
    return path


def _link(t, target, name):
    path = os.path.join(t.root, name)
    os.symlink(target, path)
    return path


def _release_link_outside(t):
    outside = os.path.join(t.root, 'outside-release')
    os.makedirs(outside)
    _write(os.path.join(outside, 'nsx', 'VERSION'))
    os.symlink(outside, os.path.join(t.modules_root, '5.99-evil'))
    return {'kernel_release': '5.99-evil'}


def _location_link_outside(t, given):
    outside = os.path.join(t.root, 'elsewhere')
    os.rename(t.path(WU), outside)
    os.symlink(outside, t.path(WU))
    return {'nsx_location': WU} if given else {}


def _replace_with_link(t, rel):
    outside = os.path.join(t.root, 'moved-' + os.path.basename(rel))
    os.rename(t.path(rel), outside)
    os.symlink(outside, t.path(rel))
    return {}


def _nsx_dir_link(t):
    return _replace_with_link(t, 'nsx')


def _usr_backup_link(t):
    return _replace_with_link(t, BK)


def _dangling_ko(t):
    os.unlink(t.path(WU, 'vport-stt.ko'))
    os.symlink(os.path.join(t.root, 'no-such.ko'), t.path(WU, 'vport-stt.ko'))
    return {}


def _journal_link(t):
    _write(os.path.join(t.root, 'fake-journal'), b'{}')
    os.symlink(os.path.join(t.root, 'fake-journal'), t.path('.cni-ovs-kmod-swap.journal'))
    return {}


def _journal_garbage(t):
    _write(t.path('.cni-ovs-kmod-swap.journal'), b'\x00\xff{"restored": [')
    return {}


def _info_dest_link(t):
    outside = os.path.join(t.root, 'outside-extra')
    os.makedirs(os.path.join(outside, 'openvswitch'))
    os.symlink(outside, t.path('extra'))
    _write(t.path(BK, 'INFO'), b'openvswitch.ko extra/openvswitch/openvswitch.ko\n')
    return {}


def _bad_info(t):
    _write(t.path(BK, 'INFO'), b'openvswitch.ko /etc/openvswitch.ko\n')
    return {}


@pytest.mark.parametrize('over, param, value', _cases())
def test_refused_and_nothing_changed(tmp_path, over, param, value):
    tree = Tree(tmp_path)
    if callable(over):
        over = over(tree)
    params = tree.params(**over)
    if value == 'path':
        value = params[param]
    elif value == 'same':
        value = over[param]
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, params)
    msg = assert_module_refused(result, param, value if isinstance(value, str) else None)
    if value is None and isinstance(over.get(param), str) and over.get(param):
        assert repr(over[param])[1:-1][:40] in msg, msg
    assert 'Nothing was changed' in msg or 'argument' in msg or 'value of' in msg, msg
    assert len(msg) < 5000, 'message too long: %d characters' % len(msg)
    assert snapshot_tree(str(tmp_path)) == before


def test_refused_in_check_mode_too(tmp_path):
    tree = Tree(tmp_path)
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, tree.params(backup_dir=tree.path('nsx', 'bk')), check=True)
    assert_module_refused(result, 'backup_dir', tree.path('nsx', 'bk'))
    assert snapshot_tree(str(tmp_path)) == before


def test_state_nsx_refuses_dash_release(tmp_path):
    tree = Tree(tmp_path)
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, tree.params(state='nsx', kernel_release='-a'))
    assert_module_refused(result, 'kernel_release', '-a')
    assert snapshot_tree(str(tmp_path)) == before
