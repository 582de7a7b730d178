# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the playbooks get root (docs/awx.md, "Privileges"): `ansible_become: true` on the node
groups escalates the node tasks and not the tasks delegated to the controller; `become: true`
on the play would escalate those too.  Shown with a become that always fails (su to `nobody`,
whose shell refuses logins), so "escalated" is observable without sudo or a second user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml

ANSIBLE_PLAYBOOK = shutil.which('ansible-playbook', path=os.path.dirname(sys.executable)) or shutil.which('ansible-playbook')

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('su'), reason='needs root and su')


def run(tmp_path, play_become):
    inv = {'all': {'children': {'kube_node': {
        'hosts': {'node-1': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}},
        'vars': {'ansible_become': True, 'ansible_become_method': 'ansible.builtin.su', 'ansible_become_user': 'nobody'}}}}}
    play = {'name': 'probe', 'hosts': 'kube_node', 'gather_facts': False, 'tasks': [
        {'name': 'controller task', 'ansible.builtin.command': 'id -u', 'delegate_to': 'localhost', 'register': 'ctl',
         'changed_when': False, 'ignore_errors': True},
        {'name': 'node task', 'ansible.builtin.command': 'id -u', 'register': 'node', 'changed_when': False, 'ignore_errors': True},
        {'name': 'result', 'ansible.builtin.debug': {'msg': 'CTL={{ ctl.failed }} NODE={{ node.failed }}'}}]}
    if play_become:
        # what `become: true` on the play, or AWX's "Privilege Escalation" (--become) with the
        # credential's method and user (--become-method/--become-user), would do
        play.update({'become': True, 'become_method': 'ansible.builtin.su', 'become_user': 'nobody'})
    (tmp_path / 'inv.yml').write_text(yaml.safe_dump(inv))
    (tmp_path / 'pb.yml').write_text(yaml.safe_dump([play]))
    (tmp_path / 'ansible.cfg').write_text('[defaults]\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
    env.update(ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_NOCOLOR='1')
    out = subprocess.run([ANSIBLE_PLAYBOOK, '-i', 'inv.yml', 'pb.yml'], cwd=str(tmp_path), env=env,
                         capture_output=True, text=True, timeout=180, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    for line in out.stdout.splitlines():
        if 'CTL=' in line:
            return line.split('"msg": "', 1)[1].rstrip('"')
    raise AssertionError(out.stdout)


def test_inventory_become_escalates_node_tasks_only(tmp_path):
    assert run(tmp_path, play_become=False) == 'CTL=False NODE=True'


def test_play_become_would_escalate_the_controller_tasks_too(tmp_path):
    assert run(tmp_path, play_become=True) == 'CTL=True NODE=True'
