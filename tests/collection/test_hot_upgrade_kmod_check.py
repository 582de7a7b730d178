# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed 003's first condition through the real playbook: before a node's restart the role judges
the new userspace against the loaded openvswitch kernel module, and a mismatch stops the node
with its vswitchd untouched.

One local host drives a private Open vSwitch of this machine (ovsdb-server + ovs-vswitchd,
userspace datapath, tests/lib/ovs.sh, state under a temporary directory). Kernel modules cannot
be loaded here: the module's sysfs directory is SIMULATED, a directory with the files a loaded
module shows (``initstate``, and ``version`` for an out-of-tree module), passed to the role as
its internal ``ovs_hot_upgrade__kmod_sysfs``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
HELPER = os.path.join(ROOT, 'tests', 'lib', 'ovs.sh')
CHECK = 'Upgrade | The new userspace is compatible with the loaded kernel module'
RESTART = 'Upgrade | Save, stop, flow-restore-wait, start, restore, clear'


@pytest.fixture(name='ovs', scope='module')
def fixture_ovs(tmp_path_factory):
    base = str(tmp_path_factory.mktemp('kmod-ovs'))
    subprocess.run([HELPER, base, 'start'], check=True)
    subprocess.run([HELPER, base, 'rich-table'], check=True)
    yield base
    subprocess.run([HELPER, base, 'stop'], check=False)


def _pid(base):
    with open(os.path.join(base, 'run', 'ovs-vswitchd.pid'), encoding='ascii') as f:
        return int(f.read())


def _run(base, tmp_path, sysfs, **extra):
    env_prefix = ['env', 'OVS_RUNDIR=%s/run' % base, 'OVS_DBDIR=%s/db' % base, 'OVS_LOGDIR=%s/log' % base,
                  'OVS_SYSCONFDIR=%s/etc' % base]
    inv = {'all': {'children': {'kube_node': {'hosts': {'kmod-node': {}}, 'vars': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        'ovs_hot_upgrade_db': 'unix:%s/run/db.sock' % base, 'ovs_hot_upgrade_rundir': '%s/run' % base,
        'ovs_hot_upgrade_log_file': '%s/log/ovs-vswitchd.log' % base, 'ovs_hot_upgrade_save_dir': '%s/save' % base,
        'ovs_hot_upgrade_restart_command': env_prefix + ['/usr/share/openvswitch/scripts/ovs-ctl', '--no-ovsdb-server',
                                                         '--no-monitor', '--no-mlockall', 'start'],
        'ovs_hot_upgrade_stop_command': []}}}}}
    (tmp_path / 'inventory.json').write_text(json.dumps(inv))
    (tmp_path / 'ansible.cfg').write_text('[defaults]\nstdout_callback = ansible.builtin.json\n')
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'),
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_NOCOLOR='1', LANG='C.UTF-8')
    for k in ('ANSIBLE_COLLECTIONS_PATHS', 'PYTHONPATH', 'ANSIBLE_STDOUT_CALLBACK', 'ANSIBLE_CALLBACKS_ENABLED'):
        env.pop(k, None)
    extra_vars = dict({'ovs_hot_upgrade_packages': [], 'ovs_hot_upgrade_force_restart': True,
                       'ovs_hot_upgrade__kmod_sysfs': str(sysfs)}, **extra)
    res = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(tmp_path / 'inventory.json'),
                          os.path.join(ROOT, 'playbooks', 'ovs_hot_upgrade.yml'), '-e', json.dumps(extra_vars)],
                         env=env, capture_output=True, text=True, check=False, cwd=str(tmp_path), timeout=600)
    out = json.loads(res.stdout[res.stdout.index('{'):])
    tasks = {t['task']['name'].split(' : ', 1)[-1]: t['hosts'].get('kmod-node', {}) for p in out['plays'] for t in p['tasks']}
    return res.returncode, tasks


def _module_dir(tmp_path, version=None):
    d = tmp_path / 'sys-module-openvswitch'
    d.mkdir()
    (d / 'initstate').write_text('live\n')
    if version is not None:
        (d / 'version').write_text(version + '\n')
    return d


def test_out_of_tree_module_of_another_series_stops_the_node_untouched(ovs, tmp_path):
    before = _pid(ovs)
    rc, tasks = _run(ovs, tmp_path, _module_dir(tmp_path, '2.17.9'))
    assert rc != 0
    msg = tasks[CHECK]['msg']
    assert 'out-of-tree module 2.17.9' in msg and 'series 2.17' in msg and 'was not restarted' in msg, msg
    assert 'ovs_hot_upgrade_kmod_mismatch_ok=true' in msg, msg
    assert not any(name.startswith(RESTART) for name in tasks), sorted(tasks)
    assert _pid(ovs) == before


def test_the_operator_can_accept_the_mismatch(ovs, tmp_path):
    before = _pid(ovs)
    rc, tasks = _run(ovs, tmp_path, _module_dir(tmp_path, '2.17.9'), ovs_hot_upgrade_kmod_mismatch_ok=True)
    assert rc == 0, tasks.get(CHECK)
    assert 'mismatch accepted' in tasks[CHECK]['msg']
    assert _pid(ovs) != before


def test_same_series_module_and_no_module_pass(ovs, tmp_path):
    rc, tasks = _run(ovs, tmp_path, _module_dir(tmp_path, '3.1.4'))
    assert rc == 0, tasks.get(CHECK)
    assert 'same release series 3.1' in tasks[CHECK]['msg']
    (tmp_path / 'none').mkdir()
    before = _pid(ovs)
    rc, tasks = _run(ovs, tmp_path / 'none', tmp_path / 'none' / 'no-such-module')
    assert rc == 0, tasks.get(CHECK)
    assert 'no openvswitch kernel module is loaded' in tasks[CHECK]['msg']
    assert _pid(ovs) != before
