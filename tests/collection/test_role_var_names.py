# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role variable names: `<role>_<name>` is an option (declared in meta/argument_specs.yml),
`<role>__<name>` is internal. Every name a role sets itself (set_fact, register,
loop_control.loop_var, task and block `vars:`, vars/*.yml) that starts with `<role>_` must be
one of its options or start with `<role>__`, so an internal can never be mistaken for, or
collide with, an input."""

from __future__ import annotations

import glob
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ROLES_DIR = os.path.join(ROOT, 'roles')

SET_FACT = ('ansible.builtin.set_fact', 'ansible.legacy.set_fact', 'set_fact')

# Names a role sets that keep the option prefix on purpose, each with its reason.
EXEMPT = {
    'kube_ovn_central_join_node_ips': 'published fact for the user-supplied kube_ovn_central_host_join_commands '
                                      '(documented in argument_specs and docs/kube_ovn_central.md)',
    'kube_ovn_central_join_ip': 'published fact for the user-supplied kube_ovn_central_host_join_commands '
                                '(documented in argument_specs and docs/kube_ovn_central.md)',
}


def roles():
    return sorted(d for d in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, d, 'tasks')))


def role_options(role):
    path = os.path.join(ROLES_DIR, role, 'meta', 'argument_specs.yml')
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        specs = (yaml.safe_load(f) or {}).get('argument_specs') or {}
    return {name for entry in specs.values() for name in ((entry or {}).get('options') or {})}


def _set_fact_names(args):
    if isinstance(args, dict):
        return [k for k in args if k != 'cacheable']
    if isinstance(args, str):  # free form: set_fact: a=1 b=2
        return [word.split('=', 1)[0] for word in args.split() if '=' in word]
    return []


def names_set_in_tasks(tasks, where):
    """(name, how, where) for every variable the task list sets, blocks included."""
    found = []
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key in ('block', 'rescue', 'always'):
            found += names_set_in_tasks(task.get(key), where)
        found += [(name, 'vars', where) for name in (task.get('vars') or {})]
        if task.get('register'):
            found.append((task['register'], 'register', where))
        loop_var = (task.get('loop_control') or {}).get('loop_var')
        if loop_var:
            found.append((loop_var, 'loop_var', where))
        for module in SET_FACT:
            if module in task:
                found += [(name, 'set_fact', where) for name in _set_fact_names(task[module])]
    return found


def names_set_by_role(role):
    found = []
    base = os.path.join(ROLES_DIR, role)
    for sub in ('tasks', 'handlers'):
        for path in sorted(glob.glob(os.path.join(base, sub, '*.yml'))):
            with open(path) as f:
                found += names_set_in_tasks(yaml.safe_load(f), os.path.relpath(path, ROOT))
    for path in sorted(glob.glob(os.path.join(base, 'vars', '*.yml'))):
        with open(path) as f:
            found += [(name, 'vars file', os.path.relpath(path, ROOT)) for name in (yaml.safe_load(f) or {})]
    return found


def misnamed(role, found, options):
    return sorted({(name, how, where) for name, how, where in found
                   if name.startswith(role + '_') and not name.startswith(role + '__')
                   and name not in options and name not in EXEMPT})


@pytest.mark.parametrize('role', roles())
def test_role_internals_use_the_double_underscore_prefix(role):
    bad = misnamed(role, names_set_by_role(role), role_options(role))
    assert not bad, (
        '%s sets variables with its option prefix that are not options in meta/argument_specs.yml; name internals '
        '%s__<name> (or declare the option):\n%s' % (role, role, '\n'.join('  %s (%s, %s)' % b for b in bad)))


def test_exemptions_are_still_needed():
    used = {name for role in roles() for name, _how, _where in names_set_by_role(role)}
    assert set(EXEMPT) <= used, 'stale EXEMPT entries: %s' % sorted(set(EXEMPT) - used)


def test_the_scan_can_fail():
    """The scan finds names in nested blocks, rescue, register, loop_var, vars and free-form set_fact."""
    tasks = yaml.safe_load("""
- name: Outer
  vars: {demo_role_a: 1, demo_role__ok: 1, item_like: 1}
  block:
    - name: Inner
      ansible.builtin.set_fact:
        demo_role_b: 1
        demo_role_option: 1
        cacheable: true
  rescue:
    - name: Rescue
      ansible.builtin.command: 'true'
      register: demo_role_c
      loop: [1]
      loop_control:
        loop_var: demo_role_d
- name: Free form
  set_fact: demo_role_e=1 demo_role__f=2
""")
    found = names_set_in_tasks(tasks, 'demo')
    assert [name for name, _how, _where in misnamed('demo_role', found, {'demo_role_option'})] == [
        'demo_role_a', 'demo_role_b', 'demo_role_c', 'demo_role_d', 'demo_role_e']
