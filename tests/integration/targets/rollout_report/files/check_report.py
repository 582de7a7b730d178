# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a report written by cni.ovs.rollout_report for rollout.yml.

usage: check_report.py ok|fail|interrupted SCHEMA.json REPORT.json
Validates against the schema with jsonschema and checks nodes, phases, results, backups, gaps.
"""

from __future__ import annotations

import json
import sys

import jsonschema

PHASES = ['preflight', 'drain', 'upgrade', 'verify']


def node(report, name):
    return next(n for n in report['nodes'] if n['name'] == name)


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


def main():
    mode, schema_path, report_path = sys.argv[1:4]
    with open(schema_path) as f:
        schema = json.load(f)
    with open(report_path) as f:
        report = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report['schema_version'] == 1
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
    elif mode == 'interrupted':
        assert run['complete'] is False and run['result'] == 'failed', run
        n1 = node(report, 'lab-node-1')
        last = n1['phases'][-1]
        assert last['name'] == 'drain' and last['result'] == 'failed', last
        assert last['failures'][-1]['task'] == 'Let the marker settle' and 'interrupted' in last['failures'][-1]['message'], last['failures']
        assert n1['stats'] is None
        assert [node(report, h)['result'] for h in ('lab-node-2', 'lab-node-3')] == ['not_run', 'not_run']
    else:
        sys.exit('unknown mode %s' % mode)
    print('report ok (%s): %s' % (mode, report_path))


if __name__ == '__main__':
    main()
