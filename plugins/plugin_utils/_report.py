# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure core of the cni.ovs.rollout_report callback.

Records playbook events (plain data: host names, task names, timestamps, result
dictionaries), builds the versioned run report from them, validates it against
its schema and renders the text summary and the self-contained HTML page.
No Ansible imports, no I/O: the callback plugin feeds it and writes the files.
"""

from __future__ import annotations

import datetime
import html
import math
import re

SCHEMA_VERSION = 1
GENERATOR = 'cni.ovs.rollout_report'
RESULTS = ('ok', 'changed', 'failed', 'skipped', 'unreachable')
NODE_RESULTS = RESULTS + ('not_run',)
DEFAULT_PHASE = 'other'
PHASE_SEPARATOR = ' | '
MESSAGE_LIMIT = 2000

# Phase bar colours (Tableau 10 without its red: red marks failures only).
PALETTE = ('#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7')
OTHER_COLOUR = '#bab0ac'
FAILED_COLOUR = '#d62728'
GAP_COLOUR = '#222222'

# Severity when folding task results into a phase or node result.
_RANK = {'skipped': 0, 'ok': 1, 'changed': 2, 'failed': 3, 'unreachable': 4}

_ISO = r'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$'


def _nullable(schema):
    return {'anyOf': [schema, {'type': 'null'}]}


_TIME = {'type': 'string', 'pattern': _ISO, 'description': 'ISO 8601 UTC time'}
_MS = {'type': 'integer', 'minimum': 0, 'description': 'milliseconds'}

REPORT_SCHEMA = {
    '$schema': 'https://json-schema.org/draft/2020-12/schema',
    '$id': 'https://example.invalid/cni/ovs/report-schema/1.json',
    'title': 'cni.ovs rollout report',
    'description': 'Run report written by the cni.ovs.rollout_report callback: per node and per phase start, end, duration and result, '
                   'data-plane gaps where measured, backups made and tasks that changed something.',
    'type': 'object',
    'required': ['schema_version', 'generator', 'run', 'plays', 'nodes'],
    'additionalProperties': False,
    'properties': {
        'schema_version': {'const': SCHEMA_VERSION, 'description': 'Incremented on incompatible changes.'},
        'generator': {'const': GENERATOR},
        'run': {'$ref': '#/$defs/run'},
        'plays': {'type': 'array', 'items': {'$ref': '#/$defs/play'}},
        'nodes': {'type': 'array', 'items': {'$ref': '#/$defs/node'}},
    },
    '$defs': {
        'time': _TIME,
        'run': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['name', 'playbook', 'start', 'end', 'duration_ms', 'result', 'complete', 'check_mode'],
            'properties': {
                'name': {'type': 'string', 'description': 'Run name (option run_name, default the playbook file name without .yml).'},
                'playbook': {'type': 'string', 'description': 'Playbook path as given to ansible-playbook.'},
                'start': {'$ref': '#/$defs/time'},
                'end': {'$ref': '#/$defs/time'},
                'duration_ms': _MS,
                'result': {'enum': ['ok', 'changed', 'failed'], 'description': 'failed when a node failed or was unreachable or the run did not complete.'},
                'complete': {'type': 'boolean', 'description': 'false when the report was written without the final statistics (interrupted run).'},
                'check_mode': {'type': 'boolean'},
                'ansible_version': {'type': 'string'},
            },
        },
        'play': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['name', 'hosts', 'start'],
            'properties': {
                'name': {'type': 'string'},
                'hosts': {'type': 'array', 'items': {'type': 'string'}, 'description': "The play's hosts in order (N/M positions)."},
                'start': {'$ref': '#/$defs/time'},
            },
        },
        'tasks': {
            'type': 'object',
            'additionalProperties': False,
            'required': list(RESULTS),
            'properties': dict((r, {'type': 'integer', 'minimum': 0}) for r in RESULTS),
            'description': 'Number of task results per result.',
        },
        'backup': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['task', 'phase', 'path'],
            'properties': {'task': {'type': 'string'}, 'phase': {'type': 'string'}, 'path': {'type': 'string'}},
        },
        'failure': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['task', 'phase', 'time', 'message', 'ignored', 'unreachable'],
            'properties': {
                'task': {'type': 'string'},
                'phase': {'type': 'string'},
                'time': {'$ref': '#/$defs/time'},
                'message': {'type': 'string'},
                'ignored': {'type': 'boolean', 'description': 'ignore_errors was set: the run went on.'},
                'unreachable': {'type': 'boolean'},
            },
        },
        'measurement': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['task', 'phase', 'time', 'gap_ms', 'lost_packets', 'data'],
            'properties': {
                'task': {'type': 'string'},
                'phase': {'type': 'string'},
                'time': {'$ref': '#/$defs/time'},
                'gap_ms': _nullable({'type': 'number', 'minimum': 0}),
                'lost_packets': _nullable({'type': 'integer', 'minimum': 0}),
                'data': {'type': 'object', 'description': 'The whole cni_ovs_report dictionary the task returned.'},
            },
        },
        'phase': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['name', 'start', 'end', 'duration_ms', 'result', 'tasks', 'changed_tasks', 'backups', 'failures', 'measurements'],
            'properties': {
                'name': {'type': 'string', 'description': "Text before ' | ' in the task name, lower case."},
                'start': {'$ref': '#/$defs/time'},
                'end': {'$ref': '#/$defs/time'},
                'duration_ms': _MS,
                'result': {'enum': list(RESULTS)},
                'tasks': {'$ref': '#/$defs/tasks'},
                'changed_tasks': {'type': 'array', 'items': {'type': 'string'}},
                'backups': {'type': 'array', 'items': {'$ref': '#/$defs/backup'}},
                'failures': {'type': 'array', 'items': {'$ref': '#/$defs/failure'}},
                'measurements': {'type': 'array', 'items': {'$ref': '#/$defs/measurement'}},
            },
        },
        'data_plane': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['measured', 'gap_ms_total', 'gap_ms_max', 'lost_packets'],
            'properties': {
                'measured': {'type': 'boolean', 'description': 'true when a task of this node returned gap_ms.'},
                'gap_ms_total': _nullable({'type': 'number', 'minimum': 0}),
                'gap_ms_max': _nullable({'type': 'number', 'minimum': 0}),
                'lost_packets': _nullable({'type': 'integer', 'minimum': 0}),
            },
        },
        'stats': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['ok', 'changed', 'failures', 'unreachable', 'skipped', 'rescued', 'ignored'],
            'properties': dict((k, {'type': 'integer', 'minimum': 0})
                               for k in ('ok', 'changed', 'failures', 'unreachable', 'skipped', 'rescued', 'ignored')),
            'description': "Ansible's own per-host counters (PLAY RECAP).",
        },
        'node': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['name', 'position', 'total', 'result', 'start', 'end', 'duration_ms', 'phases',
                         'changed_tasks', 'backups', 'failures', 'data_plane', 'stats'],
            'properties': {
                'name': {'type': 'string'},
                'position': {'type': 'integer', 'minimum': 1, 'description': "N of 'node N/M': place in the first play listing it."},
                'total': {'type': 'integer', 'minimum': 1, 'description': "M of 'node N/M'."},
                'result': {'enum': list(NODE_RESULTS), 'description': 'not_run: in the play but never started (the rollout stopped before it).'},
                'start': _nullable({'$ref': '#/$defs/time'}),
                'end': _nullable({'$ref': '#/$defs/time'}),
                'duration_ms': _nullable(_MS),
                'phases': {'type': 'array', 'items': {'$ref': '#/$defs/phase'}},
                'changed_tasks': {'type': 'array', 'items': {'type': 'string'}},
                'backups': {'type': 'array', 'items': {'$ref': '#/$defs/backup'}},
                'failures': {'type': 'array', 'items': {'$ref': '#/$defs/failure'}},
                'data_plane': {'$ref': '#/$defs/data_plane'},
                'stats': _nullable({'$ref': '#/$defs/stats'}),
            },
        },
    },
}


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

    def play_start(self, name, hosts, ts, key=None):
        """Record a play; a repeated key (the same play started again for its next serial batch) is ignored."""
        if key is not None and self.plays and self.plays[-1].get('_key') == key:
            return
        hosts = list(hosts)
        self.plays.append({'name': name or '', 'hosts': hosts, 'start': ts, '_key': key})
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


def _phase_result(counts):
    if counts['unreachable']:
        return 'unreachable'
    if counts['failed']:
        return 'failed'
    if counts['changed']:
        return 'changed'
    if counts['ok']:
        return 'ok'
    return 'skipped'


def _measure_entry(ev, m, ts):
    gap = _number(m.get('gap_ms'))
    lost = _number(m.get('lost_packets'), integer=True)
    return {'task': ev['task'], 'phase': ev['phase'], 'time': iso(ts), 'gap_ms': gap, 'lost_packets': lost, 'data': dict(m)}


INTERRUPTED_MESSAGE = 'interrupted: the run stopped before this task finished'


def _node_phases(events, ended, complete=True):
    phases = []
    cur = None
    for ev in events:
        if ev['end'] is not None:
            end = ev['end']
        else:
            end = ev['start'] if complete else max(ev['start'], ended)
        if cur is None or cur['name'] != ev['phase']:
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
    if stats['unreachable']:
        return 'unreachable'
    if stats['failures']:
        return 'failed'
    if stats['changed']:
        return 'changed'
    if stats['ok']:
        return 'ok'
    if stats['skipped']:
        return 'skipped'
    return None


def build_report(recorder, ended, run_name=None, complete=True, check_mode=False, ansible_version=None):
    """Build the report dictionary (schema REPORT_SCHEMA) from a Recorder."""
    order = []
    position = {}
    for play in recorder.plays:
        for i, h in enumerate(play['hosts']):
            if h not in position:
                position[h] = (i + 1, len(play['hosts']))
                order.append(h)
    by_host = {}
    for ev in recorder.events:
        by_host.setdefault(ev['host'], []).append(ev)
        if ev['host'] not in position:
            position[ev['host']] = (len(order) + 1, len(order) + 1)
            order.append(ev['host'])
    nodes = []
    for h in order:
        phases = _node_phases(by_host.get(h, []), ended, complete)
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
            'phases': phases,
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
        'plays': [{'name': p['name'], 'hosts': list(p['hosts']), 'start': iso(p['start'])} for p in recorder.plays],
        'nodes': nodes,
    }


def default_run_name(playbook):
    base = (playbook or '').replace('\\', '/').rsplit('/', 1)[-1]
    for ext in ('.yml', '.yaml'):
        if base.endswith(ext):
            base = base[:-len(ext)]
    return safe_name(base)


# ---------------------------------------------------------------- validation

_TYPES = {
    'string': lambda v: isinstance(v, str),
    'integer': lambda v: isinstance(v, int) and not isinstance(v, bool),
    'number': lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    'boolean': lambda v: isinstance(v, bool),
    'object': lambda v: isinstance(v, dict),
    'array': lambda v: isinstance(v, list),
    'null': lambda v: v is None,
}


def validate(instance, schema=None):
    """Check instance against the subset of JSON Schema used by REPORT_SCHEMA; return a list of errors."""
    root = REPORT_SCHEMA if schema is None else schema
    errors = []
    _check(instance, root, root, '$', errors)
    return errors


def _check(value, schema, root, path, errors):
    if '$ref' in schema:
        ref = schema['$ref']
        if not ref.startswith('#/$defs/'):
            raise ValueError('unsupported $ref %s' % ref)
        _check(value, root['$defs'][ref[len('#/$defs/'):]], root, path, errors)
        return
    if 'anyOf' in schema:
        for alt in schema['anyOf']:
            sub = []
            _check(value, alt, root, path, sub)
            if not sub:
                return
        errors.append('%s: matches none of the allowed forms' % path)
        return
    if 'const' in schema and value != schema['const']:
        errors.append('%s: must be %r' % (path, schema['const']))
        return
    if 'enum' in schema and value not in schema['enum']:
        errors.append('%s: %r not one of %s' % (path, value, ', '.join(schema['enum'])))
        return
    t = schema.get('type')
    if t is not None and not _TYPES[t](value):
        errors.append('%s: expected %s' % (path, t))
        return
    if 'minimum' in schema and _TYPES['number'](value) and value < schema['minimum']:
        errors.append('%s: below %s' % (path, schema['minimum']))
    if 'pattern' in schema and isinstance(value, str) and not re.search(schema['pattern'], value):
        errors.append('%s: %r does not match %s' % (path, value, schema['pattern']))
    if isinstance(value, dict):
        for k in schema.get('required', ()):
            if k not in value:
                errors.append('%s: missing %s' % (path, k))
        props = schema.get('properties', {})
        for k, v in value.items():
            if k in props:
                _check(v, props[k], root, '%s.%s' % (path, k), errors)
            elif schema.get('additionalProperties') is False:
                errors.append('%s: unexpected key %s' % (path, k))
    if isinstance(value, list) and 'items' in schema:
        for i, v in enumerate(value):
            _check(v, schema['items'], root, '%s[%d]' % (path, i), errors)


# ---------------------------------------------------------------- rendering

def phase_colours(report):
    """Phase name -> bar colour, in order of first appearance ('other' is grey)."""
    colours = {}
    i = 0
    for node in report['nodes']:
        for p in node['phases']:
            if p['name'] in colours:
                continue
            if p['name'] == DEFAULT_PHASE:
                colours[p['name']] = OTHER_COLOUR
            else:
                colours[p['name']] = PALETTE[i % len(PALETTE)]
                i += 1
    return colours


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
    rows = [('NODE', 'RESULT', 'PHASES')]
    for n in report['nodes']:
        phases = ', '.join('%s %s %s' % (p['name'], fmt_ms(p['duration_ms']), p['result'].upper() if p['result'] in ('failed', 'unreachable') else p['result'])
                           for p in n['phases']) or '-'
        if n['data_plane']['measured']:
            phases += '; data-plane gap %s' % fmt_ms(int(round(n['data_plane']['gap_ms_total'])))
            if n['data_plane']['lost_packets'] is not None:
                phases += ', %d lost packets' % n['data_plane']['lost_packets']
        rows.append(('%d/%d %s' % (n['position'], n['total'], n['name']), n['result'], phases))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    for r in rows:
        lines.append('%s  %s  %s' % (r[0].ljust(w0), r[1].ljust(w1), r[2]))
    for n in report['nodes']:
        for f in n['failures']:
            if not f['ignored']:
                first = (f['message'].splitlines() or [''])[0]
                lines.append('failed: %s [%s] %s: %s' % (n['name'], f['phase'], f['task'], _text(first, 300)))
        for b in n['backups']:
            lines.append('backup: %s [%s] %s' % (n['name'], b['phase'], b['path']))
    return lines


def _parse_iso(s):
    return datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp()


def _ticks(total_s, width):
    """A 'nice' tick step in seconds for the time axis."""
    if total_s <= 0:
        return 1.0
    target = max(2, int(width // 90))
    raw = total_s / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:18px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:22px 0 6px}
.meta{color:#555;font-size:13px}
.badge{display:inline-block;padding:1px 8px;border-radius:9px;color:#fff;font-weight:600;font-size:13px}
.r-ok{background:#59a14f}.r-changed{background:#e0a020}.r-failed,.r-unreachable{background:#d62728}
.r-skipped,.r-not_run{background:#999}
table{border-collapse:collapse;font-size:13px;margin-top:6px}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
code{font-size:12px}
.fail{color:#d62728}
"""


ROW_HEIGHT = 44


def _gap_title(m):
    lost = '' if m['lost_packets'] is None else ', %d lost packets' % m['lost_packets']
    return 'data-plane gap %s ms%s (%s)' % (m['gap_ms'], lost, m['task'])


def _gap_marks(svg, node, x, y, width):
    """Data-plane gap markers above a node's bars: a triangle per gap, one label per cluster of close gaps."""
    e = html.escape
    marks = sorted((x(_parse_iso(m['time'])), m) for p in node['phases'] for m in p['measurements'] if m['gap_ms'] is not None)
    clusters = []
    for mx, m in marks:
        if clusters and mx - clusters[-1][0][0] < 80:
            clusters[-1].append((mx, m))
        else:
            clusters.append([(mx, m)])
    for cluster in clusters:
        for mx, m in cluster:
            svg.append('<g class="gap"><title>%s</title><path d="M%.1f %d l-5 -8 h10 z" fill="%s"/></g>' % (
                e(_gap_title(m)), mx, y + 13, GAP_COLOUR))
        text = 'gap ' + ' + '.join(fmt_ms(int(round(m['gap_ms']))) for _mx, m in cluster)
        lx, anchor = cluster[-1][0] + 7, 'start'
        if lx + 6 * len(text) > width:
            lx, anchor = cluster[0][0] - 7, 'end'
        svg.append('<text x="%.1f" y="%d" font-size="10" fill="%s" text-anchor="%s">%s</text>' % (lx, y + 11, GAP_COLOUR, anchor, e(text)))


def render_html(report):
    """A self-contained HTML page (inline CSS and SVG, no external assets)."""
    e = html.escape
    run = report['run']
    colours = phase_colours(report)
    t0 = _parse_iso(run['start'])
    t1 = max(_parse_iso(run['end']), t0 + 0.001)
    for n in report['nodes']:
        for p in n['phases']:
            t1 = max(t1, _parse_iso(p['end']))
    total = t1 - t0
    label_w, plot_w, row_h, top = 200, 900, ROW_HEIGHT, 34
    width = label_w + plot_w + 20
    height = top + row_h * max(1, len(report['nodes'])) + 30

    def x(ts):
        return label_w + (ts - t0) / total * plot_w

    svg = ['<svg xmlns="http://www.w3.org/2000/svg" id="timeline" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
           'aria-label="timeline">' % (width, height, width, height)]
    step = _ticks(total, plot_w)
    k = 0
    while k * step <= total + 1e-9:
        tx = x(t0 + k * step)
        svg.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>' % (tx, top - 6, tx, height - 24))
        svg.append('<text x="%.1f" y="%d" font-size="11" fill="#666" text-anchor="middle">%s</text>' % (
            tx, top - 10, e(('%gs' % round(k * step, 3)))))
        k += 1
    for i, n in enumerate(report['nodes']):
        y = top + i * row_h
        if i % 2:
            svg.append('<rect x="0" y="%d" width="%d" height="%d" fill="#fafafa"/>' % (y, width, row_h))
        svg.append('<text x="6" y="%d" font-size="13" fill="%s">%s</text>' % (
            y + row_h / 2 + 4, FAILED_COLOUR if n['result'] in ('failed', 'unreachable') else '#222',
            e('%d/%d %s' % (n['position'], n['total'], n['name']))))
        if not n['phases']:
            svg.append('<text x="%d" y="%d" font-size="12" fill="#888" font-style="italic">not run</text>' % (label_w + 4, y + row_h / 2 + 4))
        for p in n['phases']:
            ps, pe = _parse_iso(p['start']), _parse_iso(p['end'])
            bx = x(ps)
            bw = max(4.0, x(pe) - bx)
            failed = p['result'] in ('failed', 'unreachable')
            svg.append('<rect class="phase" x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="%s"%s><title>%s</title></rect>' % (
                bx, y + 14, bw, row_h - 20, colours[p['name']],
                ' stroke="%s" stroke-width="3"' % FAILED_COLOUR if failed else '',
                e('%s: %s, %s (%s to %s)' % (n['name'], p['name'], p['result'], p['start'], p['end']))))
            if bw > 7 * len(p['name']) + 8:
                svg.append('<text x="%.1f" y="%d" font-size="11" fill="#fff">%s</text>' % (bx + 4, y + 29, e(p['name'])))
            for f in p['failures']:
                if f['ignored']:
                    continue
                fx = x(_parse_iso(f['time']))
                svg.append('<g class="failure"><title>%s</title><circle cx="%.1f" cy="%d" r="8" fill="%s"/>'
                           '<path d="M%.1f %.1f l8 8 m0 -8 l-8 8" stroke="#fff" stroke-width="2.2"/></g>' % (
                               e('FAILED %s: %s' % (f['task'], f['message'])), fx, y + 25, FAILED_COLOUR,
                               fx - 4, y + 21))
        _gap_marks(svg, n, x, y, width)
    svg.append('</svg>')

    legend = ''.join('<span><i class="sw" style="background:%s"></i>%s</span>' % (c, e(name)) for name, c in colours.items())
    legend += ('<span><i class="sw" style="background:%s;border-radius:6px"></i>failure</span>'
               '<span>&#9660; data-plane gap</span>' % FAILED_COLOUR)

    rows = []
    for n in report['nodes']:
        phase_rows = ''.join('<tr><td>%s</td><td>%s</td><td>%s</td><td><span class="badge r-%s">%s</span></td><td>%s</td></tr>' % (
            e(p['name']), e(p['start']), e(fmt_ms(p['duration_ms'])), e(p['result']), e(p['result']),
            e(', '.join(p['changed_tasks'])) or '-') for p in n['phases']) or '<tr><td colspan="5">not run</td></tr>'
        dp = n['data_plane']
        gap = ('%s total, %s max%s' % (fmt_ms(int(round(dp['gap_ms_total']))), fmt_ms(int(round(dp['gap_ms_max']))),
                                       '' if dp['lost_packets'] is None else ', %d lost packets' % dp['lost_packets'])) if dp['measured'] else 'not measured'
        extra = '<p>data-plane gap: %s</p>' % e(gap)
        if n['backups']:
            items = ['<li><code>%s</code> (%s: %s)</li>' % (e(b['path']), e(b['phase']), e(b['task'])) for b in n['backups']]
            extra += '<p>backups:</p><ul>%s</ul>' % ''.join(items)
        if n['failures']:
            extra += '<ul class="fail">%s</ul>' % ''.join('<li>%s%s [%s] %s: <code>%s</code></li>' % (
                'ignored: ' if f['ignored'] else 'FAILED ', e(f['time']), e(f['phase']), e(f['task']), e(f['message'])) for f in n['failures'])
        rows.append('<h2 id="node-%s">%d/%d %s <span class="badge r-%s">%s</span> <span class="meta">%s</span></h2>'
                    '<table><tr><th>phase</th><th>start (UTC)</th><th>duration</th><th>result</th><th>changed</th></tr>%s</table>%s' % (
                        e(n['name']), n['position'], n['total'], e(n['name']), e(n['result']), e(n['result']),
                        e(fmt_ms(n['duration_ms'])), phase_rows, extra))

    return ''.join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title><style>%s</style></head><body>' % (
            e('rollout report %s' % run['name']), _CSS),
        '<h1>%s <span class="badge r-%s">%s</span></h1>' % (e(run['name']), e(run['result']), e(run['result'])),
        '<div class="meta">playbook <code>%s</code> &middot; %s to %s UTC &middot; %s%s%s</div>' % (
            e(run['playbook']), e(run['start']), e(run['end']), e(fmt_ms(run['duration_ms'])),
            ' &middot; check mode' if run['check_mode'] else '', '' if run['complete'] else ' &middot; <b class="fail">incomplete (interrupted)</b>'),
        '<h2>Timeline</h2><div class="legend">%s</div>' % legend,
        ''.join(svg),
        ''.join('<div class="fail">%s %s in %s: %s: <code>%s</code></div>' % (
            'UNREACHABLE' if f['unreachable'] else 'FAILED', e(n['name']), e(f['phase']), e(f['task']), e((f['message'].splitlines() or [''])[0]))
            for n in report['nodes'] for f in n['failures'] if not f['ignored']),
        ''.join(rows),
        '<p class="meta">schema_version %d &middot; %s</p></body></html>\n' % (report['schema_version'], e(report['generator'])),
    ])
