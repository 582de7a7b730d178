# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Regressions of the defects a hostile tester found in ovs_kmod_swap, on real module trees.

Each test fails on the module as it was before the fix (commit 0f6100b) and passes now.
(The crash during the removal of nsx/ is in tests/faults/test_kmod_swap_faults.py.)
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from unittest import mock

from harness import assert_module_refused, run_module, snapshot_tree
from kmod_tree import WU, Tree, version_of

from ansible_collections.cni.ovs.plugins.modules import ovs_kmod_swap


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def test_backup_dir_inside_nsx_is_refused_before_any_change(tmp_path):
    """Defect 1: the archive was written into nsx/ and deleted with it, while backup_path was still reported."""
    tree = Tree(tmp_path)
    backup_dir = tree.path('nsx', 'keep')
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, tree.params(backup_dir=backup_dir))
    assert_module_refused(result, 'backup_dir', backup_dir)
    assert snapshot_tree(str(tmp_path)) == before


def test_backup_dir_symlinked_into_release_dir_is_refused(tmp_path):
    """Defect 1, through a symbolic link: backup_dir resolves into the release directory."""
    tree = Tree(tmp_path)
    link = os.path.join(str(tmp_path), 'bk')
    os.symlink(tree.path('nsx'), link)
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, tree.params(backup_dir=os.path.join(link, 'sub')))
    assert_module_refused(result, 'backup_dir', os.path.join(link, 'sub'))
    assert snapshot_tree(str(tmp_path)) == before


def test_release_with_leading_dash_never_reaches_depmod(tmp_path):
    """Defect 3: kernel_release '-v' passed the name check and reached depmod as an option."""
    tree = Tree(tmp_path, release='-v')
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, tree.params())
    assert_module_refused(result, 'kernel_release', '-v')
    assert result.get('depmod') is None
    assert snapshot_tree(str(tmp_path)) == before


def test_symlinked_nsx_location_outside_the_tree_is_refused(tmp_path):
    """Defect 3: a weak-updates/openvswitch symlinked outside modules_root was followed and emptied."""
    tree = Tree(tmp_path)
    outside = os.path.join(str(tmp_path), 'elsewhere')
    os.rename(tree.path(WU), outside)
    os.symlink(outside, tree.path(WU))
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, tree.params())
    assert_module_refused(result, 'nsx_location', WU)
    assert snapshot_tree(str(tmp_path)) == before
    assert sorted(os.listdir(outside)) == sorted(['openvswitch.ko', 'vport-geneve.ko', 'vport-gre.ko', 'vport-lisp.ko',
                                                  'vport-stt.ko', 'vport-vxlan.ko'])


def test_symlinked_ko_is_archived_with_its_content(tmp_path):
    """Defect 3: a .ko that is a symbolic link (RHEL weak-updates) was archived as a bare link."""
    tree = Tree(tmp_path)
    target = os.path.join(str(tmp_path), 'other-kernel', 'extra', 'vport-stt.ko')
    os.makedirs(os.path.dirname(target))
    os.rename(tree.path(WU, 'vport-stt.ko'), target)
    os.symlink(target, tree.path(WU, 'vport-stt.ko'))
    with open(target, 'rb') as f:
        content = f.read()
    result = run_module(ovs_kmod_swap, tree.params())
    assert not result.get('failed'), result.get('msg')
    assert not os.path.lexists(tree.path(WU, 'vport-stt.ko'))
    with open(target, 'rb') as f:
        assert f.read() == content, 'the link target in another tree was changed'
    with tarfile.open(result['backup_path']) as tar:
        member = tar.getmember('%s/vport-stt.ko' % WU)
        assert member.isfile(), 'archived as a %s, not as content' % ('link' if member.issym() else member.type)
        assert _sha(tar.extractfile(member).read()) == _sha(content)


def test_modules_root_that_is_a_file_is_a_clear_error(tmp_path):
    """Defect 4: modules_root pointing at a regular file gave a traceback (NotADirectoryError)."""
    tree = Tree(tmp_path)
    afile = os.path.join(str(tmp_path), 'afile')
    with open(afile, 'w') as f:
        f.write('x')
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, tree.params(modules_root=afile))
    assert_module_refused(result, 'modules_root', afile)
    assert snapshot_tree(str(tmp_path)) == before


def test_explicitly_empty_release_is_refused(tmp_path):
    """Defect 5: kernel_release '' silently became uname -r."""
    tree = Tree(tmp_path, release=os.uname()[2])
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, tree.params(kernel_release=''))
    msg = assert_module_refused(result, 'kernel_release')
    assert "''" in msg and 'omit' in msg
    assert snapshot_tree(str(tmp_path)) == before


def test_failure_before_any_change_reports_changed_false(tmp_path):
    """Defect 6: an archive that could not be written (nothing changed) was reported as changed=true."""
    tree = Tree(tmp_path)
    before = snapshot_tree(str(tmp_path))
    result = run_module(ovs_kmod_swap, tree.params(backup_dir='/proc/cni-ovs-kmod-regression'))
    assert result.get('failed')
    assert result.get('changed') is False, result
    assert 'Nothing was changed' in result['msg'] and 'Done before the failure' not in result['msg']
    assert snapshot_tree(str(tmp_path)) == before


def test_failure_after_changes_says_half_switched(tmp_path):
    """Defect 6 (guard): after a real change the failure says changed=true, what was done and how to go on."""
    tree = Tree(tmp_path)
    real_replace = os.replace
    moves = []

    def flaky(src, dst):
        if 'usr-ovs-kmod-backup' in str(src):
            moves.append(dst)
            if len(moves) == 2:
                raise OSError(5, 'Input/output error (injected)')
        return real_replace(src, dst)
    with mock.patch('os.replace', flaky):
        result = run_module(ovs_kmod_swap, tree.params())
    assert result.get('failed') and result.get('changed') is True, result
    msg = result['msg']
    assert 'injected' in msg and 'moved nsx/usr-ovs-kmod-backup/openvswitch.ko' in msg
    assert 'run the module again with the same arguments' in msg and result['backup_path'] in msg
    assert os.path.exists(result['backup_path'])
    result = run_module(ovs_kmod_swap, tree.params())
    assert not result.get('failed'), result['msg']
    for mod in ('openvswitch.ko', 'vport-geneve.ko', 'vport-gre.ko', 'vport-vxlan.ko'):
        assert version_of(tree.path(WU, mod)) == '2.17.9', mod
    assert not os.path.exists(tree.path('nsx'))
