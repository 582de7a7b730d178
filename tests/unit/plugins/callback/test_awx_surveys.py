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
