# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role's Kubernetes connection (<role>__k8s_auth in vars/main.yml, the module_defaults of
its blocks), templated by Ansible itself: the role option wins; an empty option (an AWX survey
question left blank) falls back to the inventory's cni_ovs_kubeconfig / cni_ovs_kube_context;
empty everywhere is null, which kubernetes.core reads as "not given" (its own discovery)."""

from __future__ import annotations

import os

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
