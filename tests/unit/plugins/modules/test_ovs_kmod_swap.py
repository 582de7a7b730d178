# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ovs_kmod_swap on real file trees in a temp dir (the layouts of tests/lib/mktree.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tarfile
from unittest import mock

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.cni.ovs.plugins.modules import ovs_kmod_swap
from ansible_collections.cni.ovs.plugins.module_utils import _exec, _kmod_exec
from ansible_collections.cni.ovs.plugins.module_utils._kmod import parse_modinfo

REAL_RUN = _exec.Runner.run

HERE = os.path.dirname(__file__)
# tests/lib/mktree.py
sys.path.insert(0, os.path.join(HERE, '..', '..', '..', 'lib'))
import mktree  # noqa: E402  pylint: disable=wrong-import-position

R = '5.14.0-1.el9'
WU = 'weak-updates/openvswitch'
BK = 'nsx/usr-ovs-kmod-backup'


@pytest.fixture
def root(tmp_path):
    return str(tmp_path)


def lay(root, scenario, release=R):
    return mktree.layout(os.path.join(root, 'lib', 'modules'), release, scenario)


def snapshot(root):
    """{relative path: sha256 or 'dir' or 'link->target'} of everything under root."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if os.path.islink(full):
                snap[rel] = 'link->' + os.readlink(full)
            elif os.path.isdir(full):
                snap[rel] = 'dir'
            else:
                with open(full, 'rb') as f:
                    snap[rel] = hashlib.sha256(f.read()).hexdigest()
    return snap


class Runner:
    def __init__(self):
        self.calls = []
        self.rc = {}

    def __call__(self, argv):
        self.calls.append(list(argv))
        return self.rc.get(os.path.basename(argv[0]), (0, '', ''))


def run(root, capsys, check=False, diff=False, runner=None, **args):
    params = {'state': 'upstream', 'kernel_release': R, 'modules_root': os.path.join(root, 'lib', 'modules'),
              'backup_dir': os.path.join(root, 'backups')}
    params.update(args)
    params['_ansible_check_mode'] = check
    params['_ansible_diff'] = diff
    runner = runner or Runner()
    if isinstance(runner, Runner):
        def method(_runner_self, argv, data=None, timeout=None):  # pylint: disable=unused-argument
            return runner(argv)
    else:
        method = runner
    with patch_module_args(params):
        with mock.patch.object(_exec.Runner, 'run', method):
            with mock.patch.object(ovs_kmod_swap.AnsibleModule, 'get_bin_path',
                                   lambda self, name, *a, **k: '/usr/sbin/' + name):
                with pytest.raises(SystemExit):
                    ovs_kmod_swap.main()
    out = json.loads(capsys.readouterr().out)
    return out, runner


def run_res(root, capsys, **kwargs):
    return run(root, capsys, **kwargs)[0]


def rel_files(root, *parts):
    base = os.path.join(root, 'lib', 'modules', R, *parts)
    found = []
    for dirpath, _dirs, files in os.walk(base):
        for f in files:
            found.append(os.path.relpath(os.path.join(dirpath, f), base))
    return sorted(found)


def version_of(path):
    with open(path, 'rb') as f:
        return parse_modinfo(f.read()).get('version')


def test_four_ways_rhel_info(root, capsys):
    lay(root, 'rhel_info')
    before = snapshot(root)
    # check
    res, runner = run(root, capsys, check=True, diff=True)
    assert res['changed'] is True and not res.get('failed')
    assert snapshot(root) == before, 'check mode changed files'
    assert runner.calls == []
    assert 'nsx/usr-ovs-kmod-backup/INFO' in res['diff']['before']
    assert 'extra/openvswitch/openvswitch.ko' in res['diff']['after']
    assert res['modules_found']['%s/openvswitch.ko' % WU]['version'] == '2.17.1.20950nsx'
    assert res['modules_found']['%s/openvswitch.ko' % BK]['version'] == '2.17.9'
    # apply
    res, runner = run(root, capsys, diff=True)
    assert res['changed'] is True
    rel = os.path.join(root, 'lib', 'modules', R)
    assert not os.path.exists(os.path.join(rel, 'nsx'))
    assert rel_files(root, 'weak-updates') == ['openvswitch/vport-vxlan.ko']
    assert version_of(os.path.join(rel, WU, 'vport-vxlan.ko')) == '2.17.9'
    assert rel_files(root, 'extra') == ['openvswitch/openvswitch.ko', 'openvswitch/vport-geneve.ko', 'openvswitch/vport-gre.ko']
    assert runner.calls == [['/usr/sbin/depmod', '-b', root, '--', R]]
    assert {'action': 'modprobe', 'reason': mock.ANY} in res['skipped_actions']
    # the archive: 0600, members relative to the release dir, and the NSX content itself
    path = res['backup_path']
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    with tarfile.open(path) as tar:
        names = sorted(tar.getnames())
        data = tar.extractfile('%s/vport-stt.ko' % WU).read()
    assert names == sorted(res['archived'])
    assert len(names) == 11
    assert parse_modinfo(data)['version'] == '2.17.1.20950nsx'
    after = snapshot(root)
    # idempotent (depmod not run: the fake runner did not write modules.dep, so make it fresh first)
    open(os.path.join(rel, 'modules.dep'), 'w').write('%s/vport-vxlan.ko:\n' % WU)
    res, runner = run(root, capsys)
    assert res['changed'] is False and runner.calls == [] and res['backup_path'] is None
    res, runner = run(root, capsys, check=True, diff=True)
    assert res['changed'] is False and runner.calls == []
    assert res['diff']['before'] == res['diff']['after']
    after.pop('lib/modules/%s/modules.dep' % R, None)
    now = snapshot(root)
    now.pop('lib/modules/%s/modules.dep' % R)
    assert now == after


def test_real_depmod_refreshes_index(root, capsys):
    if not shutil.which('depmod'):
        pytest.skip('depmod (package kmod) not installed')
    lay(root, 'rhel_noinfo')
    rel = os.path.join(root, 'lib', 'modules', R)

    def real(runner_self, argv, data=None, timeout=None):
        argv = [shutil.which('depmod')] + argv[1:]
        return REAL_RUN(runner_self, argv, data=data, timeout=timeout)
    res = run_res(root, capsys, runner=real)
    assert res['changed'] and res['depmod'][-4:] == ['-b', root, '--', R]
    with open(os.path.join(rel, 'modules.dep')) as f:
        dep = f.read()
    assert '%s/vport-stt.ko' % WU not in dep and 'nsx/' not in dep
    res = run_res(root, capsys, runner=real)
    assert res['changed'] is False and res['depmod'] is None
    # a stale index (a file listed in modules.dep gone) makes depmod run again: that is a change
    os.unlink(os.path.join(rel, WU, 'vport-gre.ko'))
    res = run_res(root, capsys, runner=real)
    assert res['changed'] is True and res['depmod']


def test_failure_midway_leaves_resumable_tree(root, capsys):
    lay(root, 'rhel_noinfo')
    clean_root = os.path.join(root, 'clean')
    os.makedirs(clean_root)
    lay(clean_root, 'rhel_noinfo')
    run(clean_root, capsys)
    expected = dict((k, v) for k, v in snapshot(os.path.join(clean_root, 'lib')).items())

    real_replace = os.replace
    calls = []

    def flaky(src, dst):
        if BK not in src:  # the journal and the archive are written through os.replace too
            return real_replace(src, dst)
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(30, 'Read-only file system')
        return real_replace(src, dst)
    with mock.patch.object(_kmod_exec.os, 'replace', flaky):
        res, runner = run(root, capsys)
    assert res['failed'] is True
    assert 'Read-only file system' in res['msg']
    assert 'moved nsx/usr-ovs-kmod-backup/vport-geneve.ko' in res['msg']
    assert 'run the module again with the same arguments' in res['msg']
    assert res['backup_path'] in res['msg'] and os.path.exists(res['backup_path'])
    assert runner.calls == []  # no depmod after a failure
    rel = os.path.join(root, 'lib', 'modules', R)
    assert os.path.exists(os.path.join(rel, '.cni-ovs-kmod-swap.journal'))
    # every module name still has a file (upstream or NSX): nothing was removed before the failure
    assert rel_files(root, WU) == sorted(mktree.NSX_MODS)
    # resume: the moved upstream files are kept, not removed as if they were NSX's
    res, runner = run(root, capsys)
    assert res['changed'] and not res.get('failed')
    assert [k['path'] for k in res['kept']] == ['%s/openvswitch.ko' % WU, '%s/vport-geneve.ko' % WU]
    got = snapshot(os.path.join(root, 'lib'))
    assert got == expected
    for m in mktree.UPSTREAM_MODS:
        assert version_of(os.path.join(rel, WU, m)) == '2.17.9'


def test_depmod_failure_message(root, capsys):
    lay(root, 'ubuntu_nobackup')
    runner = Runner()
    runner.rc['depmod'] = (1, '', 'depmod: FATAL: boom')
    res = run_res(root, capsys, runner=runner)
    assert res['failed'] and 'depmod: FATAL: boom' in res['msg'] and 'removed nsx/' in res['msg']
    # the vbox module sharing updates/dkms is untouched, NSX files are gone
    assert rel_files(root, 'updates/dkms') == ['vboxdrv.ko']
    # re-run: tree already switched; modules.dep is missing, so depmod is tried again
    runner.rc = {}
    res, runner = run(root, capsys, runner=runner)
    assert res['changed'] and runner.calls and runner.calls[0][1:] == ['-b', root, '--', R]


@pytest.mark.parametrize('args, message', [
    ({'modules': ['../openvswitch.ko']}, 'plain file names'),
    ({'kernel_release': '9.9.9'}, 'has no module tree'),
    ({'kernel_release': '../x'}, 'not a kernel release'),
    ({'nsx_location': '/lib/modules'}, 'nsx_location'),
    ({'nsx_location': 'nsx/usr-ovs-kmod-backup'}, 'outside nsx/'),
])
def test_bad_input_fails_before_any_change(root, capsys, args, message):
    lay(root, 'rhel_info')
    before = snapshot(root)
    res, runner = run(root, capsys, **args)
    assert res['failed'] and message in res['msg'] and 'Nothing was changed' in res['msg']
    assert snapshot(root) == before and runner.calls == []


def test_bad_info_line_fails_and_use_info_false_ignores_it(root, capsys):
    lay(root, 'rhel_noinfo')
    rel = os.path.join(root, 'lib', 'modules', R)
    with open(os.path.join(rel, BK, 'INFO'), 'w') as f:
        f.write('openvswitch.ko /etc/openvswitch.ko\n')
    before = snapshot(root)
    res = run_res(root, capsys)
    assert res['failed'] and 'INFO line 1' in res['msg'] and 'outside the module tree' in res['msg']
    assert snapshot(root) == before
    res = run_res(root, capsys, use_info=False)
    assert res['changed'] and version_of(os.path.join(rel, WU, 'openvswitch.ko')) == '2.17.9'


def test_unusable_backup_dir_fails_before_tree_change(root, capsys):
    lay(root, 'rhel_noinfo')
    blocker = os.path.join(root, 'backups')
    open(blocker, 'w').close()
    before = snapshot(root)
    res = run_res(root, capsys)
    assert res['failed'] and 'backup_dir' in res['msg'] and blocker in res['msg'] and 'Nothing was changed' in res['msg']
    assert res['changed'] is False
    assert snapshot(root) == before


def test_backup_false(root, capsys):
    lay(root, 'ubuntu_nobackup')
    res = run_res(root, capsys, backup=False)
    assert res['changed'] and res['backup_path'] is None and res['archived'] == []
    assert not os.path.exists(os.path.join(root, 'backups'))
    assert {'action': 'backup', 'reason': 'backup=false: the removed files are not archived'} in res['skipped_actions']


def test_conflict_fails_before_any_change(root, capsys):
    lay(root, 'rhel_info')
    rel = os.path.join(root, 'lib', 'modules', R)
    os.makedirs(os.path.join(rel, 'extra', 'openvswitch'))
    with open(os.path.join(rel, 'extra', 'openvswitch', 'openvswitch.ko'), 'wb') as f:
        f.write(b'something else')
    before = snapshot(root)
    res = run_res(root, capsys)
    assert res['failed'] and 'already holds a different file' in res['msg']
    assert snapshot(root) == before


def test_modprobe_unload_and_load_when_kernel_supports_it(root, capsys, tmp_path):
    lay(root, 'rhel_noinfo')
    proc = tmp_path / 'proc_modules'
    proc.write_text('vport_geneve 16384 0 - Live 0x0\nopenvswitch 184320 1 vport_geneve, Live 0x0\n')
    with mock.patch.object(ovs_kmod_swap, 'PROC_MODULES', str(proc)):
        with mock.patch.object(_kmod_exec, 'modprobe_skip_reason', lambda *a: None):
            res, runner = run(root, capsys)
    assert runner.calls == [
        ['/usr/sbin/modprobe', '-r', '--', 'vport_geneve', 'openvswitch'],
        ['/usr/sbin/depmod', '-b', root, '--', R],
        ['/usr/sbin/modprobe', '--', 'openvswitch'],
    ]
    assert res['modprobe_unloaded'] == ['vport_geneve', 'openvswitch'] and res['modprobe_loaded'] == ['openvswitch']


def test_modprobe_unload_failure_is_a_warning(root, capsys, tmp_path):
    lay(root, 'rhel_noinfo')
    proc = tmp_path / 'proc_modules'
    proc.write_text('openvswitch 184320 2 - Live 0x0\n')
    runner = Runner()
    runner.rc['modprobe'] = (1, '', 'modprobe: FATAL: Module openvswitch is in use.')
    warned = []
    with mock.patch.object(ovs_kmod_swap, 'PROC_MODULES', str(proc)):
        with mock.patch.object(_kmod_exec, 'modprobe_skip_reason', lambda *a: None):
            # AnsibleModule.warn routes differently once controller code is imported in the same
            # pytest process, so record the calls instead of reading result['warnings']
            with mock.patch.object(ovs_kmod_swap.AnsibleModule, 'warn', lambda self, msg: warned.append(msg)):
                res, runner = run(root, capsys, runner=runner)
    assert res['changed'] and not res.get('failed')
    assert len(warned) == 1 and 'Module openvswitch is in use' in warned[0] and 'stay until the reboot' in warned[0]
    assert [c[0] for c in runner.calls] == ['/usr/sbin/modprobe', '/usr/sbin/depmod']


def test_state_nsx(root, capsys):
    lay(root, 'rhel_noinfo')
    res = run_res(root, capsys, state='nsx')
    assert res['ready'] and res['tree_state'] == 'nsx' and res['changed'] is True  # modules.dep missing: depmod
    res = run_res(root, capsys, state='upstream')
    rel = os.path.join(root, 'lib', 'modules', R)
    open(os.path.join(rel, 'modules.dep'), 'w').write('')
    res, runner = run(root, capsys, state='nsx')
    assert res['ready'] and res['tree_state'] == 'upstream' and res['changed'] is False and runner.calls == []
    assert any('does not install NSX-OVS' in x for x in res['not_done'])
    # half-finished upstream switch: not ready, says how to go on
    os.makedirs(os.path.join(rel, 'nsx'))
    open(os.path.join(rel, 'nsx', '.cni-ovs-kmod-swap.journal'), 'w').write('# x\n')
    res = run_res(root, capsys, state='nsx')
    assert res['failed'] and 'run state=upstream again' in res['msg'] and 'Nothing was changed' in res['msg']


def test_state_nsx_missing_release(root, capsys):
    os.makedirs(os.path.join(root, 'lib', 'modules'))
    res = run_res(root, capsys, state='nsx', kernel_release='5.14.0-9.el9')
    assert res['failed'] and 'has no module tree' in res['msg']
