# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a report written by cni.ovs.rollout_report for rollout.yml.

usage: check_report.py ok|fail|interrupted|queue SCHEMA.json REPORT.json
Validates against the schema with jsonschema and checks nodes, phases, results, backups, gaps and
queue time (mode queue: a report of queue.yml, the others of rollout.yml).
"""

from __future__ import annotations

import datetime
import json
import sys

import jsonschema

PHASES = ['preflight', 'drain', 'upgrade', 'verify']


def node(report, name):
    return next(n for n in report['nodes'] if n['name'] == name)


def ts(iso):
    return datetime.datetime.strptime(iso, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp()


def check_queue_consistent(n):
    """queue_ms is the total of queued[]; phases and queued segments follow each other without overlapping."""
    assert n['queue_ms'] == sum(q['duration_ms'] for q in n['queued']), n
    spans = sorted([(p['start'], p['end'], p['name']) for p in n['phases']] + [(q['start'], q['end'], 'queued') for q in n['queued']])
    for (_s0, e0, a), (s1, _e1, b) in zip(spans, spans[1:]):
        assert e0 <= s1, '%s: %s overlaps %s: %s' % (n['name'], a, b, spans)
    for q in n['queued']:
        # duration_ms is rounded from the exact times, start and end are cut to milliseconds
        assert abs(q['duration_ms'] - (ts(q['end']) - ts(q['start'])) * 1000) < 2, q


def span_ms(phases):
    return (ts(phases[-1]['end']) - ts(phases[0]['start'])) * 1000


def check_batches(report, expected):
    """The serial: 1 play ran one batch per node, in order."""
    got = [b['hosts'] for b in report['plays'][-1]['batches']]
    assert got == expected, got


def check_complete_node(n, position):
    assert n['position'] == position and n['total'] == 3, n
    assert [p['name'] for p in n['phases']] == PHASES, [p['name'] for p in n['phases']]
    assert n['result'] == 'changed', n['result']
    res = dict((p['name'], p['result']) for p in n['phases'])
    assert res == {'preflight': 'ok', 'drain': 'changed', 'upgrade': 'changed', 'verify': 'ok'}, res
    drain = n['phases'][1]
    # "Let the marker settle" has no phase in its name: it belongs to drain (sleep 0.3 s)
    assert drain['tasks'] == {'ok': 1, 'changed': 1, 'failed': 0, 'skipped': 0, 'unreachable': 0}, drain['tasks']
    assert drain['duration_ms'] >= 300, drain['duration_ms']
    assert n['changed_tasks'] == ['Drain | Write the drain marker (backs up the previous one)',
                                  'Upgrade | Swap the datapath (reports its gap)'], n['changed_tasks']
    assert len(n['backups']) == 1 and '/%s/drained.' % n['name'] in n['backups'][0]['path'], n['backups']
    assert n['backups'][0]['phase'] == 'drain'
    gaps = [(m['gap_ms'], m['lost_packets']) for m in n['phases'][2]['measurements']]
    k = int(n['name'][-1])
    assert gaps == [(100 + k, k), (7.5, None)], gaps
    assert n['data_plane'] == {'measured': True, 'gap_ms_total': 100 + k + 7.5, 'gap_ms_max': 100 + k, 'lost_packets': k}, n['data_plane']
    assert n['phases'][2]['measurements'][0]['data']['probe'] == 'udp-1000pps'
    # the ignored failure is listed, marked ignored, and does not fail the node
    assert [(f['phase'], f['ignored']) for f in n['failures']] == [('verify', True)], n['failures']
    assert n['stats']['ignored'] == 1 and n['stats']['failures'] == 0, n['stats']
    # phases are in time order and inside the node's span
    ends = [p['end'] for p in n['phases']]
    starts = [p['start'] for p in n['phases']]
    assert starts == sorted(starts) and ends == sorted(ends) and n['start'] == starts[0] and n['end'] == ends[-1]


def check_queue(report):
    """queue.yml: a preflight play on all nodes, then serial: 1 with work_s (1 s) of work per node.

    lab-node-1 goes straight on: no queue. lab-node-2 waits while lab-node-1 works, lab-node-3 while
    both do: their queued time covers the earlier nodes' work in the serial play (bounds generous for a
    loaded machine), and their preflight phases end where the wait begins (short, not stretched over it).
    """
    run = report['run']
    assert run['result'] == 'changed' and run['complete'] is True, run
    assert len(report['plays']) == 2 and [b['hosts'] for b in report['plays'][0]['batches']] == [['lab-node-1', 'lab-node-2', 'lab-node-3']]
    check_batches(report, [['lab-node-1'], ['lab-node-2'], ['lab-node-3']])
    n1, n2, n3 = (node(report, 'lab-node-%d' % i) for i in (1, 2, 3))
    assert n1['queue_ms'] == 0 and n1['queued'] == [], n1['queued']
    assert [p['name'] for p in n1['phases']] == ['preflight', 'upgrade', 'verify'], n1['phases']
    # the earlier nodes' work (upgrade to verify), and how long the serial play took to reach a node's batch
    work = dict((n['name'], span_ms(n['phases'][-2:])) for n in (n1, n2, n3))
    batch = [ts(b['start']) for b in report['plays'][-1]['batches']]
    for k, n, before in ((1, n2, ['lab-node-1']), (2, n3, ['lab-node-1', 'lab-node-2'])):
        # the wait splits preflight: the first task of the serial play has no phase, it continues preflight
        assert [p['name'] for p in n['phases']] == ['preflight', 'preflight', 'upgrade', 'verify'], n['phases']
        [q] = n['queued']
        assert (q['after_phase'], q['before_phase'], q['waited_for'], q['waited_for_count']) == ('preflight', 'preflight', before, len(before)), q
        assert (q['start'], q['end']) == (n['phases'][0]['end'], n['phases'][1]['start']), (q, n['phases'])
        assert all(work[b] >= 1000 for b in before), work  # sleep 1
        # the wait covers the earlier batches entirely (it starts before the serial play, ends in its own
        # batch), and not much more: the end of the preflight play and the start of a task (generous bounds)
        earlier = (batch[k] - batch[0]) * 1000
        assert earlier >= sum(work[b] for b in before), (earlier, work)
        assert earlier - 2 <= n['queue_ms'] <= earlier + 3000, (n['name'], n['queue_ms'], earlier)
        for p in n['phases'][:2]:
            assert p['duration_ms'] < 1000, ('a preflight phase spans the wait', n['name'], p)
        # the wait lies where the earlier nodes worked
        for b in before:
            other = node(report, b)['phases'][-2:]
            assert q['start'] <= other[0]['start'] and other[-1]['end'] <= q['end'], (q, b, other)
        assert n['duration_ms'] >= n['queue_ms']


def main():
    mode, schema_path, report_path = sys.argv[1:4]
    with open(schema_path) as f:
        schema = json.load(f)
    with open(report_path) as f:
        report = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report['schema_version'] == 2
    for n in report['nodes']:
        check_queue_consistent(n)
    if mode == 'queue':
        check_queue(report)
        print('report ok (%s): %s' % (mode, report_path))
        return
    assert [n['name'] for n in report['nodes']] == ['lab-node-1', 'lab-node-2', 'lab-node-3']
    assert report['plays'][0]['hosts'] == ['lab-node-1', 'lab-node-2', 'lab-node-3'], report['plays']
    assert len(report['plays']) == 1, 'serial batches must not repeat the play'
    run = report['run']
    if mode == 'ok':
        assert run['result'] == 'changed' and run['complete'] is True, run
        for i in (1, 2, 3):
            check_complete_node(node(report, 'lab-node-%d' % i), i)
        n1, n2, n3 = report['nodes']
        assert n1['end'] <= n2['start'] and n2['end'] <= n3['start'], 'serial: 1 must run nodes one after another'
        check_batches(report, [['lab-node-1'], ['lab-node-2'], ['lab-node-3']])
        # one play, serial: 1: lab-node-2 and -3 wait for their batch from the start of the play
        assert n1['queue_ms'] == 0 and n1['queued'] == [], n1['queued']
        start = report['plays'][0]['start']
        for n, before in ((n2, ['lab-node-1']), (n3, ['lab-node-1', 'lab-node-2'])):
            [q] = n['queued']
            assert (q['start'], q['end'], q['after_phase'], q['before_phase'], q['waited_for'], q['waited_for_count']) == (
                start, n['start'], None, 'preflight', before, len(before)), q
            assert q['duration_ms'] >= sum(node(report, b)['duration_ms'] for b in before) - 2, (q, before)
    elif mode == 'fail':
        assert run['result'] == 'failed' and run['complete'] is True and run['name'] == 'upgrade-fail', run
        check_complete_node(node(report, 'lab-node-1'), 1)
        n2 = node(report, 'lab-node-2')
        assert n2['result'] == 'failed', n2['result']
        assert [(p['name'], p['result']) for p in n2['phases']] == [('preflight', 'ok'), ('drain', 'changed'), ('upgrade', 'failed')], n2['phases']
        fails = [f for f in n2['failures'] if not f['ignored']]
        assert len(fails) == 1, fails
        assert fails[0]['task'] == 'Upgrade | Refuse while a blocker is present' and fails[0]['phase'] == 'upgrade'
        assert 'upgrade blocked by' in fails[0]['message'] and 'lab-node-2/blocker' in fails[0]['message'], fails[0]
        assert n2['data_plane']['measured'] is False and n2['data_plane']['gap_ms_total'] is None
        n3 = node(report, 'lab-node-3')
        assert n3['result'] == 'not_run' and n3['phases'] == [] and n3['start'] is None, n3
        # lab-node-2 waited for lab-node-1; lab-node-3 never ran: no queue time (only waits before a task count)
        check_batches(report, [['lab-node-1'], ['lab-node-2']])
        assert [q['waited_for'] for q in n2['queued']] == [['lab-node-1']] and n2['queue_ms'] > 0, n2['queued']
        assert n3['queue_ms'] == 0 and n3['queued'] == [], n3
    elif mode == 'interrupted':
        assert run['complete'] is False and run['result'] == 'failed', run
        n1 = node(report, 'lab-node-1')
        last = n1['phases'][-1]
        assert last['name'] == 'drain' and last['result'] == 'failed', last
        assert last['failures'][-1]['task'] == 'Let the marker settle' and 'interrupted' in last['failures'][-1]['message'], last['failures']
        assert n1['stats'] is None
        assert [node(report, h)['result'] for h in ('lab-node-2', 'lab-node-3')] == ['not_run', 'not_run']
        assert [node(report, h)['queue_ms'] for h in ('lab-node-1', 'lab-node-2', 'lab-node-3')] == [0, 0, 0]
    else:
        sys.exit('unknown mode %s' % mode)
    print('report ok (%s): %s' % (mode, report_path))


if __name__ == '__main__':
    main()
