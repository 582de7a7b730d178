# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report schema, and its two checkers: the jsonschema library and the built-in fallback must agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import pytest

from ansible_collections.cni.ovs.plugins.plugin_utils import _report_validate
from ansible_collections.cni.ovs.plugins.plugin_utils._report_schema import REPORT_SCHEMA
from ansible_collections.cni.ovs.plugins.plugin_utils._report_validate import builtin_errors
from report_cases import ROOT, jsonschema_errors, load


def test_schema_is_valid_and_docs_copy_is_current():
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    with open(os.path.join(ROOT, 'docs', 'report-schema.json')) as f:
        assert json.load(f) == REPORT_SCHEMA, (
            'docs/report-schema.json is stale; regenerate: PYTHONPATH=.collections .venv/bin/python -c "import json; from '
            'ansible_collections.cni.ovs.plugins.plugin_utils._report_schema import REPORT_SCHEMA as S; print(json.dumps(S, indent=2))" '
            '> docs/report-schema.json')


@pytest.mark.parametrize('name', ['fail-report.json', 'queue-report.json'])
def test_recorded_report_validates(name):
    rep = load(name)
    assert builtin_errors(rep) == [] and jsonschema_errors(rep) == []


def test_version_1_report_is_rejected_by_both():
    rep = load('fail-report-v1.json')
    assert builtin_errors(rep) and jsonschema_errors(rep)


def _broken(path, value):
    rep = load('fail-report.json')
    obj = rep
    for k in path[:-1]:
        obj = obj[k]
    if value is KeyError:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value
    return rep


@pytest.mark.parametrize('path, value', [
    (('schema_version',), 1),
    (('nodes', 1, 'queue_ms'), -1),
    (('nodes', 1, 'queue_ms'), None),
    (('nodes', 1, 'queued'), KeyError),
    (('nodes', 1, 'queued', 0, 'after_phase'), 3),
    (('nodes', 1, 'queued', 0, 'before_phase'), None),
    (('nodes', 1, 'queued', 0, 'waited_for'), 'lab-node-1'),
    (('nodes', 1, 'queued', 0, 'waited_for_count'), 0),
    (('nodes', 1, 'queued', 0, 'end'), '2025-01-01T00:00:00'),
    (('plays', 0, 'batches'), KeyError),
    (('plays', 0, 'batches', 0, 'hosts'), [1]),
    (('run', 'result'), 'partial'),
    (('run', 'start'), '2025-01-01 10:00:00'),
    (('run', 'complete'), 'yes'),
    (('nodes', 0, 'phases', 0, 'duration_ms'), -1),
    (('nodes', 0, 'phases', 0, 'duration_ms'), 1.5),
    (('nodes', 0, 'phases', 0, 'result'), 'not_run'),
    (('nodes', 0, 'position'), 0),
    (('nodes', 0, 'phases', 0, 'tasks', 'ok'), True),
    (('nodes', 0, 'data_plane', 'gap_ms_max'), 'slow'),
    (('nodes', 0, 'backups'), [{'path': '/x'}]),
    (('nodes', 0, 'stats'), {'ok': 1}),
    (('nodes', 1, 'failures', 0, 'message'), KeyError),
    (('nodes', 0, 'extra'), 1),
])
def test_validator_agrees_with_jsonschema_on_broken_reports(path, value):
    rep = _broken(path, value)
    assert jsonschema_errors(rep), 'jsonschema accepted %s=%r' % (path, value)
    assert builtin_errors(rep), 'core validator accepted %s=%r' % (path, value)


# ------------------------------------------------------------ the fallback cannot drift from jsonschema

_VALIDATOR = jsonschema.Draft202012Validator(REPORT_SCHEMA)
_WRONG = (None, True, False, 0, 1, 1.0, 1.5, -1, -0.5, '', 'x', '2025-01-01T00:00:00Z', [], ['x'], {}, {'x': 1})


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _at(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def _mutations(doc):
    """(description, mutated copy): every value replaced by each of _WRONG, every key removed, an unknown key in every object.

    Once per place in the schema: of nodes[0].phases[1].tasks.ok and nodes[2].phases[0].tasks.ok only the first.
    """
    seen = set()
    for path in list(_paths(doc)):
        if 'data' in path:  # a measurement's data is any object: nothing to disagree on below it
            continue
        shape = tuple('[]' if isinstance(k, int) else k for k in path)
        if shape in seen:
            continue
        seen.add(shape)
        parent, key = (_at(doc, path[:-1]), path[-1]) if path else (None, None)
        for wrong in _WRONG:
            if parent is None:
                yield 'root=%r' % (wrong,), wrong
                continue
            saved = parent[key]
            parent[key] = wrong
            yield '%s=%r' % (path, wrong), json.loads(json.dumps(doc))
            parent[key] = saved
        if isinstance(parent, dict):
            saved = parent.pop(key)
            yield 'del %s' % (path,), json.loads(json.dumps(doc))
            parent[key] = saved
        node = _at(doc, path)
        if isinstance(node, dict):
            node['zz_unknown'] = 1
            yield '%s+zz_unknown' % (path,), json.loads(json.dumps(doc))
            del node['zz_unknown']


@pytest.mark.parametrize('name', ['fail-report.json', 'queue-report.json'])
def test_builtin_checker_agrees_with_jsonschema_on_every_mutation(name):
    doc = load(name)
    checked = invalid = 0
    disagree = []
    for what, mutated in _mutations(doc):
        by_jsonschema = _VALIDATOR.is_valid(mutated)
        by_builtin = not builtin_errors(mutated)
        checked += 1
        invalid += not by_jsonschema
        if by_jsonschema != by_builtin:
            disagree.append('%s: jsonschema %s, built-in %s' % (what, by_jsonschema, by_builtin))
    assert disagree == []
    assert doc == load(name)  # mutations were undone
    assert checked > 700 and invalid > checked // 2, (checked, invalid)


# ------------------------------------------------------------ which checker validate() uses

def test_validate_uses_jsonschema_where_importable():
    assert _report_validate._Validator is jsonschema.Draft202012Validator
    assert _report_validate.validate(load('fail-report.json')) == []
    assert _report_validate.validate(_broken(('nodes', 0, 'position'), 0)) == ['$.nodes[0].position: 0 is less than the minimum of 1']


def test_validate_falls_back_to_the_builtin_checker(monkeypatch):
    monkeypatch.setattr(_report_validate, '_Validator', None)
    assert _report_validate.validate(load('fail-report.json')) == []
    assert _report_validate.validate(_broken(('nodes', 0, 'position'), 0)) == ['$.nodes[0].position: below 1']
    assert _report_validate.validate(_broken(('nodes', 1, 'failures', 0, 'message'), KeyError)) == ['$.nodes[1].failures[0]: missing message']


def test_imports_and_validates_without_jsonschema():
    """As in an execution environment without jsonschema (or with one older than 4.0)."""
    code = ('import json, sys; sys.modules["jsonschema"] = None; '
            'from ansible_collections.cni.ovs.plugins.plugin_utils import _report_validate as v; '
            'assert v._Validator is None; '
            'rep = json.load(open(sys.argv[1])); assert v.validate(rep) == [], v.validate(rep); '
            'rep["run"]["result"] = "partial"; print(json.dumps(v.validate(rep)))')
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, '.collections'))
    out = subprocess.run([sys.executable, '-c', code, os.path.join(ROOT, 'tests/unit/plugins/plugin_utils/fixtures/report/fail-report.json')],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == ["$.run.result: 'partial' not one of ok, changed, failed"]
