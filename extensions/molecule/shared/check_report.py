# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate run reports of real procedure playbooks against docs/report-schema.json.

usage: check_report.py SCHEMA.json REPORT.json [REPORT.json ...] [--gap-node NODE ...]
Every report must validate; for each --gap-node, the node's data plane must have been measured
(data_plane.measured true, gap_ms_max a number, at least one phase measurement with gap_ms).
Prints one line per report; exits 1 on the first problem.
"""

from __future__ import annotations

import json
import sys

import jsonschema


def main(argv):
    gap_nodes, paths = [], []
    it = iter(argv)
    for a in it:
        if a == '--gap-node':
            gap_nodes.append(next(it))
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
            jsonschema.validate(report, schema)
        except jsonschema.ValidationError as exc:
            print('%s: does not match the schema: %s at %s' % (path, exc.message, '/'.join(map(str, exc.absolute_path))))
            return 1
        nodes = dict((n['name'], n) for n in report['nodes'])
        for name in gap_nodes:
            n = nodes.get(name)
            dp = (n or {}).get('data_plane') or {}
            gaps = [m['gap_ms'] for p in (n or {}).get('phases', []) for m in p.get('measurements', []) if 'gap_ms' in m]
            if not (dp.get('measured') is True and isinstance(dp.get('gap_ms_max'), (int, float)) and gaps):
                print('%s: node %s has no measured data-plane gap: %s %s' % (path, name, dp, gaps))
                return 1
        gaps = ''.join(', %s gap_ms_max %s' % (g, nodes[g]['data_plane']['gap_ms_max']) for g in gap_nodes)
        print('%s: valid (schema %s), %d node(s)%s' % (path, report.get('schema_version', report.get('version', '?')), len(nodes), gaps))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
