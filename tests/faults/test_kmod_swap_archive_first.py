# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 18: archive first, always. ovs_kmod_swap on real module trees, with the kernel's module
loading SIMULATED (this kernel has no loadable module support): /proc/modules is a file written by
the test that lists openvswitch as loaded, and `modprobe` is a recording stub that runs nothing
(SimulatedModprobe). depmod is the real one when installed.

Asserted:
- success path: the archive is written, then read back and compared with the files it must hold,
  and only then `modprobe -r` runs and the first file of the tree is moved or removed;
- the archive cannot be written (directory unwritable, file system full, a symbolic link in the
  way) or does not read back as written: no `modprobe -r`, no file moved or removed, the tree
  byte-identical, changed=false, and the message says the modules stay loaded, the files are in
  place, and to re-run with the same arguments.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tarfile
import tempfile
from unittest import mock

import pytest

from ansible_collections.cni.ovs.plugins.module_utils import _exec, _kmod_exec
from ansible_collections.cni.ovs.plugins.modules import ovs_kmod_swap

from harness import run_module, snapshot_tree  # tests/lib (conftest.py)
from kmod_tree import WU, Tree

LOADED = 'vport_geneve 16384 0 - Live 0x0\nopenvswitch 184320 1 vport_geneve, Live 0x0\n'


class SimulatedModprobe:
    """Stands in for _exec.Runner: `modprobe` is recorded and not run (kernel module loading cannot run
    here); every other command (depmod) runs for real. Shares the event list of the test."""

    def __init__(self, events):
        self.events = events
        self.real = _exec.Runner()

    def run(self, argv, **kwargs):
        if os.path.basename(argv[0]) == 'modprobe':
            self.events.append(('modprobe -r' if '-r' in argv else 'modprobe', list(argv)))
            return 0, '', ''
        self.events.append((os.path.basename(argv[0]), list(argv)))
        return self.real.run(argv, **kwargs)


def simulated(tmp_path, events):
    """The patches that make the running kernel look like one with openvswitch loaded."""
    proc = tmp_path / 'proc_modules (simulated)'
    proc.write_text(LOADED)
    runner = SimulatedModprobe(events)
    return [
        mock.patch.object(ovs_kmod_swap, 'PROC_MODULES', str(proc)),
        mock.patch.object(_kmod_exec, 'modprobe_skip_reason', lambda *a: None),
        mock.patch.object(ovs_kmod_swap, 'Runner', lambda: runner),
        mock.patch.object(ovs_kmod_swap.AnsibleModule, 'get_bin_path',
                          lambda self, name, *a, **k: '/usr/sbin/modprobe' if name == 'modprobe' else shutil.which(name)),
    ]


def recording_fs(events, backup_dir):
    """Record the tree changes (rename, unlink, rmdir) and every read of an archive in backup_dir."""
    patches = []
    for name in ('replace', 'unlink', 'rmdir'):
        original = getattr(_kmod_exec.FileOps, name)

        def wrapped(self, *args, _original=original, _name=name):
            events.append((_name, args[0]))
            return _original(self, *args)
        patches.append(mock.patch.object(_kmod_exec.FileOps, name, wrapped))
    write_archive = _kmod_exec.FileOps.write_archive

    def archive(self, path, members):
        write_archive(self, path, members)
        events.append(('archive written', path))
    patches.append(mock.patch.object(_kmod_exec.FileOps, 'write_archive', archive))
    real_open = tarfile.open

    def tar_open(name=None, mode='r', *args, **kwargs):
        target = name if name is not None else getattr(kwargs.get('fileobj'), 'name', '')
        if mode.startswith('r') and str(target).startswith(backup_dir):
            events.append(('archive read back', target))
        return real_open(name, mode, *args, **kwargs)
    patches.append(mock.patch.object(tarfile, 'open', tar_open))
    return patches


def run_with(patches, tree, **over):
    for p in patches:
        p.start()
    try:
        return run_module(ovs_kmod_swap, tree.params(**over))
    finally:
        for p in reversed(patches):
            p.stop()


def tree_changes(events):
    """Moves and removals inside the module tree (the journal and backup_dir are not the tree)."""
    return [e for e in events if e[0] in ('replace', 'unlink', 'rmdir') and '/lib/modules/' in str(e[1])
            and not str(e[1]).endswith(_kmod_exec.JOURNAL)]


@pytest.mark.parametrize('scenario', ['rhel_noinfo', 'ubuntu_nobackup'])
def test_archive_is_written_and_read_back_before_modprobe_r_and_any_removal(tmp_path, scenario):
    tree = Tree(tmp_path / 't', scenario)
    events = []
    result = run_with(simulated(tmp_path, events) + recording_fs(events, tree.backup_dir), tree)
    assert not result.get('failed'), result.get('msg')
    kinds = [e[0] for e in events]
    assert 'archive written' in kinds and 'modprobe -r' in kinds and tree_changes(events), kinds
    written = kinds.index('archive written')
    assert 'archive read back' in kinds[written:], 'the archive was never read back before the unload: %s' % kinds
    verified = written + kinds[written:].index('archive read back')
    unload = kinds.index('modprobe -r')
    first_change = events.index(tree_changes(events)[0])
    assert written < verified < unload < first_change, kinds
    assert result['modprobe_unloaded'] == ['vport_geneve', 'openvswitch']
    assert dict(events)['modprobe -r'] == ['/usr/sbin/modprobe', '-r', '--', 'vport_geneve', 'openvswitch']
    # the archive holds exactly the planned files, with their content before the run
    with tarfile.open(result['backup_path']) as tar:
        assert sorted(tar.getnames()) == sorted(result['archived'])


def _unwritable(tree, _tmp_path):
    """mkstemp in backup_dir fails with EACCES (SIMULATED: the tests run as root, which ignores modes)."""
    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        if os.path.abspath(str(kwargs.get('dir', ''))) == tree.backup_dir:
            raise PermissionError(errno.EACCES, 'Permission denied (simulated)', kwargs.get('dir'))
        return real(*args, **kwargs)
    return [mock.patch.object(tempfile, 'mkstemp', mkstemp)], None


def _full(tree, _tmp_path):
    """fsync of the archive fails with ENOSPC, as a full file system reports delayed allocation (SIMULATED)."""
    real = os.fsync

    def fsync(fd):
        if os.readlink('/proc/self/fd/%d' % fd).startswith(tree.backup_dir + '/'):
            raise OSError(errno.ENOSPC, 'No space left on device (simulated)')
        return real(fd)
    return [mock.patch.object(os, 'fsync', fsync)], None


def _lost_write(tree, _tmp_path):
    """The archive is written and renamed, but what reads back is cut short (storage that lost the tail;
    SIMULATED by truncating it right after the atomic write returned)."""
    real = _kmod_exec.write_atomic

    def write_atomic(path, *args, **kwargs):
        out = real(path, *args, **kwargs)
        if path.endswith('.tar.gz'):
            with open(path, 'r+b') as f:
                f.truncate(os.path.getsize(path) // 2)
        return out
    return [mock.patch.object(_kmod_exec, 'write_atomic', write_atomic)], None


def _symlink_to_file(tree, tmp_path):
    """backup_dir is a symbolic link to a regular file (a real link: nothing simulated)."""
    target = tmp_path / 'not-a-dir'
    target.write_text('x')
    link = os.path.join(str(tmp_path), 'backup-link')
    os.symlink(str(target), link)
    return [], link


def _symlink_dangling(tree, tmp_path):
    """backup_dir is a dangling symbolic link (a real link)."""
    link = os.path.join(str(tmp_path), 'backup-dangling')
    os.symlink(os.path.join(str(tmp_path), 'gone'), link)
    return [], link


FAULTS = {'unwritable': _unwritable, 'full': _full, 'lost-write': _lost_write,
          'symlink-to-file': _symlink_to_file, 'symlink-dangling': _symlink_dangling}
AT_RUN_TIME = ('unwritable', 'full', 'lost-write')  # the others are refused by the input checks


@pytest.mark.parametrize('fault', sorted(FAULTS))
def test_archive_failure_leaves_modules_loaded_and_files_in_place(tmp_path, fault):
    tree = Tree(tmp_path / 't', 'rhel_noinfo')
    patches, backup_dir = FAULTS[fault](tree, tmp_path)
    over = {'backup_dir': backup_dir} if backup_dir else {}
    before = snapshot_tree(tree.modules_root)
    events = []
    result = run_with(simulated(tmp_path, events) + recording_fs(events, tree.backup_dir) + patches, tree, **over)
    msg = result.get('msg', '')
    assert result.get('failed'), result
    assert result.get('changed') is False, result
    assert 'Traceback' not in msg
    assert not [e for e in events if e[0] == 'modprobe -r'], 'modprobe -r ran although the archive failed: %s' % events
    assert not tree_changes(events), events
    assert snapshot_tree(tree.modules_root) == before, 'the module tree changed'
    assert 'Nothing was changed' in msg and (backup_dir or tree.backup_dir) in msg, msg
    if fault in AT_RUN_TIME:
        assert 'no kernel module was unloaded' in msg and 'no file was moved or removed' in msg, msg
        assert 'run the module again with the same arguments' in msg, msg
        # no archive, and no temporary file of one, is left behind
        left = os.listdir(tree.backup_dir) if os.path.isdir(tree.backup_dir) else []
        assert left == [], left
    # the fault removed, the same arguments finish the switch with the archive written first
    result = run_with(simulated(tmp_path, events), tree, **over) if not backup_dir else None
    if result is not None:
        assert not result.get('failed'), result.get('msg')
        with tarfile.open(result['backup_path']) as tar:
            got = dict((m.name, hashlib.sha256(tar.extractfile(m).read()).hexdigest()) for m in tar.getmembers() if m.isfile())
        assert got['%s/openvswitch.ko' % WU] == before[os.path.join(tree.release, WU, 'openvswitch.ko')][2]
