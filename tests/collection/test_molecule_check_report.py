# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""extensions/molecule/shared/check_report.py (used by Molecule scenarios) on reports written by the real callback:
the recorded integration target reports of schema_version 2 (a failed serial rollout, the queue run) and 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCRIPT = os.path.join(ROOT, 'extensions', 'molecule', 'shared', 'check_report.py')
SCHEMA = os.path.join(ROOT, 'docs', 'report-schema.json')
FIX = os.path.join(ROOT, 'tests', 'unit', 'plugins', 'plugin_utils', 'fixtures', 'report')


def check(*args):
    r = subprocess.run([sys.executable, SCRIPT, SCHEMA] + list(args), capture_output=True, text=True, check=False)
    return r.returncode, r.stdout + r.stderr


def fixture(name):
    return os.path.join(FIX, name)


def queue_ms(name, node):
    with open(fixture(name)) as f:
        return next(n['queue_ms'] for n in json.load(f)['nodes'] if n['name'] == node)


def test_current_reports_validate_with_their_queue_time():
    rc, out = check(fixture('fail-report.json'), fixture('queue-report.json'), '--gap-node', 'lab-node-1', '--queued-node', 'lab-node-2')
    assert rc == 1 and 'queue-report.json: node lab-node-1 has no measured data-plane gap' in out, out
    rc, out = check(fixture('queue-report.json'), '--queued-node', 'lab-node-2', '--queued-node', 'lab-node-3')
    assert rc == 0, out
    assert 'valid (schema 2), 3 node(s), lab-node-2 queued %d ms, lab-node-3 queued %d ms' % (
        queue_ms('queue-report.json', 'lab-node-2'), queue_ms('queue-report.json', 'lab-node-3')) in out, out
    rc, out = check(fixture('fail-report.json'), '--gap-node', 'lab-node-1', '--queued-node', 'lab-node-2')
    assert rc == 0 and 'lab-node-1 gap_ms_max 101, lab-node-2 queued %d ms' % queue_ms('fail-report.json', 'lab-node-2') in out, out


def test_node_that_did_not_wait():
    rc, out = check(fixture('queue-report.json'), '--queued-node', 'lab-node-1')
    assert rc == 1 and 'node lab-node-1 did not wait for other hosts: queue_ms 0' in out, out


def test_version_1_report_is_still_accepted():
    """A report written before queue time was recorded (left in a Molecule ephemeral directory) still validates."""
    rc, out = check(fixture('fail-report-v1.json'), fixture('queue-report.json'), '--gap-node', 'lab-node-1')
    assert rc == 1 and 'fail-report-v1.json: valid (schema 1), 3 node(s), lab-node-1 gap_ms_max 101' in out, out
    rc, out = check(fixture('fail-report-v1.json'), '--queued-node', 'lab-node-2')
    assert rc == 1 and 'did not wait for other hosts: queue_ms None' in out, out


@pytest.mark.parametrize('change, message', [
    (lambda r: r.update(schema_version=3), "does not match the schema: 2 was expected"),
    (lambda r: r['nodes'][0].pop('queued'), "'queued' is a required property at nodes/0"),
    (lambda r: r['plays'][0].pop('batches'), "'batches' is a required property at plays/0"),
    (lambda r: r['nodes'][1].update(queue_ms=5), 'node lab-node-2: queue_ms 5 is not the total of its queued segments (%d)'
     % queue_ms('queue-report.json', 'lab-node-2')),
    (lambda r: r['nodes'][1]['queued'][0].update(end=r['nodes'][1]['phases'][2]['end']), 'node lab-node-2: queued'),
])
def test_broken_reports(tmp_path, change, message):
    with open(fixture('queue-report.json')) as f:
        rep = json.load(f)
    change(rep)
    path = tmp_path / 'r.json'
    path.write_text(json.dumps(rep))
    rc, out = check(str(path))
    assert rc == 1 and message in out, out


def test_version_1_report_is_still_validated(tmp_path):
    with open(fixture('fail-report-v1.json')) as f:
        rep = json.load(f)
    rep['nodes'][0]['position'] = 0
    path = tmp_path / 'r.json'
    path.write_text(json.dumps(rep))
    rc, out = check(str(path))
    assert rc == 1 and 'does not match the schema: 0 is less than the minimum of 1 at nodes/0/position' in out, out
