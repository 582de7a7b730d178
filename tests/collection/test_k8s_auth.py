# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role's Kubernetes connection (<role>__k8s_auth in vars/main.yml, the module_defaults of
its blocks), templated by Ansible itself: the role option wins; an empty option (an AWX survey
question left blank) falls back to the inventory's cni_ovs_kubeconfig / cni_ovs_kube_context;
empty everywhere is null, which kubernetes.core reads as "not given" (its own discovery)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from ansible.template import Templar, trust_as_template
from ansible.parsing.dataloader import DataLoader

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ROLES = sorted(r for r in os.listdir(os.path.join(ROOT, 'roles'))
               if os.path.exists(os.path.join(ROOT, 'roles', r, 'meta', 'argument_specs.yml')))


def auth(role, **variables):
    with open(os.path.join(ROOT, 'roles', role, 'vars', 'main.yml'), encoding='utf-8') as f:
        expr = yaml.safe_load(f)[role + '__k8s_auth']
    templar = Templar(loader=DataLoader(), variables=variables)
    return {k: templar.template(trust_as_template(v)) for k, v in expr.items()}


def test_every_role_has_one():
    assert len(ROLES) >= 6
    for role in ROLES:
        assert set(auth(role)) == {'kubeconfig', 'context'}, role


@pytest.mark.parametrize('role', ROLES)
@pytest.mark.parametrize('given, inventory, expected', [
    ({'kubeconfig': '/a', 'context': 'c'}, {'kubeconfig': '/inv', 'kube_context': 'ic'}, {'kubeconfig': '/a', 'context': 'c'}),
    ({'kubeconfig': '', 'context': ''}, {'kubeconfig': '/inv', 'kube_context': 'ic'}, {'kubeconfig': '/inv', 'context': 'ic'}),
    ({}, {'kubeconfig': '/inv'}, {'kubeconfig': '/inv', 'context': None}),
    ({'kubeconfig': '', 'context': ''}, {}, {'kubeconfig': None, 'context': None}),
    ({'kubeconfig': '', 'context': ''}, {'kubeconfig': '', 'kube_context': ''}, {'kubeconfig': None, 'context': None}),
])
def test_option_then_inventory_then_null(role, given, inventory, expected):
    variables = {'%s_%s' % (role, k): v for k, v in given.items()}
    variables.update({'cni_ovs_%s' % k: v for k, v in inventory.items()})
    assert auth(role, **variables) == expected


# --- the module_defaults group the roles use: group/cni.ovs.k8s (meta/runtime.yml) ------------
BIN = os.path.dirname(sys.executable)
KUBE_MODULES = ['kubernetes.core.k8s_info', 'kubernetes.core.k8s', 'kubernetes.core.k8s_taint']


# A kubeconfig whose API server refuses connections (port 9, discard): a module that got it
# fails naming 127.0.0.1 port 9; one that did not says "No configuration found".
KUBECONFIG = '''apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: cni-ovs-test, context: {cluster: c, user: u}}]
current-context: cni-ovs-test
'''


def _playbook(tmp_path, collections_path, tasks):
    (tmp_path / 'kubeconfig').write_text(KUBECONFIG)
    play = [{'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/cni.ovs.k8s': {'kubeconfig': str(tmp_path / 'kubeconfig')}},
             'tasks': tasks}]
    path = tmp_path / 'play.yml'
    path.write_text(yaml.safe_dump(play))
    (tmp_path / 'ansible.cfg').write_text('[defaults]\n')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0', LANG='C.UTF-8')
    for k in ('ANSIBLE_COLLECTIONS_PATHS', 'PYTHONPATH'):  # PYTHONPATH=.collections would expose them
        env.pop(k, None)
    return path, env


def test_group_reaches_every_kubernetes_module(tmp_path):
    """With kubernetes.core installed, the group's defaults reach k8s_info, k8s and k8s_taint
    (the last is not in kubernetes.core's own group): each tries the API server of that kubeconfig."""
    tasks = [{'name': m, m: {'kind': 'Node', 'name': 'x'} if m != 'kubernetes.core.k8s_taint'
              else {'name': 'x', 'taints': [{'key': 'k', 'effect': 'NoSchedule'}]},
              'ignore_errors': True}
             for m in KUBE_MODULES]
    path, env = _playbook(tmp_path, os.path.join(ROOT, '.collections'), tasks)
    env['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.builtin.json'
    r = subprocess.run([os.path.join(BIN, 'ansible-playbook'), str(path)], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    results = {t['task']['name']: t['hosts']['localhost'] for t in json.loads(r.stdout)['plays'][0]['tasks']}
    assert sorted(results) == sorted(KUBE_MODULES)
    for module, result in results.items():
        assert result.get('failed') and "host='127.0.0.1', port=9" in result['msg'], (module, result['msg'])


def test_roles_parse_without_kubernetes_core(tmp_path):
    """galaxy-importer's offline ansible-lint syntax-checks the roles and playbooks with only this
    collection installed; group/kubernetes.core.k8s was a parser error there."""
    (tmp_path / 'ansible_collections' / 'cni').mkdir(parents=True)
    (tmp_path / 'ansible_collections' / 'cni' / 'ovs').symlink_to(ROOT)
    playbooks = sorted(p for p in os.listdir(os.path.join(ROOT, 'playbooks')) if p.endswith('.yml'))
    assert len(playbooks) >= 5
    path, env = _playbook(tmp_path, tmp_path, [
        {'name': role, 'ansible.builtin.include_role': {'name': 'cni.ovs.' + role}} for role in ROLES])
    for pb in [str(path)] + [os.path.join(ROOT, 'playbooks', p) for p in playbooks]:
        r = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '--syntax-check', pb],
                           env=env, capture_output=True, text=True, check=False)
        assert r.returncode == 0, (pb, r.stdout + r.stderr)
