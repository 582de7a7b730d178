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


def test_serial_batches_are_recorded_per_play():
    rec = r.Recorder('pb.yml', T0)
    rec.play_start('p', ['a', 'b', 'c'], T0, key='uuid-1', batch=['a'])
    rec.play_start('p', ['a', 'b', 'c'], T0 + 5, key='uuid-1', batch=['b', 'c'])
    rec.play_start('p2', ['c'], T0 + 9, key='uuid-2')  # no batch given: the whole play
    assert [[(b['hosts'], b['start'] - T0) for b in p['batches']] for p in rec.plays] == [
        [(['a'], 0), (['b', 'c'], 5)], [(['c'], 9)]]
    rep = r.build_report(rec, T0 + 10)
    assert rep['plays'][0]['batches'] == [{'hosts': ['a'], 'start': r.iso(T0)}, {'hosts': ['b', 'c'], 'start': r.iso(T0 + 5)}]
    assert rep['plays'][1]['batches'] == [{'hosts': ['c'], 'start': r.iso(T0 + 9)}]


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
    assert re.match(r'^NODE +RESULT +QUEUED +PHASES$', lines[1])
    assert re.match(r'^1/3 lab-node-1 +changed +- +preflight \S+ m?s ok, drain \S+ m?s changed, upgrade \S+ m?s changed, verify \S+ m?s ok; '
                    r'data-plane gap 108 ms, 1 lost packets$', lines[2]), lines[2]
    assert re.match(r'^2/3 lab-node-2 +failed +[0-9.]+ s +preflight .*, upgrade \S+ m?s FAILED$', lines[3]), lines[3]
    assert re.match(r'^3/3 lab-node-3 +not_run +- +-$', lines[4]), lines[4]
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


# ------------------------------------------------------------ queue time

def _task(rec, host, name, start, end, status='ok', uuid=None):
    uuid = uuid or '%s@%s' % (name, start)
    rec.task_start(host, uuid, name, T0 + start)
    rec.task_result(host, uuid, name, status, T0 + end, {'changed': status == 'changed'})


def _hot_upgrade(serial_batches=True, batch=True):
    """playbooks/ovs_hot_upgrade.yml's shape: preflight on every node at once, then serial: 1.

    t 0-2 play 1 (a and c take 1 s, b 2 s: a and c wait for b in lock-step); play 2 batches at 2, 7 and 10:
    per node a task without a phase (like Gathering Facts), then upgrade and verify.
    """
    rec = r.Recorder('pb.yml', T0)
    nodes = ['a', 'b', 'c']
    rec.play_start('Preflight', nodes, T0, key='p1', batch=nodes if batch else None)
    for h, d in (('a', 1), ('b', 2), ('c', 1)):
        _task(rec, h, 'Preflight | check', 0, d)
    for h, (s, e) in zip(nodes, ((2, 7), (7, 10), (10, 11))):
        rec.play_start('Node by node', nodes, T0 + s, key='p2', batch=[h] if batch else None)
        if not serial_batches:
            continue
        _task(rec, h, 'Gathering Facts', s + 0.1, s + 0.2)
        _task(rec, h, 'Upgrade | swap', s + 0.2, e - 0.1, 'changed')
        _task(rec, h, 'Verify | check', e - 0.1, e)
    return rec


def test_waiting_for_a_serial_batch_is_queued_not_preflight():
    rep = r.build_report(_hot_upgrade(), T0 + 11)
    a, b, c = rep['nodes']
    # a goes straight on: its lock-step wait for b in play 1 and the task without a phase stay in preflight
    assert a['queue_ms'] == 0 and a['queued'] == []
    assert [(p['name'], p['duration_ms']) for p in a['phases']] == [('preflight', 2200), ('upgrade', 4700), ('verify', 100)]
    # b waited for a's batch, c for a's and b's: from the end of their preflight task to their next task
    assert [(p['name'], p['start'], p['duration_ms']) for p in b['phases']] == [
        ('preflight', r.iso(T0), 2000), ('preflight', r.iso(T0 + 7.1), 100), ('upgrade', r.iso(T0 + 7.2), 2700), ('verify', r.iso(T0 + 9.9), 100)]
    assert b['queued'] == [{'start': r.iso(T0 + 2), 'end': r.iso(T0 + 7.1), 'duration_ms': 5100,
                            'after_phase': 'preflight', 'before_phase': 'preflight', 'waited_for': ['a'], 'waited_for_count': 1}]
    assert b['queue_ms'] == 5100 and b['duration_ms'] == 10000
    assert [(p['name'], p['duration_ms']) for p in c['phases']][:2] == [('preflight', 1000), ('preflight', 100)]
    assert c['queued'] == [{'start': r.iso(T0 + 1), 'end': r.iso(T0 + 10.1), 'duration_ms': 9100,
                            'after_phase': 'preflight', 'before_phase': 'preflight', 'waited_for': ['a', 'b'], 'waited_for_count': 2}]
    lines = r.summary_lines(rep)
    assert re.match(r'^1/3 a +changed +- +preflight 2\.2 s ok, upgrade', lines[2]), lines[2]
    assert re.match(r'^2/3 b +changed +5\.1 s +preflight 2\.0 s ok, preflight 100 ms ok, upgrade', lines[3]), lines[3]
    assert re.match(r'^3/3 c +changed +9\.1 s +preflight 1\.0 s ok, preflight', lines[4]), lines[4]


def test_batches_unknown_only_waits_for_other_plays_count():
    """Without the batch host lists (batch=None) each play is one batch: the serial wait is not seen."""
    rep = r.build_report(_hot_upgrade(batch=False), T0 + 11)
    assert [n['queue_ms'] for n in rep['nodes']] == [0, 0, 0]
    assert rep['nodes'][1]['phases'][0]['duration_ms'] == 7200  # the old long preflight


def test_nodes_the_run_never_reached_again_have_no_queue():
    """After a failure the later batches never run: waiting for nothing is not queue time."""
    rec = _hot_upgrade(serial_batches=False)
    _task(rec, 'a', 'Upgrade | swap', 2.1, 3, 'failed')
    rep = r.build_report(rec, T0 + 3)
    assert [(n['name'], n['queue_ms'], [p['name'] for p in n['phases']]) for n in rep['nodes']] == [
        ('a', 0, ['preflight', 'upgrade']), ('b', 0, ['preflight']), ('c', 0, ['preflight'])]


def test_wait_before_the_first_task_of_a_serial_play():
    rec = r.Recorder('pb.yml', T0)
    rec.play_start('p', ['a', 'b'], T0, key='p', batch=['a'])
    _task(rec, 'a', 'Drain | x', 0.1, 3)
    rec.play_start('p', ['a', 'b'], T0 + 3, key='p', batch=['b'])
    _task(rec, 'b', 'Drain | x', 3.1, 4)
    rep = r.build_report(rec, T0 + 4)
    a, b = rep['nodes']
    assert a['queued'] == [] and a['start'] == r.iso(T0 + 0.1)
    assert b['queued'] == [{'start': r.iso(T0), 'end': r.iso(T0 + 3.1), 'duration_ms': 3100,
                            'after_phase': None, 'before_phase': 'drain', 'waited_for': ['a'], 'waited_for_count': 1}]
    # the node's own span starts with its first task; the wait before it is counted in queue_ms only
    assert b['start'] == r.iso(T0 + 3.1) and b['duration_ms'] == 900 and b['queue_ms'] == 3100


def test_lock_step_and_fork_waits_inside_a_batch_are_not_queue():
    rec = r.Recorder('pb.yml', T0)
    rec.play_start('p', ['a', 'b'], T0, key='p', batch=['a', 'b'])
    _task(rec, 'a', 'Drain | x', 0, 1)
    _task(rec, 'b', 'Drain | x', 0, 5)   # a waits 4 s for b (linear strategy)
    _task(rec, 'a', 'Drain | y', 5, 6)
    _task(rec, 'b', 'Drain | y', 6.5, 7)  # b waited for a fork
    rep = r.build_report(rec, T0 + 7)
    assert [(n['queue_ms'], [(p['name'], p['duration_ms']) for p in n['phases']]) for n in rep['nodes']] == [
        (0, [('drain', 6000)]), (0, [('drain', 7000)])]


def test_a_play_without_the_node_is_queue_time_and_waits_after_its_batch_too():
    rec = r.Recorder('pb.yml', T0)
    rec.play_start('prepare', ['a', 'b'], T0, key='p1')
    _task(rec, 'a', 'Preflight | x', 0, 1)
    _task(rec, 'b', 'Preflight | x', 0, 1)
    rec.play_start('control plane', ['cp'], T0 + 1, key='p2')
    _task(rec, 'cp', 'Plan | x', 1, 4)
    rec.play_start('nodes', ['a', 'b'], T0 + 4, key='p3', batch=['a'])
    _task(rec, 'a', 'Upgrade | x', 4, 5)
    rec.play_start('nodes', ['a', 'b'], T0 + 5, key='p3', batch=['b'])
    _task(rec, 'b', 'Upgrade | x', 5, 6)
    rec.play_start('finish', ['a', 'b'], T0 + 6, key='p4')
    _task(rec, 'a', 'Verify | x', 6, 7)
    _task(rec, 'b', 'Verify | x', 6, 7)
    rep = r.build_report(rec, T0 + 7)
    a, b, cp = rep['nodes']
    assert [(q['after_phase'], q['before_phase'], q['waited_for'], q['duration_ms']) for q in a['queued']] == [
        ('preflight', 'upgrade', ['cp'], 3000), ('upgrade', 'verify', ['b'], 1000)]
    assert [(q['after_phase'], q['before_phase'], q['waited_for'], q['duration_ms']) for q in b['queued']] == [
        ('preflight', 'upgrade', ['cp', 'a'], 4000)]
    assert (a['queue_ms'], b['queue_ms'], cp['queue_ms']) == (4000, 4000, 0)
    assert cp['position'] == 1 and cp['total'] == 1


def test_queue_segments_mark_the_task_after_a_wait():
    """The index of the task after a wait is where _node_phases starts a new phase, also of the same name."""
    segments, after = r.queue_segments('b', [
        {'phase': 'drain', 'start': T0, 'end': T0 + 1},
        {'phase': 'drain', 'start': T0 + 5, 'end': T0 + 6},
        {'phase': 'drain', 'start': T0 + 6, 'end': T0 + 7}], [(T0 + 2, ['a']), (T0 + 6.5, [])], T0)
    assert after == {1} and segments == [{'start': T0 + 1, 'end': T0 + 5, 'after_phase': 'drain', 'before_phase': 'drain',
                                          'waited_for': ['a'], 'waited_for_count': 1}]


def test_batches_without_hosts_and_overlapping_tasks():
    # a batch whose hosts are unknown (empty) never makes a wait; overlapping tasks (async, free strategy) keep the host busy
    segments, after = r.queue_segments('b', [
        {'phase': 'x', 'start': T0, 'end': T0 + 10},
        {'phase': 'x', 'start': T0 + 1, 'end': T0 + 2},
        {'phase': 'x', 'start': T0 + 5, 'end': T0 + 6}], [(T0 + 3, ['a']), (T0 + 11, [])], T0)
    assert segments == [] and after == set()
    segments, _after = r.queue_segments('b', [{'phase': 'x', 'start': T0 + 4, 'end': None}], [(T0 + 1, ['a'])], T0, T0 + 9, complete=False)
    assert [(q['start'] - T0, q['end'] - T0, q['after_phase']) for q in segments] == [(0, 4, None)]


def test_interrupted_while_queued_node_runs_nothing_more():
    rec = r.Recorder('x.yml', T0)
    rec.play_start('p', ['a', 'b'], T0, key='p', batch=['a'])
    _task(rec, 'a', 'Drain | x', 0, 1)
    rec.task_start('a', 'u', 'Drain | wait', T0 + 1)
    rep = r.build_report(rec, T0 + 5, complete=False)
    a, b = rep['nodes']
    assert a['queue_ms'] == 0 and a['phases'][0]['duration_ms'] == 5000
    assert b['result'] == 'not_run' and b['queue_ms'] == 0 and b['queued'] == []


def test_summary_of_a_recorded_queue_run():
    rep = load('queue-report.json')
    lines = r.summary_lines(rep)
    assert re.match(r'^1/3 lab-node-1 +changed +- +preflight \S+ m?s ok, upgrade', lines[2]), lines[2]
    for n, line in zip(rep['nodes'][1:], lines[3:5]):
        assert re.match(r'^%d/3 %s +changed +%s +preflight \S+ ms ok, preflight \S+ ms ok, upgrade' % (
            n['position'], n['name'], re.escape(r.fmt_ms(n['queue_ms']))), line), line


def test_summary_of_a_version_1_report_has_no_queue():
    lines = r.summary_lines(load('fail-report-v1.json'))
    assert re.match(r'^2/3 lab-node-2 +failed +- +preflight', lines[3]), lines[3]


def test_a_large_serial_rollout_names_the_first_hosts_waited_for_and_counts_them_all():
    rec = r.Recorder('pb.yml', T0)
    hosts = ['h%02d' % i for i in range(30)]
    rec.play_start('pre', hosts, T0, key='pre')
    for h in hosts:
        _task(rec, h, 'Preflight | x', 0, 1)
    for i, h in enumerate(hosts):
        rec.play_start('serial', hosts, T0 + 1 + i, key='serial', batch=[h])
        _task(rec, h, 'Upgrade | x', 1 + i, 2 + i)
    last = r.build_report(rec, T0 + 31)['nodes'][-1]
    [q] = last['queued']
    assert q['waited_for'] == hosts[:r.WAITED_FOR_LIMIT] and q['waited_for_count'] == 29 and q['duration_ms'] == 29000
