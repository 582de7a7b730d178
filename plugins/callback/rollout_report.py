# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: rollout_report
type: notification
short_description: Node-by-node progress, summary table and JSON/HTML run report of a rollout
version_added: 0.1.0
description:
  - "Follows every task of every host and prints a progress line when a host enters a phase,
    for example C(node 2/3 lab-node-2: drain), where 2/3 is the host's place in the play's host list."
  - The phase of a task is the text before C( | ) in its name, in lower case
    (C(Drain | Taint node) and C(drain | taint node) are phase C(drain)).
    A task without it belongs to the phase of the previous task of that host, or to C(other).
  - At the end of the playbook, also when it failed or stopped with C(any_errors_fatal), prints a summary
    table (node, result, queued time, phases with durations) and writes a JSON report and a self-contained HTML page
    (inline CSS and SVG, no external assets) with a timeline, one row per node, phases as bars, queued time as
    hatched bars, failures marked, and data-plane gaps. Their paths are printed last.
  - "The JSON report follows C(docs/report-schema.json) (C(schema_version: 2)): per node and per phase start, end
    (ISO 8601 UTC), duration_ms and result (ok, changed, failed, skipped, unreachable; a node that the rollout never
    reached is C(not_run)), the time the node was queued, the tasks that changed something, backups made, failures
    with their message and the data-plane gaps where measured."
  - "Queue time: a node is queued while it has no task running and a batch without it runs, that is, while it
    waits for its C(serial) batch or for a play of other hosts. Exactly: a gap between the end of a node's task
    (or the start of the first play listing it) and the start of its next task is queued when a batch that does not
    include the node started in it; the callback records each play's batches (C(v2_playbook_on_play_start) comes
    once per batch, with the inventory restricted to the batch's hosts). Queued time is shown as C(queued) segments
    (C(queue_ms) per node), never inside a phase: a phase that goes on after a wait is a new phase. Waiting inside
    the node's own batch (for a fork, or for slower hosts in the linear strategy) is not queue time."
  - "Collected from task results: C(changed); C(backup_path), C(backup_file) (as returned by
    M(ansible.builtin.copy) and friends with C(backup=true)) and C(backups) (list of paths or of dicts with C(path));
    C(msg) of failures; and a C(cni_ovs_report) dictionary, returned by a module or set as a fact with
    M(ansible.builtin.set_fact), whose C(gap_ms) and C(lost_packets) keys are data-plane gaps."
  - If the run is interrupted before the final statistics, the report is written at exit with C(complete=false).
  - Results hidden with C(no_log) contribute only their censored message.
  - This callback must be enabled, for example with C(callbacks_enabled = cni.ovs.rollout_report) in ansible.cfg
    or C(ANSIBLE_CALLBACKS_ENABLED=cni.ovs.rollout_report) in the environment.
requirements:
  - enabled in C(callbacks_enabled)
options:
  report_dir:
    description:
      - Directory the reports are written to; created if missing.
      - A relative path is relative to the current working directory of C(ansible-playbook) (not to the playbook,
        which for C(cni.ovs.*) playbooks lies inside the installed collection).
      - The C(cni_ovs_report_dir) variable is read from extra vars (C(-e)) at the start of each play, so AWX job
        templates and surveys can set it.
    type: path
    default: ./reports
    ini:
      - section: callback_rollout_report
        key: report_dir
    env:
      - name: CNI_OVS_REPORT_DIR
    vars:
      - name: cni_ovs_report_dir
  run_name:
    description:
      - Name of the run, used in the report and as the file name prefix
        (C(<run_name>-<UTC time>.json) and C(.html)).
      - Defaults to the playbook file name without C(.yml).
      - The C(cni_ovs_report_name) variable is read from extra vars (C(-e)) at the start of each play.
    type: str
    ini:
      - section: callback_rollout_report
        key: run_name
    env:
      - name: CNI_OVS_REPORT_NAME
    vars:
      - name: cni_ovs_report_name
  progress:
    description:
      - "Print the C(node N/M host: phase) progress lines and the summary table."
      - The report files are written either way.
    type: bool
    default: true
    ini:
      - section: callback_rollout_report
        key: progress
    env:
      - name: CNI_OVS_REPORT_PROGRESS
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = cni.ovs.rollout_report
# [callback_rollout_report]
# report_dir = /var/log/cni-ovs/reports

# or per run, from the environment and extra vars:
#   ANSIBLE_CALLBACKS_ENABLED=cni.ovs.rollout_report \
#     ansible-playbook cni.ovs.ovn_raft_health -e cni_ovs_report_dir=/srv/reports

# Tasks name their phase before " | ":
- name: Preflight | Check the OVS bridge exists
  ansible.builtin.command: ovs-vsctl br-exists br-int
  changed_when: false

# A task can report a data-plane gap it measured:
- name: Upgrade | Record the measured gap
  ansible.builtin.set_fact:
    cni_ovs_report:
      gap_ms: "{{ probe.gap_ms }}"
      lost_packets: "{{ probe.lost }}"
"""

import atexit
import json
import os
import time

from ansible import context
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ansible_version

from ansible_collections.cni.ovs.plugins.plugin_utils import _report_html, _report_model, _report_validate
from ansible_collections.cni.ovs.plugins.plugin_utils._report_write import write_atomic


def _result_dict(result):
    res = getattr(result, 'result', None)
    if not isinstance(res, dict):
        res = getattr(result, '_result', None)
    return res if isinstance(res, dict) else {}


def _host_name(result):
    host = getattr(result, 'host', None) or getattr(result, '_host', None)
    return host.get_name() if host is not None else ''


def _task(result):
    return getattr(result, 'task', None) or getattr(result, '_task', None)


def _task_name(task):
    name = getattr(task, 'name', None)
    if not name:
        name = task.get_name() if task is not None else ''
    return to_text(name).strip()


class CallbackModule(CallbackBase):
    """Progress lines, summary table and JSON/HTML run report."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'cni.ovs.rollout_report'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self._rec = None
        self._written = False
        self._extra_vars = {}
        atexit.register(self._at_exit)

    # ------------------------------------------------------------ options
    def _opt(self, name):
        try:
            return self.get_option(name)
        except KeyError:
            return None

    def _apply_extra_vars(self, play):
        try:
            extra = dict(play.get_variable_manager().extra_vars)
        except Exception:  # pylint: disable=broad-except
            return
        # an empty answer (an optional AWX survey question left blank) means: not set
        wanted = dict((k, extra[k]) for k in ('cni_ovs_report_dir', 'cni_ovs_report_name') if extra.get(k) not in (None, ''))
        if wanted and wanted != self._extra_vars:
            self._extra_vars = wanted
            self.set_options(var_options=wanted)

    # ------------------------------------------------------------ events
    def v2_playbook_on_start(self, playbook):
        name = getattr(playbook, '_file_name', '') or ''
        self._rec = _report_model.Recorder(playbook=to_text(name), started=time.time())
        self._written = False

    def v2_playbook_on_play_start(self, play):
        if self._rec is None:
            self._rec = _report_model.Recorder(started=time.time())
        self._apply_extra_vars(play)
        # Called once per serial batch, with the inventory restricted to the batch's hosts
        # (ansible's PlaybookExecutor: restrict_to_hosts(batch), then TaskQueueManager.run() -> this callback).
        hosts, batch = [], None  # batch unknown: the whole play counts as one batch
        try:
            inventory = play.get_variable_manager()._inventory  # pylint: disable=protected-access
            hosts = [h.get_name() for h in inventory.get_hosts(play.hosts, ignore_restrictions=True, order=play.order)]
            batch = [h.get_name() for h in inventory.get_hosts(play.hosts, order=play.order)]
        except Exception:  # pylint: disable=broad-except
            pass
        self._rec.play_start(to_text(play.get_name()), hosts, time.time(), key=getattr(play, '_uuid', None), batch=batch)

    def _progress(self, host, phase):
        if phase is None or not self._opt('progress'):
            return
        pos = self._rec.position(host)
        where = '%d/%d' % pos if pos else '?/?'
        self._display.display('node %s %s: %s' % (where, host, phase))

    def v2_runner_on_start(self, host, task):
        if self._rec is None:
            return
        name = host.get_name()
        self._progress(name, self._rec.task_start(name, task._uuid, _task_name(task), time.time()))

    def _record(self, result, status, ignored=False):
        if self._rec is None:
            return
        task = _task(result)
        host = _host_name(result)
        res = _result_dict(result)
        if status == 'ok' and res.get('changed'):
            status = 'changed'
        uuid = getattr(task, '_uuid', None)
        self._progress(host, self._rec.task_result(host, uuid, _task_name(task), status, time.time(), res, ignored=ignored))

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed', ignored=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        if self._rec is None:
            return
        per_host = {}
        for h in sorted(stats.processed.keys()):
            per_host[h] = stats.summarize(h)
            per_host[h]['ignored'] = stats.ignored.get(h, 0) if hasattr(stats, 'ignored') else 0
            per_host[h]['rescued'] = stats.rescued.get(h, 0) if hasattr(stats, 'rescued') else 0
        self._rec.set_stats(per_host)
        self._write(complete=True)

    def _at_exit(self):
        if self._rec is not None and not self._written and self._rec.events:
            self._write(complete=False)

    # ------------------------------------------------------------ output
    def _write(self, complete):
        self._written = True
        try:
            check = bool(context.CLIARGS.get('check', False))
        except Exception:  # pylint: disable=broad-except
            check = False
        report = _report_model.build_report(self._rec, time.time(), run_name=self._opt('run_name') or None,
                                            complete=complete, check_mode=check, ansible_version=ansible_version)
        problems = _report_validate.validate(report)
        if problems:
            self._display.warning('cni.ovs.rollout_report: the report does not match its schema (written anyway): %s' % '; '.join(problems[:5]))
        if self._opt('progress'):
            for line in _report_model.summary_lines(report):
                self._display.display(line)
        report_dir = os.path.abspath(os.path.expanduser(self._opt('report_dir') or './reports'))
        base = os.path.join(report_dir, '%s-%s' % (_report_model.safe_name(report['run']['name']), _report_model.stamp(self._rec.started)))
        try:
            os.makedirs(report_dir, exist_ok=True)
            write_atomic(base + '.json', json.dumps(report, indent=2, sort_keys=False) + '\n')
            write_atomic(base + '.html', _report_html.render_html(report))
        except (OSError, ValueError, TypeError) as e:
            self._display.warning('cni.ovs.rollout_report: could not write the run report to %s: %s' % (report_dir, to_text(e)))
            return
        self._display.display('rollout report: %s.json' % base)
        self._display.display('rollout report: %s.html' % base)
