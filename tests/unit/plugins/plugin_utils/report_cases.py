# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Inputs shared by the rollout report tests: recorded real task results, a recorded report, a 3-node rollout."""

from __future__ import annotations

import json
import os

import jsonschema

from ansible_collections.cni.ovs.plugins.plugin_utils import _report_model as r
from ansible_collections.cni.ovs.plugins.plugin_utils._report_schema import REPORT_SCHEMA

HERE = os.path.dirname(__file__)
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))
FIX = os.path.join(HERE, 'fixtures', 'report')


def load(name):
    with open(os.path.join(FIX, name)) as f:
        return json.load(f)


RESULTS = dict((e['task'], e['result']) for e in load('results.json'))
T0 = 1_700_000_000.0


def rollout(fail_on=None, stats=True, ended_extra=0.0):
    """Three hosts through preflight/drain/upgrade using the recorded real results."""
    rec = r.Recorder('playbooks/upgrade.yml', T0)
    hosts = ['n1', 'n2', 'n3']
    rec.play_start('Upgrade', hosts, T0, key='p1')
    t = T0
    done = []
    for h in hosts:
        steps = [('Preflight | check', 'ok', {'changed': False}),
                 ('Drain | Copy with backup', 'changed', RESULTS['Drain | Copy with backup']),
                 ('settle', 'ok', {'changed': False}),
                 ('Upgrade | Gap as a fact', 'ok', RESULTS['Upgrade | Gap as a fact']),
                 ('Upgrade | swap', 'failed' if h == fail_on else 'changed',
                  RESULTS['Verify | Assertion that fails'] if h == fail_on else {'changed': True, 'cni_ovs_report': {'gap_ms': 100}})]
        for i, (name, status, res) in enumerate(steps):
            rec.task_start(h, 'u%d' % i, name, t)
            t += 0.5
            rec.task_result(h, 'u%d' % i, name, status, t, res)
        done.append(h)
        if h == fail_on:
            break
    if stats:
        rec.set_stats(dict((h, {'ok': 5, 'changed': 2, 'failures': int(h == fail_on), 'unreachable': 0,
                                'skipped': 0, 'rescued': 0, 'ignored': 0}) for h in done))
    return r.build_report(rec, t + ended_extra, complete=stats, ansible_version='2.19.14')


def jsonschema_errors(report):
    return list(jsonschema.Draft202012Validator(REPORT_SCHEMA).iter_errors(report))
