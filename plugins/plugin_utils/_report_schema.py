# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run report's schema (JSON Schema 2020-12) and the values it fixes.

Data only: docs/report-schema.json is a copy of REPORT_SCHEMA (the unit tests keep it current).
"""

from __future__ import annotations

# 2: nodes carry queue_ms and queued[] (waits for a serial batch / another play), plays their batches[];
#    a phase no longer spans such a wait (the wait splits it).
SCHEMA_VERSION = 2
GENERATOR = 'cni.ovs.rollout_report'
RESULTS = ('ok', 'changed', 'failed', 'skipped', 'unreachable')
NODE_RESULTS = RESULTS + ('not_run',)

_ISO = r'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$'


def _nullable(schema):
    return {'anyOf': [schema, {'type': 'null'}]}


_TIME = {'type': 'string', 'pattern': _ISO, 'description': 'ISO 8601 UTC time'}
_MS = {'type': 'integer', 'minimum': 0, 'description': 'milliseconds'}

REPORT_SCHEMA = {
    '$schema': 'https://json-schema.org/draft/2020-12/schema',
    '$id': 'https://example.invalid/cni/ovs/report-schema/%d.json' % SCHEMA_VERSION,
    'title': 'cni.ovs rollout report',
    'description': 'Run report written by the cni.ovs.rollout_report callback: per node and per phase start, end, duration and result, '
                   'time spent queued (waiting while other hosts ran), data-plane gaps where measured, backups made and tasks '
                   'that changed something.',
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
            'required': ['name', 'hosts', 'start', 'batches'],
            'properties': {
                'name': {'type': 'string'},
                'hosts': {'type': 'array', 'items': {'type': 'string'}, 'description': "The play's hosts in order (N/M positions)."},
                'start': {'$ref': '#/$defs/time'},
                'batches': {'type': 'array', 'items': {'$ref': '#/$defs/batch'},
                            'description': 'The serial batches the play ran, in order (one batch without serial).'},
            },
        },
        'batch': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['hosts', 'start'],
            'properties': {
                'hosts': {'type': 'array', 'items': {'type': 'string'}, 'description': 'The hosts of the batch.'},
                'start': {'$ref': '#/$defs/time'},
            },
        },
        'queued': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['start', 'end', 'duration_ms', 'after_phase', 'before_phase', 'waited_for', 'waited_for_count'],
            'description': 'A time the node waited with no task running while a batch (serial, or a play) without it ran: '
                           'from the end of its previous task (or the start of its first play) to the start of its next task.',
            'properties': {
                'start': {'$ref': '#/$defs/time'},
                'end': {'$ref': '#/$defs/time'},
                'duration_ms': _MS,
                'after_phase': _nullable({'type': 'string', 'description': 'Phase of the task before the wait; null before the first task.'}),
                'before_phase': {'type': 'string', 'description': 'Phase of the task after the wait.'},
                'waited_for': {'type': 'array', 'items': {'type': 'string'},
                               'description': 'Hosts of the batches that started while the node waited, in order; the first 20.'},
                'waited_for_count': {'type': 'integer', 'minimum': 1, 'description': 'How many hosts those batches had in all.'},
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
                'start': {'$ref': '#/$defs/time', 'description': 'Start of the first task of the phase.'},
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
            'required': ['name', 'position', 'total', 'result', 'start', 'end', 'duration_ms', 'queue_ms', 'phases', 'queued',
                         'changed_tasks', 'backups', 'failures', 'data_plane', 'stats'],
            'properties': {
                'name': {'type': 'string'},
                'position': {'type': 'integer', 'minimum': 1, 'description': "N of 'node N/M': place in the first play listing it."},
                'total': {'type': 'integer', 'minimum': 1, 'description': "M of 'node N/M'."},
                'result': {'enum': list(NODE_RESULTS), 'description': 'not_run: in the play but never started (the rollout stopped before it).'},
                'start': _nullable({'$ref': '#/$defs/time'}),
                'end': _nullable({'$ref': '#/$defs/time'}),
                'duration_ms': _nullable({'type': 'integer', 'minimum': 0,
                                          'description': 'From the start of its first task to the end of its last, queued time inside included.'}),
                'queue_ms': {'type': 'integer', 'minimum': 0, 'description': 'Total of queued[] (0 when the node never waited, or never ran).'},
                'phases': {'type': 'array', 'items': {'$ref': '#/$defs/phase'}},
                'queued': {'type': 'array', 'items': {'$ref': '#/$defs/queued'}, 'description': 'Waits, in time order; never inside a phase.'},
                'changed_tasks': {'type': 'array', 'items': {'type': 'string'}},
                'backups': {'type': 'array', 'items': {'$ref': '#/$defs/backup'}},
                'failures': {'type': 'array', 'items': {'$ref': '#/$defs/failure'}},
                'data_plane': {'$ref': '#/$defs/data_plane'},
                'stats': _nullable({'$ref': '#/$defs/stats'}),
            },
        },
    },
}
