# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kube_ovn_central's quorum plan (issue 18) through the real ansible-playbook on localhost: the
role's own task file (tasks/quorum_plan.yml) and its step lists (vars/main.yml), fed with the raft
view and NODE_IPS the preflight reads from a cluster (here given as variables: the entry points
need a Kubernetes API and raft members, which the lab provides and this layer does not use).
A plan whose margin reaches 0 is refused, in check mode too, naming the step, the margin and the
override; with the override, or with 5 members, the plan is printed and the run goes on. The
entry point's argument validation refuses a non-boolean override before any task."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)

PLAY = """
- name: Quorum plan of a replacement
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ips: %(ips)s
    kube_ovn_central_remove_node: lab-node-3
    kube_ovn_central_add_node: lab-node-4
    kube_ovn_central__remove_ip: 198.18.0.13
    kube_ovn_central__add_ip: 198.18.0.14
    kube_ovn_central__node_ips: "{{ ips }}"
    kube_ovn_central__view:
      ips: "{{ ips }}"
      servers: %(servers)s
      unreachable: []
  tasks:
    - name: Raft view
      ansible.builtin.set_fact:
        kube_ovn_central__raft: {nb: "{{ kube_ovn_central__view }}", sb: "{{ kube_ovn_central__view }}"}
    - name: Plan
      ansible.builtin.include_role:
        name: cni.ovs.kube_ovn_central
        tasks_from: quorum_plan
      vars:
        kube_ovn_central__plan_steps: "{{ kube_ovn_central__plan_add_steps + kube_ovn_central__plan_remove_steps }}"
        kube_ovn_central__plan_add_clients: false
    - name: Past the preflight
      ansible.builtin.debug:
        msg: reached
"""

ENTRY = """
- name: Remove entry point, argument validation
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Remove
      ansible.builtin.include_role:
        name: cni.ovs.kube_ovn_central
        tasks_from: remove
"""


@pytest.fixture(name='run')
def fixture_run(tmp_path):
    (tmp_path / 'ansible.cfg').write_text('[defaults]\nstdout_callback = ansible.builtin.json\n')

    def run(play, *args):
        (tmp_path / 'play.yml').write_text(play)
        env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'), ANSIBLE_LOCALHOST_WARNING='0',
                   ANSIBLE_NOCOLOR='1', LANG='C.UTF-8')
        for k in ('ANSIBLE_COLLECTIONS_PATHS', 'PYTHONPATH', 'ANSIBLE_STDOUT_CALLBACK', 'ANSIBLE_CALLBACKS_ENABLED'):
            env.pop(k, None)
        r = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-e',
                            'ansible_python_interpreter=%s' % sys.executable, str(tmp_path / 'play.yml')] + list(args),
                           env=env, capture_output=True, text=True, check=False, cwd=str(tmp_path))
        try:
            out = json.loads(r.stdout)
        except ValueError:
            raise AssertionError('no JSON from ansible-playbook (rc %d): %s %s' % (r.returncode, r.stdout, r.stderr))
        # task names without the role prefix ('cni.ovs.kube_ovn_central : ')
        return r.returncode, {t['task']['name'].split(' : ', 1)[-1]: t['hosts']['localhost'] for t in out['plays'][0]['tasks']}

    return run


def view(*ips):
    servers = [{'id': '%04x' % (i + 1), 'address': 'tcp:%s:6643' % ip} for i, ip in enumerate(ips)]
    return {'ips': json.dumps(list(ips)), 'servers': json.dumps(servers)}


THREE = view('198.18.0.11', '198.18.0.12', '198.18.0.13')
FIVE = view('198.18.0.11', '198.18.0.12', '198.18.0.13', '198.18.0.15', '198.18.0.16')
TABLE = 'Preflight | Quorum margin of every step (margin = further failures tolerated during the step)'
REFUSE = 'Preflight | Refuse a plan whose quorum margin reaches 0'


@pytest.mark.parametrize('check', [[], ['--check']], ids=['apply', 'check-mode'])
def test_margin_zero_is_refused(run, check):
    rc, tasks = run(PLAY % THREE, *check)
    assert rc != 0
    table = tasks[TABLE]['msg']
    assert table[0] == 'NB 1. Cleanup | a stale /etc/origin/ovn on lab-node-4 (if any): members 3, down during step 0, quorum 2, margin 1'
    assert ('NB 3. Kubernetes | NODE_IPS with 198.18.0.14, rollout (each member restarts in turn): '
            'members 3, down during step 1, quorum 2, margin 0') in table
    assert 'NB 4. Raft | 198.18.0.14 joins NB and SB: members 4, down during step 0, quorum 3, margin 1' in table
    assert 'NB 5. Raft | kick 198.18.0.13 from NB, then SB: members 4, down during step 0, quorum 3, margin 1' in table
    assert len(table) == 2 * 9 and table[9].startswith('SB 1. ')
    msg = tasks[REFUSE]['msg']
    assert tasks[REFUSE]['failed']
    assert "step 'Kubernetes | NODE_IPS with 198.18.0.14, rollout (each member restarts in turn)' has a quorum margin of 0" in msg, msg
    assert 'kube_ovn_central_allow_zero_margin=true' in msg and 'Nothing was changed.' in msg, msg
    assert 'Past the preflight' not in tasks


@pytest.mark.parametrize('value', ['true', 'yes'])
def test_override_goes_ahead_and_says_so(run, value):
    rc, tasks = run(PLAY % THREE, '-e', 'kube_ovn_central_allow_zero_margin=' + value)
    assert rc == 0, tasks
    assert tasks['Preflight | Say that the plan goes ahead with a margin below 1']['msg'].startswith(
        'kube_ovn_central_allow_zero_margin is true: going ahead although NB step')
    assert tasks['Past the preflight']['msg'] == 'reached'


def test_five_members_need_no_override(run):
    rc, tasks = run(PLAY % FIVE)
    assert rc == 0, tasks
    assert min(int(line.rsplit(' ', 1)[1]) for line in tasks[TABLE]['msg']) == 1
    assert tasks['Preflight | Say that the plan goes ahead with a margin below 1'].get('skipped')
    assert tasks['Past the preflight']['msg'] == 'reached'


def test_entry_point_refuses_a_non_boolean_override(run):
    rc, tasks = run(ENTRY, '-e', 'kube_ovn_central_remove_node=lab-node-3', '-e', 'kube_ovn_central_allow_zero_margin=maybe')
    assert rc != 0
    name = [n for n in tasks if n.startswith("Validating arguments against arg spec 'remove'")]
    assert name and list(tasks)[-1] == name[0], list(tasks)  # the validation is the task that failed, the last one
    result = tasks[name[0]]
    assert result['failed']
    assert 'kube_ovn_central_allow_zero_margin' in result['msg'] and 'bool' in result['msg'], result['msg']
