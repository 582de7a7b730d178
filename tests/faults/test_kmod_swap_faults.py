# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection into ovs_kmod_swap on real module trees (real depmod -b when installed).

The step boundaries are not listed here: a recording run of the execution core
(KmodSwitch.step is called after every journaled step) enumerates them for each tree, so a
new step is covered automatically. For every boundary the run is stopped there, once by a
hard crash (os._exit in a forked child: no finally, no cleanup) and once by an exception,
then the module runs again with the same arguments. Asserted each time:
- the re-run converges to exactly the tree of an uninterrupted run (content, modes, symlinks);
- nothing is lost: every file content that left its place is in one of the archives;
- the messages say what state the tree is in (and changed=false when nothing changed).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tarfile
from unittest import mock

import pytest

from ansible_collections.cni.ovs.plugins.module_utils import _kmod_exec
from ansible_collections.cni.ovs.plugins.modules import ovs_kmod_swap

from harness import run_module, snapshot_tree  # tests/lib (conftest.py)
from kmod_tree import WU, Tree, version_of

CRASH = 77
JOURNAL = _kmod_exec.JOURNAL
UPSTREAM_SCENARIOS = ('rhel_info', 'rhel_noinfo', 'ubuntu_nobackup', 'ubuntu_info', 'rhel_half', 'rhel_symlinks')


def make_tree(root, scenario):
    os.makedirs(root)
    if scenario != 'rhel_symlinks':
        return Tree(root, scenario)
    # RHEL weak-updates style: two NSX module files are relative links into another kernel's tree
    tree = Tree(root, 'rhel_noinfo')
    other = os.path.join(tree.modules_root, '5.14.0-1.el9', 'extra')
    os.makedirs(other)
    for mod in ('vport-stt.ko', 'vport-lisp.ko'):
        os.rename(tree.path(WU, mod), os.path.join(other, mod))
        os.symlink(os.path.join('..', '..', '..', '5.14.0-1.el9', 'extra', mod), tree.path(WU, mod))
    return tree


def steps_patch(hook):
    original = _kmod_exec.KmodSwitch.step

    def step(self, label):
        original(self, label)
        hook(label)
    return mock.patch.object(_kmod_exec.KmodSwitch, 'step', step)


def record_labels(root, scenario, **over):
    tree = make_tree(root, scenario)
    labels = []
    with steps_patch(labels.append):
        result = run_module(ovs_kmod_swap, tree.params(**over))
    assert not result.get('failed'), result['msg']
    return tree, labels, result


def crash_at(tree, index, **over):
    """Run the module in a forked child that dies (os._exit) right after boundary number ``index``."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            seen = []

            def hook(label):
                seen.append(label)
                if len(seen) - 1 == index:
                    os._exit(CRASH)
            with steps_patch(hook):
                run_module(ovs_kmod_swap, tree.params(**over))
            os._exit(0)
        except BaseException:  # pylint: disable=broad-exception-caught
            os._exit(3)
    _pid, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == CRASH, 'child did not stop at boundary %d: %r' % (index, status)


def raise_at(tree, index, **over):
    seen = []

    def hook(label):
        seen.append(label)
        if len(seen) - 1 == index:
            raise OSError(errno.EIO, 'injected after %s' % label)
    with steps_patch(hook):
        return run_module(ovs_kmod_swap, tree.params(**over)), seen[-1]


def archived_contents(tree):
    have = set()
    for path in tree.archives():
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    have.add((member.name, hashlib.sha256(tar.extractfile(member).read()).hexdigest()))
    return have


def assert_nothing_lost(tree, before, after):
    """Every file content that is no longer at its path (relative to the release dir) is in an archive."""
    prefix = os.path.join('lib', 'modules', tree.release) + '/'
    have = archived_contents(tree)
    for path, entry in before.items():
        if not path.startswith(prefix) or entry[0] != 'file':
            continue
        if after.get(path) == entry:
            continue
        rel = path[len(prefix):]
        assert (rel, entry[2]) in have, '%s left its place and is in no archive (%s)' % (rel, tree.archives())


def tree_snapshot(tree):
    return snapshot_tree(tree.modules_root)


def full_snapshot(tree):
    snap = snapshot_tree(tree.root)
    return dict((k, v) for k, v in snap.items() if not k.startswith('backups'))


def boundary_ids():
    return UPSTREAM_SCENARIOS


@pytest.mark.parametrize('scenario', UPSTREAM_SCENARIOS)
def test_crash_at_every_boundary_then_rerun_converges(tmp_path, scenario):
    ref, labels, _res = record_labels(str(tmp_path / 'ref'), scenario)
    expected = tree_snapshot(ref)
    kinds = set(label.split(' ', 1)[0] for label in labels)
    assert {'start', 'archive', 'journal', 'move' if scenario != 'ubuntu_nobackup' else 'remove', 'rmtree',
            'journal-cleared'} <= kinds, labels
    assert set(kinds) <= set(_kmod_exec.STEP_KINDS), kinds
    for index, label in enumerate(labels):
        tree = make_tree(str(tmp_path / ('c%d' % index)), scenario)
        before = full_snapshot(tree)
        crash_at(tree, index)
        journal_left = os.path.exists(tree.path(JOURNAL))
        archives_left = tree.archives()
        result = run_module(ovs_kmod_swap, tree.params())
        where = '%s crash after %s' % (scenario, label)
        assert not result.get('failed'), '%s: %s' % (where, result.get('msg'))
        assert result['resumed'] is journal_left, where
        if journal_left:
            assert result['changed'] is True, where
            assert set(result['earlier_backup_paths']) <= set(archives_left) and result['earlier_backup_paths'], where
        assert tree_snapshot(tree) == expected, where
        assert not os.path.exists(tree.path(JOURNAL)), where
        assert_nothing_lost(tree, before, full_snapshot(tree))
        again = run_module(ovs_kmod_swap, tree.params())
        assert again['changed'] is False and not again.get('failed'), where
        shutil.rmtree(tree.root)


@pytest.mark.parametrize('scenario', ('rhel_info', 'ubuntu_nobackup', 'rhel_symlinks'))
def test_exception_at_every_boundary_message_then_rerun_converges(tmp_path, scenario):
    ref, labels, _res = record_labels(str(tmp_path / 'ref'), scenario)
    expected = tree_snapshot(ref)
    for index, label in enumerate(labels):
        tree = make_tree(str(tmp_path / ('e%d' % index)), scenario)
        before = full_snapshot(tree)
        result, stopped = raise_at(tree, index)
        where = '%s exception after %s' % (scenario, stopped)
        msg = result.get('msg', '')
        assert result.get('failed') and 'injected after %s' % label in msg, '%s: %r' % (where, msg)
        assert 'Traceback' not in msg
        if label == 'start':
            assert result['changed'] is False and 'Nothing was changed' in msg, where
            assert full_snapshot(tree) == before, where
        else:
            assert result['changed'] is True, where
            assert 'run the module again with the same arguments' in msg, where
        if os.path.exists(tree.path(JOURNAL)):
            assert 'half switched' in msg and tree.path(JOURNAL) in msg, where
        if tree.archives():
            assert all(a in msg for a in tree.archives()), where
        result = run_module(ovs_kmod_swap, tree.params())
        assert not result.get('failed'), '%s: %s' % (where, result.get('msg'))
        assert tree_snapshot(tree) == expected, where
        assert_nothing_lost(tree, before, full_snapshot(tree))
        shutil.rmtree(tree.root)


def test_crash_while_removing_nsx_dir_keeps_restored_modules(tmp_path):
    """Defect 2: the journal lived in nsx/; a run stopped after it was removed with nsx/ but before nsx/ itself was
    gone, and the re-run removed the upstream modules the first run had put back."""
    tree = Tree(str(tmp_path), 'rhel_noinfo')
    real_rmdir = os.rmdir

    def stuck(path, *args, **kwargs):
        if os.path.basename(os.fsdecode(path)) == 'nsx':
            raise OSError(errno.EBUSY, 'Device or resource busy (injected)')
        return real_rmdir(path, *args, **kwargs)
    with mock.patch('os.rmdir', stuck):
        first = run_module(ovs_kmod_swap, tree.params())
    assert first.get('failed') and first.get('changed') is True
    assert os.path.isdir(tree.path('nsx')) and not os.listdir(tree.path('nsx'))
    second = run_module(ovs_kmod_swap, tree.params())
    assert not second.get('failed'), second['msg']
    for mod in ('openvswitch.ko', 'vport-geneve.ko', 'vport-gre.ko', 'vport-vxlan.ko'):
        assert os.path.exists(tree.path(WU, mod)), '%s (restored upstream module) was removed by the re-run' % mod
        assert version_of(tree.path(WU, mod)) == '2.17.9'
    assert not os.path.exists(tree.path('nsx'))


@pytest.mark.parametrize('damage', ['truncated', 'garbage', 'symlink', 'other-release', 'path-escape', 'directory'])
def test_damaged_journal_is_refused_before_any_change(tmp_path, damage):
    tree, labels, _res = record_labels(str(tmp_path / 'ref'), 'rhel_noinfo')
    tree = make_tree(str(tmp_path / 'd'), 'rhel_noinfo')
    crash_at(tree, next(i for i, label in enumerate(labels) if label.startswith('move ')))
    path = tree.path(JOURNAL)
    with open(path, 'rb') as f:
        good = f.read()
    os.unlink(path)
    if damage == 'truncated':
        open(path, 'wb').write(good[:len(good) // 2])
    elif damage == 'garbage':
        open(path, 'wb').write(b'\x00\xff' * 64)
    elif damage == 'symlink':
        elsewhere = os.path.join(tree.root, 'journal-copy')
        open(elsewhere, 'wb').write(good)
        os.symlink(elsewhere, path)
    elif damage == 'other-release':
        open(path, 'wb').write(good.replace(tree.release.encode(), b'4.18.0-1.el8'))
    elif damage == 'path-escape':
        open(path, 'wb').write(good.replace(b'"weak-updates/openvswitch/openvswitch.ko"', b'"../../../../etc/passwd"'))
    else:
        os.makedirs(path)
    before = snapshot_tree(tree.root)
    result = run_module(ovs_kmod_swap, tree.params())
    msg = result.get('msg', '')
    assert result.get('failed') and result.get('changed') is False, result
    assert path in msg and 'Nothing was changed' in msg and 'Traceback' not in msg, msg
    assert snapshot_tree(tree.root) == before
    # check mode and state=nsx say the same and change nothing
    result = run_module(ovs_kmod_swap, tree.params(), check=True)
    assert result.get('failed') and path in result['msg']
    result = run_module(ovs_kmod_swap, tree.params(state='nsx'))
    assert result.get('failed') and path in result['msg']
    assert snapshot_tree(tree.root) == before


def test_legacy_journal_in_nsx_dir_is_honoured(tmp_path):
    """A switch started by the previous version (journal inside nsx/) resumes without removing restored files."""
    tree = Tree(str(tmp_path), 'rhel_noinfo')
    # the previous version had moved openvswitch.ko back and journaled it, then stopped
    os.replace(tree.path('nsx', 'usr-ovs-kmod-backup', 'openvswitch.ko'), tree.path(WU, 'openvswitch.ko'))
    with open(tree.path('nsx', '.cni-ovs-kmod-swap.journal'), 'w') as f:
        f.write('# cni.ovs.ovs_kmod_swap journal v1: upstream modules moved to these paths\n%s/openvswitch.ko\n' % WU)
    result = run_module(ovs_kmod_swap, tree.params())
    assert not result.get('failed'), result['msg']
    assert result['resumed'] is True
    assert version_of(tree.path(WU, 'openvswitch.ko')) == '2.17.9'
    assert {'path': '%s/openvswitch.ko' % WU, 'reason': mock.ANY} in result['kept']


@pytest.mark.skipif(not shutil.which('depmod'), reason='depmod (package kmod) not installed')
def test_state_nsx_crash_at_every_boundary(tmp_path):
    """The other direction: state=nsx only refreshes modules.dep; a crash anywhere converges on re-run."""
    ref, labels, _res = record_labels(str(tmp_path / 'ref'), 'rhel_noinfo', state='nsx')
    assert labels == ['start', 'depmod']
    expected = tree_snapshot(ref)
    for index, label in enumerate(labels):
        tree = make_tree(str(tmp_path / ('n%d' % index)), 'rhel_noinfo')
        crash_at(tree, index, state='nsx')
        result = run_module(ovs_kmod_swap, tree.params(state='nsx'))
        assert not result.get('failed') and result['ready'], result.get('msg')
        assert tree_snapshot(tree) == expected, label
        again = run_module(ovs_kmod_swap, tree.params(state='nsx'))
        assert again['changed'] is False
    # an exception after depmod ran reports changed=true and says modules.dep was rebuilt
    tree = make_tree(str(tmp_path / 'nx'), 'rhel_noinfo')
    result, _label = raise_at(tree, 1, state='nsx')
    assert result['failed'] and result['changed'] is True and 'was rebuilt' in result['msg']
