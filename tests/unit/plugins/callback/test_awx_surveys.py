# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWX/Tower fit: one survey spec per playbook (docs/awx/<playbook>.survey.json), in AWX's
survey_spec format, whose variables exist in the playbook, the argument specs of the roles it
uses, or the rollout_report callback's documented vars; and no playbook prompts."""

from __future__ import annotations

import glob
import json
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
PLAYBOOKS = sorted(glob.glob(os.path.join(ROOT, 'playbooks', '*.yml')))
SURVEYS = sorted(glob.glob(os.path.join(ROOT, 'docs', 'awx', '*.survey.json')))
TYPES = {'text', 'textarea', 'password', 'integer', 'float', 'multiplechoice', 'multiselect'}
QUESTION_KEYS = {'question_name', 'question_description', 'required', 'type', 'variable', 'min', 'max', 'default', 'choices', 'new_question'}


def stem(path):
    return os.path.basename(path).split('.')[0]


def callback_vars():
    with open(os.path.join(ROOT, 'plugins', 'callback', 'rollout_report.py')) as f:
        src = f.read()
    doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', src, re.S).group(1))
    return {v['name'] for o in doc['options'].values() for v in o.get('vars', [])}


def _roles_in(node, found):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == 'roles' and isinstance(v, list):
                for r in v:
                    found.add(r if isinstance(r, str) else r.get('role') or r.get('name'))
            elif k in ('ansible.builtin.include_role', 'ansible.builtin.import_role', 'include_role', 'import_role') and isinstance(v, dict):
                found.add(v.get('name'))
            elif k in ('ansible.builtin.import_playbook', 'import_playbook') and isinstance(v, str):
                # the roles of an imported playbook of this collection count as the importer's
                with open(os.path.join(ROOT, 'playbooks', os.path.basename(v))) as f:
                    _roles_in(yaml.safe_load(f), found)
            else:
                _roles_in(v, found)
    elif isinstance(node, list):
        for v in node:
            _roles_in(v, found)
    return found


def role_spec_options(playbook_data):
    """Options of every entry point of the cni.ovs roles the playbook uses that have argument specs."""
    opts, with_specs = set(), []
    for role in _roles_in(playbook_data, set()):
        if not role:
            continue
        short = role.split('.')[-1]
        spec = os.path.join(ROOT, 'roles', short, 'meta', 'argument_specs.yml')
        if os.path.exists(spec):
            with open(spec) as f:
                data = yaml.safe_load(f) or {}
            with_specs.append(short)
            for entry in (data.get('argument_specs') or {}).values():
                opts |= set((entry or {}).get('options') or {})
    return opts, with_specs


def test_every_playbook_has_a_survey():
    assert PLAYBOOKS, 'no playbooks found'
    missing = [stem(p) for p in PLAYBOOKS if not os.path.exists(os.path.join(ROOT, 'docs', 'awx', stem(p) + '.survey.json'))]
    assert not missing, 'add docs/awx/<playbook>.survey.json for: %s' % missing
    orphans = [stem(s) for s in SURVEYS if stem(s) not in {stem(p) for p in PLAYBOOKS}]
    assert not orphans, 'surveys without a playbook: %s' % orphans


@pytest.mark.parametrize('path', PLAYBOOKS, ids=stem)
def test_playbook_runs_with_extra_vars_only(path):
    with open(path) as f:
        plays = yaml.safe_load(f)
    assert [p.get('name') for p in plays if 'vars_prompt' in p] == [], 'vars_prompt blocks AWX: use extra vars'


@pytest.mark.parametrize('path', SURVEYS, ids=stem)
def test_survey_format(path):
    with open(path) as f:
        survey = json.load(f)
    assert set(survey) == {'name', 'description', 'spec'} and survey['name'] and isinstance(survey['spec'], list) and survey['spec']
    seen = set()
    for q in survey['spec']:
        assert set(q) <= QUESTION_KEYS, set(q) - QUESTION_KEYS
        for k in ('question_name', 'required', 'type', 'variable'):
            assert k in q, (k, q)
        assert q['type'] in TYPES, q
        assert isinstance(q['required'], bool)
        assert re.match(r'^[a-z_][a-z0-9_]*$', q['variable']), q['variable']
        assert q['variable'] not in seen, 'duplicate variable %s' % q['variable']
        seen.add(q['variable'])
        if q['type'] in ('multiplechoice', 'multiselect'):
            choices = q['choices'] if isinstance(q['choices'], list) else q['choices'].split('\n')
            assert choices and all(isinstance(c, str) and c for c in choices)
            defaults = [d for d in str(q.get('default', '')).split('\n') if d]
            assert set(defaults) <= set(choices), (q['variable'], defaults, choices)
        if q['type'] in ('text', 'textarea', 'password'):
            assert isinstance(q.get('min', 0), int) and isinstance(q.get('max', 1024), int) and q.get('min', 0) <= q.get('max', 1024)
            assert len(q.get('default', '')) <= q.get('max', 1024)
            if q['required']:
                assert len(q.get('default', '')) >= max(1, q.get('min', 0)), 'required text question %s needs a default' % q['variable']


@pytest.mark.parametrize('path', SURVEYS, ids=stem)
def test_survey_variables_exist(path):
    with open(path) as f:
        survey = json.load(f)
    pb = os.path.join(ROOT, 'playbooks', stem(path) + '.yml')
    with open(pb) as f:
        text = f.read()
    opts, with_specs = role_spec_options(yaml.safe_load(text))
    for imported in re.findall(r'import_playbook:\s*(\S+)', text):
        with open(os.path.join(ROOT, 'playbooks', os.path.basename(imported))) as f:
            text += f.read()
    cb = callback_vars()
    assert {'cni_ovs_report_dir', 'cni_ovs_report_name'} <= cb
    unknown = []
    for q in survey['spec']:
        v = q['variable']
        if v in cb or v in opts:
            continue
        # not in a role's argument spec: must be a variable the playbook itself reads
        if not re.search(r'(\{\{|\{%%|when:|that:)[^\n]*\b%s\b' % re.escape(v), text):
            unknown.append(v)
    assert not unknown, '%s: survey variables not in the argument specs of %s nor read by the playbook: %s' % (
        stem(path), with_specs or 'its roles (none have specs)', unknown)


def test_survey_check_catches_an_unknown_variable(tmp_path):
    """The variable check must be able to fail: a misspelt variable is not found in the playbook."""
    with open(os.path.join(ROOT, 'playbooks', 'ovn_raft_health.yml')) as f:
        text = f.read()
    assert re.search(r'(\{\{|\{%%|when:|that:)[^\n]*\b%s\b' % 'ovn_raft_hosts', text)
    assert not re.search(r'(\{\{|\{%%|when:|that:)[^\n]*\b%s\b' % 'ovn_raft_host', text)


# --- Survey booleans ---------------------------------------------------------------------------
# AWX passes survey answers as strings: "false" for a role option declared `type: bool` stays the
# string "false" (argument spec validation checks it but does not convert it), and a bare
# `when: option and ...` is then true. The conversion point is the `bool` filter wherever a
# type: bool option is read; the argument specs say which options those are.

BOOL_STRINGS = {'true': True, 'false': False, 'yes': True, 'no': False, 'on': True, 'off': False, '1': True, '0': False}
EXPR_KEYS = ('when', 'failed_when', 'changed_when', 'until', 'that')


def role_bool_options(root=ROOT):
    """{option: [role, ...]} of every option declared type: bool in any entry point of any role."""
    found = {}
    for spec in sorted(glob.glob(os.path.join(root, 'roles', '*', 'meta', 'argument_specs.yml'))):
        role = spec.split(os.sep)[-3]
        with open(spec) as f:
            data = yaml.safe_load(f) or {}
        for entry in (data.get('argument_specs') or {}).values():
            for name, opt in ((entry or {}).get('options') or {}).items():
                if (opt or {}).get('type') == 'bool' and role not in found.setdefault(name, []):
                    found[name].append(role)
    return found


def _expressions(node, out):
    """Every Jinja expression in a task file: bare conditionals and the inside of {{ }} / {% %}."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in EXPR_KEYS:
                for e in (v if isinstance(v, list) else [v]):
                    if isinstance(e, str):
                        out.append(e)
                    elif isinstance(e, bool):
                        continue
            _expressions(v, out)
    elif isinstance(node, list):
        for v in node:
            _expressions(v, out)
    elif isinstance(node, str):
        out.extend(m.group(1) for m in re.finditer(r'\{\{(.*?)\}\}|\{%(.*?)%\}', node, re.S) if m.group(1) is not None)
        out.extend(m.group(1) for m in re.finditer(r'\{%(.*?)%\}', node, re.S))
    return out


def _strip_literals(expr):
    return re.sub(r"'[^']*'|\"[^\"]*\"", "''", expr)


def unconverted_bool_reads(text, bools):
    """(option, expression) for every read of a type: bool option not followed by `| bool`
    (an optional `| default(...)` in between is allowed)."""
    bad = []
    for expr in _expressions(yaml.safe_load(text), []):
        code = _strip_literals(expr)
        for name in bools:
            for m in re.finditer(r'(?<![\w.])%s\b' % re.escape(name), code):
                if not re.match(r'\s*(\|\s*default\([^()]*\)\s*)?\|\s*(ansible\.builtin\.)?bool\b', code[m.end():]):
                    bad.append((name, ' '.join(expr.split())))
    return bad


def bool_read_violations(root=ROOT):
    bools = role_bool_options(root)
    files = sorted(glob.glob(os.path.join(root, 'roles', '*', '*', '*.yml')) + glob.glob(os.path.join(root, 'playbooks', '*.yml')))
    bad = []
    for path in files:
        if os.sep + 'meta' + os.sep in path or os.sep + 'defaults' + os.sep in path:
            continue
        with open(path) as f:
            text = f.read()
        bad += [(os.path.relpath(path, root), n, e) for n, e in unconverted_bool_reads(text, bools)]
    return bad


def test_every_read_of_a_bool_option_goes_through_the_bool_filter():
    bad = bool_read_violations()
    assert not bad, 'type: bool options read without | bool (AWX passes "false" as a string):\n%s' % '\n'.join(map(str, bad))


def test_bool_scan_can_fail():
    """The scan flags the pre-fix nsx_kmod_switch expressions and accepts the fixed ones."""
    bools = role_bool_options()
    old = ("- name: Reboot\n  ansible.builtin.reboot: {}\n"
           "  when: nsx_kmod_switch_reboot and nsx_kmod_switch_state != nsx_kmod_switch_direction ~ '/rebooted'\n"
           "- name: Fail\n  ansible.builtin.fail:\n    msg: x\n  when: >-\n    not nsx_kmod_switch_selinux_permissive\n    or 1 != 2\n"
           "- name: Swap\n  cni.ovs.ovs_kmod_swap:\n    use_info: \"{{ nsx_kmod_switch_use_info }}\"\n")
    assert [n for n, _where in unconverted_bool_reads(old, bools)] == [
        'nsx_kmod_switch_reboot', 'nsx_kmod_switch_selinux_permissive', 'nsx_kmod_switch_use_info']
    new = ("- name: Reboot\n  ansible.builtin.reboot: {}\n  when: nsx_kmod_switch_reboot | bool and x\n"
           "- name: Msg\n  ansible.builtin.debug:\n    msg: \"'forced (ovs_hot_upgrade_force_restart)' {{ 'a (ovs_hot_upgrade_force_restart)' if "
           "ovs_hot_upgrade_force_restart | default(false) | bool }}\"\n")
    assert unconverted_bool_reads(new, bools) == []


def survey_bool_questions():
    """(survey, question) for every question whose variable is a type: bool role option, or whose
    choices are bool words (a playbook-level switch such as ovn_raft_become)."""
    bools = role_bool_options()
    out = []
    for path in SURVEYS:
        with open(path) as f:
            for q in json.load(f)['spec']:
                choices = q.get('choices') or []
                choices = choices if isinstance(choices, list) else choices.split('\n')
                if q['variable'] in bools or (choices and {c.lower() for c in choices} <= set(BOOL_STRINGS)):
                    out.append((stem(path), q))
    return out


def test_survey_bool_questions_exist():
    names = {q['variable'] for _survey, q in survey_bool_questions()}
    # the ones the issue names must be among them, or the checks below check nothing
    assert {'nsx_kmod_switch_reboot', 'nsx_kmod_switch_selinux_permissive', 'ovn_raft_become',
            'ovn_kubernetes_migration_etcd_backup_acknowledged', 'ovs_hot_upgrade_force_restart'} <= names


@pytest.mark.parametrize('survey,question', survey_bool_questions(), ids=lambda v: v if isinstance(v, str) else v['variable'])
def test_survey_bool_answers_become_real_booleans(survey, question):
    """Every answer AWX can send (each choice and the default, as the string AWX passes) is a bool
    word that the bool filter turns into a real bool; and the playbook reads the variable through
    the bool filter (role option: checked by the scan; playbook switch: checked here)."""
    from ansible.plugins.filter.core import to_bool
    assert question['type'] == 'multiplechoice', 'a bool question must offer true/false, not free text: %s' % question['variable']
    answers = list(question['choices']) + [str(question.get('default', ''))]
    for answer in answers:
        assert isinstance(answer, str) and answer.lower() in BOOL_STRINGS, (question['variable'], answer)
        value = to_bool(answer)
        assert value is BOOL_STRINGS[answer.lower()], (question['variable'], answer, value)
    bools = role_bool_options()
    if question['variable'] not in bools:
        with open(os.path.join(ROOT, 'playbooks', survey + '.yml')) as f:
            text = f.read()
        reads = _expressions(yaml.safe_load(text), [])
        assert any(question['variable'] in e for e in reads), 'the playbook does not read %s' % question['variable']
        assert unconverted_bool_reads(text, {question['variable']: ['playbook']}) == [], question['variable']


def _run_condition(tmp_path, task_file, task_name, context, variable, answer):
    """Run the `when:` of one role task in a throw-away play, the bool option given as AWX gives it
    (a string in extra vars); True when the task ran, False when it was skipped."""
    import subprocess
    import sys
    with open(os.path.join(ROOT, task_file)) as f:
        tasks = yaml.safe_load(f)

    def find(node):
        if isinstance(node, list):
            for t in node:
                r = find(t)
                if r:
                    return r
        elif isinstance(node, dict):
            if node.get('name') == task_name:
                return node
            for k in ('block', 'rescue', 'always'):
                r = find(node.get(k))
                if r:
                    return r
        return None
    task = find(tasks)
    assert task and 'when' in task, (task_file, task_name)
    play = [{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local', 'vars': context,
             'tasks': [{'name': 'probe', 'ansible.builtin.debug': {'msg': 'ran'}, 'when': task['when'], 'register': 'probe'},
                       {'ansible.builtin.debug': {'msg': 'PROBE={{ probe.skipped | default(false) }}'}}]}]
    pb = tmp_path / 'probe.yml'
    pb.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default')
    for k in ('ANSIBLE_CONFIG', 'ANSIBLE_CALLBACKS_ENABLED'):
        env.pop(k, None)
    (tmp_path / 'ansible.cfg').write_text('[defaults]\n')
    exe = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    out = subprocess.run([exe, '-i', 'localhost,', str(pb), '-e', json.dumps({variable: answer})],
                         capture_output=True, text=True, env=env, timeout=120, cwd=str(tmp_path), check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    m = re.search(r'PROBE=(True|False)', out.stdout)
    assert m, out.stdout
    return m.group(1) == 'False'


def _include_vars(task_file, tasks_from):
    """The vars: of the include_role of cni.ovs.node_lifecycle (entry point tasks_from) in task_file."""
    with open(os.path.join(ROOT, task_file)) as f:
        stack = list(yaml.safe_load(f))
    while stack:
        t = stack.pop()
        if isinstance(t, dict):
            inc = t.get('ansible.builtin.include_role') or {}
            if inc.get('name') == 'cni.ovs.node_lifecycle' and inc.get('tasks_from') == tasks_from:
                return t['vars']
            for k in ('block', 'rescue', 'always'):
                stack.extend(t.get(k) or [])
    raise AssertionError('%s: no include_role of cni.ovs.node_lifecycle %s' % (task_file, tasks_from))


ROLE_CONDITIONS = [
    # (task file, task name, other vars of the condition, bool option, runs on "true", runs on "false")
    # nsx_kmod_switch's reboot is the shared lifecycle's, fed node_lifecycle_reboot exactly as node.yml feeds it
    ('roles/node_lifecycle/tasks/reboot.yml', 'Reboot | Reboot the node',
     {'node_lifecycle__recorded': False,
      'node_lifecycle_reboot': _include_vars('roles/nsx_kmod_switch/tasks/node.yml', 'reboot')['node_lifecycle_reboot']},
     'nsx_kmod_switch_reboot', True, False),
    ('roles/node_lifecycle/tasks/reboot.yml', 'Reboot | Reboot the node',
     {'node_lifecycle__recorded': False}, 'node_lifecycle_reboot', True, False),
    ('roles/nsx_kmod_switch/tasks/services.yml', 'Reboot | Services failed and SELinux permissive is not allowed or does not apply',
     {'nsx_kmod_switch__selinux': {'content': 'MQo='}}, 'nsx_kmod_switch_selinux_permissive', False, True),
]


@pytest.mark.parametrize('task_file,task_name,context,variable,on_true,on_false', ROLE_CONDITIONS, ids=[c[3] for c in ROLE_CONDITIONS])
def test_role_condition_treats_survey_strings_as_booleans(tmp_path, task_file, task_name, context, variable, on_true, on_false):
    """The real `when:` of the role task, run by ansible-playbook with the answer as a string extra
    var: "false" must behave as false (no reboot), "true" as true."""
    assert _run_condition(tmp_path, task_file, task_name, context, variable, 'true') is on_true
    assert _run_condition(tmp_path, task_file, task_name, context, variable, 'false') is on_false
