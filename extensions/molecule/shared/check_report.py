# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate run reports of real procedure playbooks against docs/report-schema.json.

usage: check_report.py SCHEMA.json REPORT.json [REPORT.json ...] [--gap-node NODE ...] [--queued-node NODE ...]
Every report must validate; for each --gap-node, the node's data plane must have been measured
(data_plane.measured true, gap_ms_max a number, at least one phase measurement with gap_ms);
for each --queued-node, the node must have waited for other hosts (queue_ms > 0).
Queue time, where the report has it (schema_version 2 and later), must be consistent: queue_ms is
the total of queued[], and no queued segment overlaps a phase of its node.
A report of schema_version 1 (written before queue time was recorded, e.g. left in a Molecule
ephemeral directory by an older checkout) is checked against the schema without the keys
version 2 added.
Prints one line per report; exits 1 on the first problem.
"""

from __future__ import annotations

import copy
import json
import sys

import jsonschema

# Keys schema_version 2 added (and requires): per node, per play.
V2_NODE_KEYS = ('queue_ms', 'queued')
V2_PLAY_KEYS = ('batches',)


def schema_for(report, schema):
    """The schema to check report with: schema itself, or for a version 1 report its version 1 form."""
    version = report.get('schema_version') if isinstance(report, dict) else None
    current = schema.get('properties', {}).get('schema_version', {}).get('const')
    if version != 1 or current == 1 or '$defs' not in schema:
        return schema
    old = copy.deepcopy(schema)
    old['properties']['schema_version'] = {'const': 1}
    for name, keys in (('node', V2_NODE_KEYS), ('play', V2_PLAY_KEYS)):
        d = old['$defs'][name]
        d['required'] = [k for k in d['required'] if k not in keys]
        for k in keys:
            d['properties'].pop(k, None)
    return old


def queue_problems(report):
    """Inconsistencies of the queue time of a report's nodes (none for a report without it)."""
    problems = []
    for n in report.get('nodes', []):
        queued = n.get('queued')
        if queued is None:
            continue
        total = sum(q['duration_ms'] for q in queued)
        if n.get('queue_ms') != total:
            problems.append('node %s: queue_ms %s is not the total of its queued segments (%s)' % (n['name'], n.get('queue_ms'), total))
        for q in queued:
            for p in n.get('phases', []):
                if q['start'] < p['end'] and p['start'] < q['end']:
                    problems.append('node %s: queued %s..%s overlaps phase %s %s..%s' % (
                        n['name'], q['start'], q['end'], p['name'], p['start'], p['end']))
    return problems


def main(argv):
    gap_nodes, queued_nodes, paths = [], [], []
    it = iter(argv)
    for a in it:
        if a == '--gap-node':
            gap_nodes.append(next(it))
        elif a == '--queued-node':
            queued_nodes.append(next(it))
        else:
            paths.append(a)
    schema_path, reports = paths[0], paths[1:]
    if not reports:
        print('no reports given')
        return 1
    with open(schema_path) as f:
        schema = json.load(f)
    for path in reports:
        with open(path) as f:
            report = json.load(f)
        try:
            jsonschema.validate(report, schema_for(report, schema))
        except jsonschema.ValidationError as exc:
            print('%s: does not match the schema: %s at %s' % (path, exc.message, '/'.join(map(str, exc.absolute_path))))
            return 1
        problems = queue_problems(report)
        if problems:
            print('%s: %s' % (path, '; '.join(problems)))
            return 1
        nodes = dict((n['name'], n) for n in report['nodes'])
        for name in gap_nodes:
            n = nodes.get(name)
            dp = (n or {}).get('data_plane') or {}
            gaps = [m['gap_ms'] for p in (n or {}).get('phases', []) for m in p.get('measurements', []) if 'gap_ms' in m]
            if not (dp.get('measured') is True and isinstance(dp.get('gap_ms_max'), (int, float)) and gaps):
                print('%s: node %s has no measured data-plane gap: %s %s' % (path, name, dp, gaps))
                return 1
        for name in queued_nodes:
            n = nodes.get(name) or {}
            if not (n.get('queue_ms') or 0) > 0:
                print('%s: node %s did not wait for other hosts: queue_ms %s' % (path, name, n.get('queue_ms')))
                return 1
        gaps = ''.join(', %s gap_ms_max %s' % (g, nodes[g]['data_plane']['gap_ms_max']) for g in gap_nodes)
        queue = ''.join(', %s queued %s ms' % (name, n['queue_ms']) for name, n in nodes.items() if n.get('queue_ms'))
        print('%s: valid (schema %s), %d node(s)%s%s' % (path, report.get('schema_version', report.get('version', '?')), len(nodes), gaps, queue))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
