# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch sizes (play-level serial) through the real ansible-playbook and the real playbooks, on an
inventory of four local hosts: an unsafe or malformed size stops the first play on its first task,
before the role's preflight and before the change play starts, with a message naming the variable
and the value; a valid size gives the batches Ansible computes for it.

The change plays are reached with `--tags always`: only the tasks tagged always run (the batch
check, and the argument validation Ansible adds to a play's roles, which shows the hosts of each
batch); nothing of the roles' own work runs on the test machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)
HOSTS = ['n1', 'n2', 'n3', 'n4']

OVS_FIRST = 'Preflight | Batch size (ovs_hot_upgrade_serial), checked before anything changes'
NSX_FIRST = 'Preflight | Batch size (nsx_node_prep_serial), checked before anything changes'
MIG_FIRST = 'Preflight | Reboot batch (ovn_kubernetes_migration_reboot_batch), checked before anything changes'


@pytest.fixture(name='run')
def fixture_run(tmp_path):
    (tmp_path / 'ansible.cfg').write_text('[defaults]\nstdout_callback = ansible.builtin.json\n')

    def run(playbook, *args, inventory_vars=''):
        inv = tmp_path / 'inventory.ini'
        inv.write_text('[kube_node]\n%s\n[kube_node:vars]\nansible_connection=local\nansible_python_interpreter=%s\n%s\n'
                       % ('\n'.join(HOSTS), sys.executable, inventory_vars))
        env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'), ANSIBLE_LOCALHOST_WARNING='0',
                   ANSIBLE_NOCOLOR='1', LANG='C.UTF-8')
        for k in ('ANSIBLE_COLLECTIONS_PATHS', 'PYTHONPATH', 'ANSIBLE_STDOUT_CALLBACK', 'ANSIBLE_CALLBACKS_ENABLED'):
            env.pop(k, None)
        r = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', str(inv), os.path.join(ROOT, 'playbooks', playbook)]
                           + list(args), env=env, capture_output=True, text=True, check=False, cwd=str(tmp_path))
        try:
            out = json.loads(r.stdout)
        except ValueError:
            raise AssertionError('no JSON from ansible-playbook (rc %d): %s %s' % (r.returncode, r.stdout, r.stderr))
        return r.returncode, out

    return run


def _refused(out, first_task):
    """The run stopped on the first task of the first play; returns the failure message."""
    assert len(out['plays']) == 1, [p['play']['name'] for p in out['plays']]
    tasks = out['plays'][0]['tasks']
    assert [t['task']['name'] for t in tasks] == [first_task], 'the role preflight must not have started'
    results = list(tasks[0]['hosts'].values())
    assert len(results) == 1 and results[0].get('failed'), results  # run_once: one result
    assert not results[0].get('changed')
    assert out['stats'] and all(s['changed'] == 0 for s in out['stats'].values())
    return results[0]['msg']


# Every kind of refusal is in tests/unit and tests/hostile; here one of each path through the playbook
# (an -e string, a JSON extra var of the wrong type, a batch too large, an inventory variable).
@pytest.mark.parametrize('args, inventory_vars, expected', [
    (['-e', 'ovs_hot_upgrade_serial=150%'], '', "ovs_hot_upgrade_serial='150%': a percentage must be 1%..100%"),
    (['-e', '{"ovs_hot_upgrade_serial": true}'], '', 'ovs_hot_upgrade_serial=True: a boolean'),
    (['-e', 'ovs_hot_upgrade_serial=3'], '', "ovs_hot_upgrade_serial='3': batches of 3 of the play's 4 hosts; the largest "
                                             'allowed batch is 2 (half of the hosts, rounded down, at least 1)'),
    ([], 'ovs_hot_upgrade_serial=75%', 'set ovs_hot_upgrade_serial_allow_large=true to allow larger batches'),
])
def test_ovs_hot_upgrade_refuses_before_any_change(run, args, inventory_vars, expected):
    rc, out = run('ovs_hot_upgrade.yml', *args, inventory_vars=inventory_vars)
    assert rc != 0
    msg = _refused(out, OVS_FIRST)
    assert expected in msg, msg


def test_nsx_node_prep_refuses_before_any_change(run):
    rc, out = run('nsx_node_prep.yml', '-e', 'nsx_node_prep_uplink=eth1', '-e', 'nsx_node_prep_serial=75%')
    assert rc != 0
    msg = _refused(out, NSX_FIRST)
    assert "nsx_node_prep_serial='75%': batches of 3" in msg and 'set nsx_node_prep_serial_allow_large=true' in msg, msg


def _batches(out, play_name):
    """Hosts of each batch of the change play, as shown by its role's argument validation."""
    batches = []
    for play in out['plays']:
        if play['play']['name'] == play_name:
            batches.append(sorted(h for t in play['tasks'] for h in t['hosts']))
    return batches


@pytest.mark.parametrize('args, inventory_vars, expected', [
    ([], '', [['n1'], ['n2'], ['n3'], ['n4']]),
    (['-e', 'ovs_hot_upgrade_serial=50%'], '', [['n1', 'n2'], ['n3', 'n4']]),
    ([], 'ovs_hot_upgrade_serial=2', [['n1', 'n2'], ['n3', 'n4']]),  # an inventory variable is used too
    (['-e', 'ovs_hot_upgrade_serial=75%', '-e', 'ovs_hot_upgrade_serial_allow_large=true'], '',
     [['n1', 'n2', 'n3'], ['n4']]),
])
def test_ovs_hot_upgrade_batches(run, args, inventory_vars, expected):
    rc, out = run('ovs_hot_upgrade.yml', '--tags', 'always', *args, inventory_vars=inventory_vars)
    assert rc == 0, json.dumps(out)[:2000]
    assert [t['task']['name'] for t in out['plays'][0]['tasks']][0] == OVS_FIRST
    assert _batches(out, 'OVS hot upgrade - node by node') == expected


def test_nsx_node_prep_batches(run):
    rc, out = run('nsx_node_prep.yml', '--tags', 'always', '-e', 'nsx_node_prep_uplink=eth1', '-e', 'nsx_node_prep_serial=50%')
    assert rc == 0, json.dumps(out)[:2000]
    assert _batches(out, 'NSX node prep - persist the uplink, node by node') == [['n1', 'n2'], ['n3', 'n4']]


def test_migration_reboot_batch_default_is_every_node(run):
    """Every node at once stays the default (no half rule for the migration's reboot)."""
    rc, out = run('migrate_to_ovn_kubernetes.yml', '--tags', 'always')
    assert rc == 0, json.dumps(out)[:2000]
    names = [p['play']['name'] for p in out['plays']]
    assert len([n for n in names if n.startswith('Network migration - reboot every node')]) == 1, names


def test_migration_reboot_batch_refused(run):
    rc, out = run('migrate_to_ovn_kubernetes.yml', '-e', 'ovn_kubernetes_migration_reboot_batch=0')
    assert rc != 0
    assert "ovn_kubernetes_migration_reboot_batch='0': must be at least 1" in _refused(out, MIG_FIRST)
