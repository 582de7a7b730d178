# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the rollout report model (recording, extraction, building, text summary) on recorded real task results."""

from __future__ import annotations

import copy
import json
import re

import pytest

from ansible_collections.cni.ovs.plugins.plugin_utils import _report_model as r
from ansible_collections.cni.ovs.plugins.plugin_utils._report_schema import REPORT_SCHEMA
from ansible_collections.cni.ovs.plugins.plugin_utils._report_validate import builtin_errors
from report_cases import RESULTS, T0, jsonschema_errors, load, rollout


# ------------------------------------------------------------ phases

@pytest.mark.parametrize('name, phase', [
    ('preflight | check OVS', 'preflight'),
    ('Drain | Taint evict-user-pods', 'drain'),
    ('  Upgrade   | swap', 'upgrade'),
    ('a | b | c', 'a'),
    ('Check OVS', None),
    ('preflight|no spaces', None),
    (' | empty phase', None),
    ('', None),
    (None, None),
])
def test_split_phase(name, phase):
    assert r.split_phase(name) == phase


def test_phase_inherited_per_host_and_progress_only_on_entry():
    rec = r.Recorder('pb.yml', T0)
    rec.play_start('p', ['a', 'b'], T0)
    assert rec.task_start('a', 'u0', 'Gathering Facts', T0) == 'other'
    assert rec.task_start('a', 'u1', 'Preflight | x', T0 + 1) == 'preflight'
    assert rec.task_start('a', 'u2', 'no phase here', T0 + 2) is None      # stays in preflight
    assert rec.task_start('b', 'u2', 'no phase here', T0 + 2) == 'other'   # b has no previous phase
    assert rec.task_start('a', 'u3', 'drain | y', T0 + 3) == 'drain'
    assert rec.task_start('a', 'u4', 'Drain | z', T0 + 4) is None          # case-insensitive
    assert [e['phase'] for e in rec.events] == ['other', 'preflight', 'preflight', 'other', 'drain', 'drain']
    assert rec.position('b') == (2, 2) and rec.position('zz') is None


def test_serial_batches_do_not_repeat_the_play():
    rec = r.Recorder('pb.yml', T0)
    rec.play_start('p', ['a', 'b', 'c'], T0, key='uuid-1')
    rec.play_start('p', ['a', 'b', 'c'], T0 + 5, key='uuid-1')
    rec.play_start('p2', ['c'], T0 + 9, key='uuid-2')
    assert [p['name'] for p in rec.plays] == ['p', 'p2']
    assert rec.position('c') == (1, 1)


# ------------------------------------------------------------ extraction from real results

def test_extract_copy_backup_file():
    got = r.extract(RESULTS['Drain | Copy with backup'])
    assert len(got['backups']) == 1 and re.match(r'^/tmp/WORK/marker\.\d+\..*~$', got['backups'][0])
    assert got['message'] == '' and got['measurements'] == []


def test_extract_loop_item_failure_message():
    got = r.extract(RESULTS['Drain | Loop with one failing item'])
    assert got['message'] == 'One or more items failed; (item=bad) non-zero return code'


def test_extract_set_fact_measurement():
    assert r.extract(RESULTS['Upgrade | Gap as a fact'])['measurements'] == [{'gap_ms': 12.5, 'lost_packets': 3}]


def test_extract_no_log_keeps_only_censored_message():
    res = RESULTS['Verify | Hidden failure']
    got = r.extract(res)
    assert 'no_log' in got['message'] and '/nonexistent/secret' not in json.dumps(got)


def test_extract_assert_message():
    assert r.extract(RESULTS['Verify | Assertion that fails'])['message'] == 'localhost: members disagree'


@pytest.mark.parametrize('res, paths', [
    ({'backup_path': '/b/1.tar.gz'}, ['/b/1.tar.gz']),
    ({'backup_path': None}, []),
    ({'backups': ['/b/1', '/b/2']}, ['/b/1', '/b/2']),
    ({'backups': [{'path': '/b/1'}, {'dest': '/b/2'}, {'nothing': 1}, 3]}, ['/b/1', '/b/2']),
    ({'backups': {'flows': '/b/flows', 'db': '/b/db'}}, ['/b/flows', '/b/db']),
    ({'results': [{'backup_path': '/b/1'}, {'backup_path': '/b/1'}, {'backup_file': '/b/2'}]}, ['/b/1', '/b/2']),
])
def test_extract_backups(res, paths):
    assert r.extract(res)['backups'] == paths


def test_extract_module_report_and_long_message():
    got = r.extract({'failed': True, 'msg': 'x' * 5000, 'cni_ovs_report': {'gap_ms': 5}})
    assert got['measurements'] == [{'gap_ms': 5}]
    assert len(got['message']) == r.MESSAGE_LIMIT + 3
    assert r.extract({'failed': True, 'stderr': 'boom'})['message'] == 'boom'
    assert r.extract('not a dict') == {'message': '', 'backups': [], 'measurements': []}


# ------------------------------------------------------------ building the report

def test_report_success():
    rep = rollout()
    assert builtin_errors(rep) == [] and jsonschema_errors(rep) == []
    assert rep['run']['result'] == 'changed' and rep['run']['name'] == 'upgrade' and rep['run']['duration_ms'] == 7500
    n1 = rep['nodes'][0]
    assert [(p['name'], p['result'], p['duration_ms']) for p in n1['phases']] == [
        ('preflight', 'ok', 500), ('drain', 'changed', 1000), ('upgrade', 'changed', 1000)]
    assert n1['phases'][1]['tasks'] == {'ok': 1, 'changed': 1, 'failed': 0, 'skipped': 0, 'unreachable': 0}
    assert n1['changed_tasks'] == ['Drain | Copy with backup', 'Upgrade | swap']
    assert n1['data_plane'] == {'measured': True, 'gap_ms_total': 112.5, 'gap_ms_max': 100, 'lost_packets': 3}
    assert n1['start'] == '2023-11-14T22:13:20.000Z' and n1['end'] == '2023-11-14T22:13:22.500Z'
    assert [b['phase'] for b in n1['backups']] == ['drain']
    assert [(n['position'], n['total'], n['result']) for n in rep['nodes']] == [
        (1, 3, 'changed'), (2, 3, 'changed'), (3, 3, 'changed')]


def test_report_failure_mid_way():
    rep = rollout(fail_on='n2')
    assert builtin_errors(rep) == [] and jsonschema_errors(rep) == []
    assert rep['run']['result'] == 'failed'
    n2, n3 = rep['nodes'][1], rep['nodes'][2]
    assert n2['result'] == 'failed' and n2['phases'][-1]['result'] == 'failed'
    assert n2['failures'] == [{'task': 'Upgrade | swap', 'phase': 'upgrade', 'time': '2023-11-14T22:13:25.000Z',
                               'message': 'localhost: members disagree', 'ignored': False, 'unreachable': False}]
    assert n2['data_plane']['gap_ms_total'] == 12.5
    assert n3['result'] == 'not_run' and n3['phases'] == [] and n3['stats'] is None and n3['duration_ms'] is None


def test_report_interrupted_marks_the_unfinished_task():
    rec = r.Recorder('x.yml', T0)
    rec.play_start('p', ['a', 'b'], T0)
    rec.task_start('a', 'u1', 'Drain | cordon', T0)
    rec.task_result('a', 'u1', 'Drain | cordon', 'changed', T0 + 1, {'changed': True})
    rec.task_start('a', 'u2', 'wait for pods', T0 + 1)
    rep = r.build_report(rec, T0 + 4, complete=False)
    assert builtin_errors(rep) == [] and jsonschema_errors(rep) == []
    a = rep['nodes'][0]
    assert a['result'] == 'failed' and a['phases'][0]['duration_ms'] == 4000
    assert a['failures'][0]['task'] == 'wait for pods' and a['failures'][0]['message'] == r.INTERRUPTED_MESSAGE
    assert rep['run']['complete'] is False and rep['run']['result'] == 'failed'
    # the same events in a complete run: a start without a result is not a failure
    rep = r.build_report(rec, T0 + 4, complete=True)
    assert rep['nodes'][0]['result'] == 'changed' and rep['nodes'][0]['phases'][0]['duration_ms'] == 1000


def test_report_ignored_failure_unreachable_and_stats():
    rec = r.Recorder('x.yml', T0)
    rec.play_start('p', ['a', 'b'], T0)
    rec.task_start('a', 'u1', 'Verify | probe', T0)
    rec.task_result('a', 'u1', 'Verify | probe', 'failed', T0 + 1, RESULTS['Drain | Loop with one failing item'], ignored=True)
    rec.task_result('b', 'u1', 'Verify | probe', 'unreachable', T0 + 2, {'unreachable': True, 'msg': 'ssh: no route'})
    rec.set_stats({'a': {'ok': 1, 'changed': 0, 'failures': 0, 'unreachable': 0, 'skipped': 0, 'rescued': 0, 'ignored': 1},
                   'b': {'ok': 0, 'changed': 0, 'failures': 0, 'unreachable': 1, 'skipped': 0, 'rescued': 0, 'ignored': 0}})
    rep = r.build_report(rec, T0 + 3)
    a, b = rep['nodes']
    assert a['result'] == 'ok' and a['phases'][0]['result'] == 'ok' and a['failures'][0]['ignored'] is True
    assert b['result'] == 'unreachable' and b['failures'][0]['unreachable'] is True and b['failures'][0]['message'] == 'ssh: no route'
    assert rep['run']['result'] == 'failed'
    with pytest.raises(ValueError):
        rec.task_result('a', 'u9', 'x', 'bogus', T0)


def test_rescued_failure_keeps_phase_failed_but_node_follows_stats():
    rec = r.Recorder('x.yml', T0)
    rec.play_start('p', ['a'], T0)
    rec.task_start('a', 'u1', 'Drain | evict', T0)
    rec.task_result('a', 'u1', 'Drain | evict', 'failed', T0 + 1, {'failed': True, 'msg': 'timeout'})
    rec.task_start('a', 'u2', 'Drain | uncordon (rescue)', T0 + 1)
    rec.task_result('a', 'u2', 'Drain | uncordon (rescue)', 'changed', T0 + 2, {'changed': True})
    rec.set_stats({'a': {'ok': 1, 'changed': 1, 'failures': 0, 'unreachable': 0, 'skipped': 0, 'rescued': 1, 'ignored': 0}})
    rep = r.build_report(rec, T0 + 2)
    assert rep['nodes'][0]['phases'][0]['result'] == 'failed' and rep['nodes'][0]['result'] == 'changed'
    assert rep['nodes'][0]['stats']['rescued'] == 1


# ------------------------------------------------------------ text summary

def test_summary_lines_on_recorded_report():
    lines = r.summary_lines(load('fail-report.json'))
    assert lines[0].startswith('ROLLOUT REPORT upgrade-fail: FAILED, 3 node(s), ')
    assert re.match(r'^NODE +RESULT +PHASES$', lines[1])
    assert re.match(r'^1/3 lab-node-1 +changed +preflight \S+ m?s ok, drain \S+ m?s changed, upgrade \S+ m?s changed, verify \S+ m?s ok; '
                    r'data-plane gap 108 ms, 1 lost packets$', lines[2]), lines[2]
    assert re.match(r'^2/3 lab-node-2 +failed +preflight .*, upgrade \S+ m?s FAILED$', lines[3]), lines[3]
    assert re.match(r'^3/3 lab-node-3 +not_run +-$', lines[4]), lines[4]
    assert any(line.startswith('failed: lab-node-2 [upgrade] Upgrade | Refuse while a blocker is present: lab-node-2: upgrade blocked') for line in lines)
    assert sum(line.startswith('backup: ') for line in lines) == 2


@pytest.mark.parametrize('ms, text', [(None, '-'), (0, '0 ms'), (999, '999 ms'), (1500, '1.5 s'), (61000, '1m01s')])
def test_fmt_ms(ms, text):
    assert r.fmt_ms(ms) == text


def test_names_and_stamps():
    assert r.default_run_name('/x/playbooks/ovn_raft_health.yml') == 'ovn_raft_health'
    assert r.default_run_name('') == 'run'
    assert r.safe_name('my run/../x') == 'my_run_.._x'
    assert r.stamp(T0) == '20231114T221320Z' and r.iso(T0 + 0.0456) == '2023-11-14T22:13:20.045Z'
    assert copy.deepcopy(REPORT_SCHEMA) == REPORT_SCHEMA
