# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Records playbook events and builds the run report from them; its text summary.

Plain data in (host names, task names, epoch seconds, result dictionaries), the report
dictionary (schema in _report_schema) out. No Ansible imports, no I/O: the cni.ovs.rollout_report
callback feeds it and writes the files.
"""

from __future__ import annotations

import bisect
import datetime
import math
import re

from ansible_collections.cni.ovs.plugins.plugin_utils._report_schema import GENERATOR, RESULTS, SCHEMA_VERSION

DEFAULT_PHASE = 'other'
PHASE_SEPARATOR = ' | '
MESSAGE_LIMIT = 2000
# A queued segment names at most this many of the hosts it waited for (and counts them all):
# the last node of a large serial rollout waited for every other one.
WAITED_FOR_LIMIT = 20

# Severity when folding task results into a phase or node result.
_RANK = {'skipped': 0, 'ok': 1, 'changed': 2, 'failed': 3, 'unreachable': 4}


# ---------------------------------------------------------------- helpers

def iso(ts):
    """Epoch seconds -> ISO 8601 UTC with milliseconds ('2025-01-31T12:00:00.123Z')."""
    d = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (d.microsecond // 1000)


def stamp(ts):
    """Epoch seconds -> compact UTC stamp for file names ('20250131T120000Z')."""
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')


def _ms(start, end):
    return max(0, int(round((end - start) * 1000)))


def split_phase(task_name):
    """Return the phase named by a task name ('Drain | Taint node' -> 'drain'), or None."""
    if not task_name or PHASE_SEPARATOR not in task_name:
        return None
    phase = task_name.split(PHASE_SEPARATOR, 1)[0].strip().lower()
    return phase or None


def safe_name(name):
    """A run name usable in a file name."""
    cleaned = re.sub(r'[^A-Za-z0-9._-]+', '_', name or '').strip('._')
    return cleaned or 'run'


def _text(value, limit=MESSAGE_LIMIT):
    if value is None:
        return ''
    if not isinstance(value, str):
        value = str(value)
    return value if len(value) <= limit else value[:limit] + '...'


def _number(value, integer=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value < 0:
        return None
    return int(value) if integer else value


def _backup_paths(res):
    paths = []
    for key in ('backup_path', 'backup_file'):
        value = res.get(key)
        if isinstance(value, str) and value:
            paths.append(value)
    backups = res.get('backups')
    if isinstance(backups, dict):
        backups = list(backups.values())
    if isinstance(backups, (list, tuple)):
        for b in backups:
            if isinstance(b, dict):
                b = b.get('path') or b.get('backup_path') or b.get('dest')
            if isinstance(b, str) and b:
                paths.append(b)
    return paths


def _measurement(res):
    data = res.get('cni_ovs_report')
    if not isinstance(data, dict):
        facts = res.get('ansible_facts')
        data = facts.get('cni_ovs_report') if isinstance(facts, dict) else None
    return data if isinstance(data, dict) else None


def extract(result):
    """Take what the report needs from a task result dictionary (loop results included).

    Returns a dict: message (str), backups (list of paths), measurements (list of dicts).
    A result hidden by no_log gives only its censored message.
    """
    out = {'message': '', 'backups': [], 'measurements': []}
    if not isinstance(result, dict):
        return out
    if result.get('censored'):
        out['message'] = _text(result.get('censored'))
        return out
    parts = [result]
    items = result.get('results')
    if isinstance(items, list):
        parts.extend(i for i in items if isinstance(i, dict))
    msgs = []
    for res in parts:
        if res.get('censored'):
            continue
        out['backups'].extend(p for p in _backup_paths(res) if p not in out['backups'])
        m = _measurement(res)
        if m is not None:
            out['measurements'].append(m)
        if res is not result and not (res.get('failed') or res.get('unreachable')):
            continue
        msg = res.get('msg') or ''
        if not msg and res.get('failed'):
            msg = res.get('stderr') or res.get('module_stderr') or res.get('stdout') or ''
        if msg:
            label = res.get('_ansible_item_label', res.get('item')) if res is not result else None
            msg = _text(msg)
            msgs.append(('(item=%s) ' % _text(label, 80) if label is not None else '') + msg)
    out['message'] = _text('; '.join(m for m in msgs if m))
    return out


# ---------------------------------------------------------------- recorder

class Recorder:
    """Collects events in order; assigns phases per host; answers progress questions.

    Fed by the callback plugin with plain values (host names, task names, epoch seconds,
    result dictionaries).
    """

    def __init__(self, playbook='', started=0.0):
        self.playbook = playbook
        self.started = started
        self.plays = []          # dicts: name, hosts, start
        self.events = []         # task dicts, see task_start()
        self.stats = None        # host -> counters, from the final PLAY RECAP
        self._phase = {}         # host -> current phase
        self._open = {}          # (host, task_uuid) -> event
        self._position = {}      # host -> (N, M) of the current play

    def play_start(self, name, hosts, ts, key=None, batch=None):
        """Record a play, or the next serial batch of the same play (a repeated key).

        hosts: the play's hosts in order (all batches); batch: the hosts of the batch that starts now
        (None: all of hosts, as for a play without serial).
        """
        hosts = list(hosts)
        entry = {'hosts': list(hosts if batch is None else batch), 'start': ts}
        if key is not None and self.plays and self.plays[-1].get('_key') == key:
            self.plays[-1]['batches'].append(entry)
            return
        self.plays.append({'name': name or '', 'hosts': hosts, 'start': ts, '_key': key, 'batches': [entry]})
        total = len(hosts)
        for i, h in enumerate(hosts):
            self._position[h] = (i + 1, total)

    def position(self, host):
        return self._position.get(host)

    def _new_event(self, host, task_uuid, task_name, ts):
        previous = self._phase.get(host)
        phase = split_phase(task_name) or previous or DEFAULT_PHASE
        self._phase[host] = phase
        ev = {'host': host, 'task': task_name or '', 'phase': phase, 'start': ts, 'end': None,
              'status': None, 'ignored': False, 'message': '', 'backups': [], 'measurements': []}
        self.events.append(ev)
        self._open[(host, task_uuid)] = ev
        return ev, phase != previous

    def task_start(self, host, task_uuid, task_name, ts):
        """Record that host started a task; return the phase if the host entered a new one, else None."""
        ev, entered = self._new_event(host, task_uuid, task_name, ts)
        return ev['phase'] if entered else None

    def task_result(self, host, task_uuid, task_name, status, ts, result=None, ignored=False):
        """Record a task result (status in RESULTS); returns the phase if this result opened one."""
        entered = None
        ev = self._open.pop((host, task_uuid), None)
        if ev is None or ev['end'] is not None:
            ev, new = self._new_event(host, task_uuid, task_name, ts)
            self._open.pop((host, task_uuid), None)
            entered = ev['phase'] if new else None
        if status not in RESULTS:
            raise ValueError('unknown task status %r' % (status,))
        data = extract(result)
        ev.update(end=ts, status=status, ignored=bool(ignored and status == 'failed'), message=data['message'],
                  backups=data['backups'], measurements=data['measurements'])
        return entered

    def set_stats(self, stats):
        self.stats = stats


# ---------------------------------------------------------------- report

def _fold(results):
    best = None
    for r in results:
        if best is None or _RANK[r] > _RANK[best]:
            best = r
    return best


def _empty_counts():
    return dict((r, 0) for r in RESULTS)


def _worst(counts, failed_key='failed'):
    """The most severe result with a non-zero count (failures counted under failed_key), or None."""
    for key, result in (('unreachable', 'unreachable'), (failed_key, 'failed'), ('changed', 'changed'), ('ok', 'ok'), ('skipped', 'skipped')):
        if counts[key]:
            return result
    return None


def _phase_result(counts):
    return _worst(counts) or 'skipped'


def _measure_entry(ev, m, ts):
    gap = _number(m.get('gap_ms'))
    lost = _number(m.get('lost_packets'), integer=True)
    return {'task': ev['task'], 'phase': ev['phase'], 'time': iso(ts), 'gap_ms': gap, 'lost_packets': lost, 'data': dict(m)}


INTERRUPTED_MESSAGE = 'interrupted: the run stopped before this task finished'


def _event_end(ev, ended, complete):
    """When a task ended: its result; a task that never got one ends where it started (complete run: an include,
    a meta-like action) or when the run was cut off (interrupted run)."""
    if ev['end'] is not None:
        return ev['end']
    return ev['start'] if complete else max(ev['start'], ended)


def queue_segments(host, events, batches, enrolled=None, ended=None, complete=True):
    """The times host waited for other hosts: its queued segments, and the events that start after one.

    events: host's task events in start order; batches: (start, hosts: ordered, e.g. a dict) of every batch of every play,
    sorted by start (a play without serial is one batch); enrolled: start of the first play listing host.
    A queued segment is a gap in host's activity (no task of it in flight) from the end of its previous task
    -- or from enrolled, before its first task -- to the start of its next task, during which a batch
    that does not include host started (a batch with no known hosts counts as including it). Waiting
    inside its own batch (for a fork, for slower hosts in the linear strategy) is not queue time. Time
    after the host's last task is not either.
    Returns (segments, set of indices into events that begin after a segment).
    """
    segments = []
    after = set()
    starts = [b[0] for b in batches]
    busy_until = enrolled
    previous_phase = None
    for i, ev in enumerate(events):
        if busy_until is not None and ev['start'] > busy_until:
            waited, seen = [], set()
            for k in range(bisect.bisect_left(starts, busy_until), bisect.bisect_left(starts, ev['start'])):
                b_hosts = batches[k][1]
                if b_hosts and host not in b_hosts:
                    for h in b_hosts:
                        if h not in seen:
                            seen.add(h)
                            if len(waited) < WAITED_FOR_LIMIT:
                                waited.append(h)
            if seen:
                segments.append({'start': busy_until, 'end': ev['start'], 'after_phase': previous_phase,
                                 'before_phase': ev['phase'], 'waited_for': waited, 'waited_for_count': len(seen)})
                after.add(i)
        end = _event_end(ev, ended, complete)
        busy_until = end if busy_until is None else max(busy_until, end)
        previous_phase = ev['phase']
    return segments, after


def _node_phases(events, ended, complete=True, split_before=()):
    """The phases of a host's events; a new phase also starts at every index in split_before (after a queued wait)."""
    phases = []
    cur = None
    for i, ev in enumerate(events):
        end = _event_end(ev, ended, complete)
        if cur is None or cur['name'] != ev['phase'] or i in split_before:
            cur = {'name': ev['phase'], '_start': ev['start'], '_end': end, 'tasks': _empty_counts(),
                   'changed_tasks': [], 'backups': [], 'failures': [], 'measurements': []}
            phases.append(cur)
        cur['_end'] = max(cur['_end'], end)
        status = ev['status']
        if status is None and complete:
            continue  # started without a result callback (includes, meta-like actions)
        if status is None:  # started, never finished: the run was interrupted here
            cur['tasks']['failed'] += 1
            cur['failures'].append({'task': ev['task'], 'phase': ev['phase'], 'time': iso(end), 'message': INTERRUPTED_MESSAGE,
                                    'ignored': False, 'unreachable': False})
            continue
        if status == 'failed' and ev['ignored']:
            cur['tasks']['ok'] += 1
        else:
            cur['tasks'][status] += 1
        if status == 'changed' and ev['task'] not in cur['changed_tasks']:
            cur['changed_tasks'].append(ev['task'])
        for p in ev['backups']:
            cur['backups'].append({'task': ev['task'], 'phase': ev['phase'], 'path': p})
        if status in ('failed', 'unreachable'):
            cur['failures'].append({'task': ev['task'], 'phase': ev['phase'], 'time': iso(end), 'message': ev['message'],
                                    'ignored': ev['ignored'], 'unreachable': status == 'unreachable'})
        for m in ev['measurements']:
            cur['measurements'].append(_measure_entry(ev, m, end))
    out = []
    for p in phases:
        start, end = p.pop('_start'), p.pop('_end')
        entry = {'name': p['name'], 'start': iso(start), 'end': iso(end), 'duration_ms': _ms(start, end),
                 'result': _phase_result(p['tasks'])}
        entry.update(p)
        entry['_start'], entry['_end'] = start, end
        out.append(entry)
    return out


def _stats_result(stats):
    return _worst(stats, failed_key='failures')


def build_report(recorder, ended, run_name=None, complete=True, check_mode=False, ansible_version=None):
    """Build the report dictionary (schema REPORT_SCHEMA) from a Recorder."""
    order = []
    position = {}
    for play in recorder.plays:
        for i, h in enumerate(play['hosts']):
            if h not in position:
                position[h] = (i + 1, len(play['hosts']))
                order.append(h)
    enrolled = {}
    batches = []
    for play in recorder.plays:
        for h in play['hosts']:
            enrolled.setdefault(h, play['start'])
        for b in play.get('batches') or [{'hosts': play['hosts'], 'start': play['start']}]:
            batches.append((b['start'], dict.fromkeys(b['hosts'])))  # ordered, and a fast 'in'
    batches.sort(key=lambda b: b[0])
    by_host = {}
    for ev in recorder.events:
        by_host.setdefault(ev['host'], []).append(ev)
        if ev['host'] not in position:
            position[ev['host']] = (len(order) + 1, len(order) + 1)
            order.append(ev['host'])
    nodes = []
    for h in order:
        events = sorted(by_host.get(h, []), key=lambda ev: ev['start'])
        waits, split_before = queue_segments(h, events, batches, enrolled.get(h), ended, complete)
        phases = _node_phases(events, ended, complete, split_before)
        queued = [{'start': iso(q['start']), 'end': iso(q['end']), 'duration_ms': _ms(q['start'], q['end']),
                   'after_phase': q['after_phase'], 'before_phase': q['before_phase'], 'waited_for': q['waited_for'],
                   'waited_for_count': q['waited_for_count']}
                  for q in waits]
        stats = None
        if recorder.stats is not None and h in recorder.stats:
            raw = recorder.stats[h]
            stats = dict((k, int(raw.get(k, 0) or 0)) for k in ('ok', 'changed', 'failures', 'unreachable', 'skipped', 'rescued', 'ignored'))
        if not phases:
            result = 'not_run'
        elif stats is not None and _stats_result(stats):
            result = _stats_result(stats)
        else:
            result = _fold(p['result'] for p in phases)
        gaps = [m['gap_ms'] for p in phases for m in p['measurements'] if m['gap_ms'] is not None]
        lost = [m['lost_packets'] for p in phases for m in p['measurements'] if m['lost_packets'] is not None]
        start = min((p['_start'] for p in phases), default=None)
        end = max((p['_end'] for p in phases), default=None)
        changed = []
        for p in phases:
            changed.extend(t for t in p['changed_tasks'] if t not in changed)
        for p in phases:
            p.pop('_start')
            p.pop('_end')
        nodes.append({
            'name': h, 'position': position[h][0], 'total': position[h][1], 'result': result,
            'start': iso(start) if start is not None else None, 'end': iso(end) if end is not None else None,
            'duration_ms': _ms(start, end) if start is not None else None,
            'queue_ms': sum(q['duration_ms'] for q in queued),
            'phases': phases,
            'queued': queued,
            'changed_tasks': changed,
            'backups': [b for p in phases for b in p['backups']],
            'failures': [f for p in phases for f in p['failures']],
            'data_plane': {'measured': bool(gaps), 'gap_ms_total': sum(gaps) if gaps else None,
                           'gap_ms_max': max(gaps) if gaps else None, 'lost_packets': sum(lost) if lost else None},
            'stats': stats,
        })
    results = [n['result'] for n in nodes]
    if not complete or any(r in ('failed', 'unreachable') for r in results):
        run_result = 'failed'
    elif 'changed' in results:
        run_result = 'changed'
    else:
        run_result = 'ok'
    started = recorder.started
    run = {'name': run_name or default_run_name(recorder.playbook), 'playbook': recorder.playbook or '',
           'start': iso(started), 'end': iso(ended), 'duration_ms': _ms(started, ended),
           'result': run_result, 'complete': bool(complete), 'check_mode': bool(check_mode)}
    if ansible_version:
        run['ansible_version'] = ansible_version
    return {
        'schema_version': SCHEMA_VERSION,
        'generator': GENERATOR,
        'run': run,
        'plays': [{'name': p['name'], 'hosts': list(p['hosts']), 'start': iso(p['start']),
                   'batches': [{'hosts': list(b['hosts']), 'start': iso(b['start'])}
                               for b in p.get('batches') or [{'hosts': p['hosts'], 'start': p['start']}]]}
                  for p in recorder.plays],
        'nodes': nodes,
    }


def default_run_name(playbook):
    base = (playbook or '').replace('\\', '/').rsplit('/', 1)[-1]
    for ext in ('.yml', '.yaml'):
        if base.endswith(ext):
            base = base[:-len(ext)]
    return safe_name(base)


# ---------------------------------------------------------------- text summary

def fmt_ms(ms):
    if ms is None:
        return '-'
    if ms < 1000:
        return '%d ms' % ms
    if ms < 60000:
        return '%.1f s' % (ms / 1000.0)
    return '%dm%02ds' % (ms // 60000, (ms % 60000) // 1000)


def summary_lines(report):
    """The text summary table printed at the end of the run."""
    run = report['run']
    lines = ['ROLLOUT REPORT %s: %s, %d node(s), %s%s' % (
        run['name'], run['result'].upper() if run['result'] == 'failed' else run['result'], len(report['nodes']),
        fmt_ms(run['duration_ms']), '' if run['complete'] else ' (INCOMPLETE: interrupted)')]
    rows = [('NODE', 'RESULT', 'QUEUED', 'PHASES')]
    for n in report['nodes']:
        phases = ', '.join('%s %s %s' % (p['name'], fmt_ms(p['duration_ms']), p['result'].upper() if p['result'] in ('failed', 'unreachable') else p['result'])
                           for p in n['phases']) or '-'
        if n['data_plane']['measured']:
            phases += '; data-plane gap %s' % fmt_ms(int(round(n['data_plane']['gap_ms_total'])))
            if n['data_plane']['lost_packets'] is not None:
                phases += ', %d lost packets' % n['data_plane']['lost_packets']
        queued = fmt_ms(n['queue_ms']) if n.get('queue_ms') else '-'
        rows.append(('%d/%d %s' % (n['position'], n['total'], n['name']), n['result'], queued, phases))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        lines.append('  '.join([c.ljust(w) for c, w in zip(r, widths)] + [r[3]]))
    for n in report['nodes']:
        for f in n['failures']:
            if not f['ignored']:
                first = (f['message'].splitlines() or [''])[0]
                lines.append('failed: %s [%s] %s: %s' % (n['name'], f['phase'], f['task'], _text(first, 300)))
        for b in n['backups']:
            lines.append('backup: %s [%s] %s' % (n['name'], b['phase'], b['path']))
    return lines
