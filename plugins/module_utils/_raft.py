# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure parser for ``ovs-appctl -t <ctl> cluster/status <db>`` (OVSDB raft).

No I/O here: modules run the command, filters receive its text, both call
:func:`parse_cluster_status`.  The format is the one printed by
``raft_unixctl_status()`` in OVS' ``ovsdb/raft.c``; ``kubectl ko nb|sb status``
(Kube-OVN) prints the same text with a trailing ``status: ok`` line.
"""

from __future__ import annotations

import re

__all__ = ['RaftStatusParseError', 'parse_cluster_status', 'SHORT_ID_RE', 'FULL_ID_RE']

SHORT_ID_RE = re.compile(r'^[0-9a-f]{4}$')
FULL_ID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')

_ID_PAIR_RE = re.compile(r'^([0-9a-f]{4}) \(([0-9a-f-]{36})\)$')
_LOG_RE = re.compile(r'^\[(\d+), (\d+)\]$')
_ELECTION_STARTED_RE = re.compile(r'^Last Election started (\d+) ms ago, reason: (.+)$')
_ELECTION_WON_RE = re.compile(r'^Last Election won: (\d+) ms ago$')
_SERVER_RE = re.compile(r'^([0-9a-f]{4}) \(([0-9a-f]{4}) at (\S+)\)(.*)$')
_CONN_RE = re.compile(r'^(\()?(<-|->)([0-9a-f]{4})(\))?$')
_TRAILER_RE = re.compile(r'^status: \S+$')

# "Key: value" header lines and the key they are stored under.
_STR_KEYS = {
    'Name': 'name',
    'Address': 'address',
    'Status': 'status',
    'Role': 'role',
    'Leader': 'leader',
    'Vote': 'vote',
}
_INT_KEYS = {
    'Term': 'term',
    'Election timer': 'election_timer',
    'Entries not yet committed': 'entries_not_committed',
    'Entries not yet applied': 'entries_not_applied',
    'Disconnections': 'disconnections',
}
_REQUIRED = ('name', 'server_id', 'status', 'role')


class RaftStatusParseError(ValueError):
    """The text is not the output of ``cluster/status``; the message says why."""


def _int(key, value, lineno):
    if not value.isdigit() or not value.isascii():
        raise RaftStatusParseError('line %d: %s is %r, expected a non-negative integer' % (lineno, key, value[:80]))
    return int(value)


def _parse_server(line, lineno):
    m = _SERVER_RE.match(line)
    if not m:
        raise RaftStatusParseError('line %d: %r is not a "Servers:" entry of the form "<sid> (<sid> at <address>) ..."' % (lineno, line[:80]))
    sid, sid2, address, rest = m.groups()
    if sid != sid2:
        raise RaftStatusParseError('line %d: server entry names two ids %s and %s' % (lineno, sid, sid2))
    server = {
        'id': sid,
        'address': address,
        'self': False,
        'voted_for': None,
        'next_index': None,
        'match_index': None,
        'last_msg_ms': None,
    }
    rest = rest.strip()
    while rest:
        if rest.startswith('(self)'):
            server['self'] = True
            rest = rest[len('(self)'):].strip()
            continue
        m = re.match(r'^\(voted for ([0-9a-f]{4})\)', rest)
        if m:
            server['voted_for'] = m.group(1)
            rest = rest[m.end():].strip()
            continue
        m = re.match(r'^(next_index|match_index)=(\d+)', rest)
        if m:
            server[m.group(1)] = int(m.group(2))
            rest = rest[m.end():].strip()
            continue
        m = re.match(r'^last msg (\d+) ms ago', rest)
        if m:
            server['last_msg_ms'] = int(m.group(1))
            rest = rest[m.end():].strip()
            continue
        raise RaftStatusParseError('line %d: unexpected text %r in server entry %s' % (lineno, rest[:80], sid))
    return server


def _parse_connections(value, lineno):
    conns = []
    for tok in value.split():
        m = _CONN_RE.match(tok)
        if not m or bool(m.group(1)) != bool(m.group(4)):
            raise RaftStatusParseError('line %d: connection %r is not of the form <-sid, ->sid or (->sid)' % (lineno, tok[:80]))
        conns.append({
            'direction': 'in' if m.group(2) == '<-' else 'out',
            # 0000 is an outgoing connection whose peer has not said who it is yet.
            'server_id': m.group(3),
            'established': not m.group(1),
        })
    return conns


def parse_cluster_status(text):
    """Parse ``cluster/status`` text into a dict.

    Returns a dict with ``name``, ``cluster_id``/``cluster_id_full`` (``None``
    while joining), ``server_id``/``server_id_full``, ``address``, ``status``,
    ``remotes_for_joining``, ``role``, ``term``, ``leader`` (as printed:
    ``self``, a short id or ``unknown``), ``leader_id`` (the leader's short id or
    ``None``), ``vote``, ``last_election_started_ms``, ``last_election_reason``,
    ``last_election_won_ms``, ``election_timer``, ``log_first_index`` and
    ``log_next_index`` (the two numbers of ``Log: [A, B]``; B is the next index
    to be written) and ``log_last_index`` (B - 1), ``entries_not_committed``,
    ``entries_not_applied``, ``connections``, ``disconnections`` and
    ``servers`` (list of ``id``, ``address``, ``self``, ``voted_for``,
    ``next_index``, ``match_index``, ``last_msg_ms``; the last three are only
    known on the leader, ``last_msg_ms`` also on followers) and
    ``connections_listed`` (whether a ``Connections:`` line was printed).

    Raises :class:`RaftStatusParseError` when the text is not such output,
    including a ``Leader:`` that is not in a non-empty ``Servers:`` list.
    """
    if not isinstance(text, str):
        raise RaftStatusParseError('expected the text of cluster/status, got %s' % type(text).__name__)
    lines = text.splitlines()
    if not any(ln.strip() for ln in lines):
        raise RaftStatusParseError('empty input: expected the text of "ovs-appctl cluster/status <db>"')
    for ln in lines:
        s = ln.strip()
        if s in ('unknown cluster', 'unknown database'):
            raise RaftStatusParseError(
                'the server answered %r: this member is not (or no longer) part of that clustered database '
                '(kicked, left, or the database name is wrong)' % s)
    res = {
        'name': None, 'cluster_id': None, 'cluster_id_full': None,
        'server_id': None, 'server_id_full': None, 'address': None,
        'status': None, 'remotes_for_joining': [], 'role': None, 'term': None,
        'leader': None, 'leader_id': None, 'vote': None,
        'last_election_started_ms': None, 'last_election_reason': None,
        'last_election_won_ms': None, 'election_timer': None,
        'log_first_index': None, 'log_next_index': None, 'log_last_index': None,
        'entries_not_committed': None, 'entries_not_applied': None,
        'connections': [], 'connections_listed': False, 'disconnections': None, 'servers': [],
    }
    in_servers = False
    seen_name = False
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if not seen_name:
            # ovs-appctl and kubectl-ko print the local short server id first.
            if SHORT_ID_RE.match(line):
                continue
            if not line.startswith('Name: '):
                raise RaftStatusParseError(
                    'line %d: %r: expected the output of "ovs-appctl cluster/status <db>", which starts with "Name: <database>"' % (lineno, line[:80]))
            seen_name = True
        if in_servers:
            if _TRAILER_RE.match(line):
                in_servers = False
                continue
            res['servers'].append(_parse_server(line, lineno))
            continue
        if _TRAILER_RE.match(line):
            continue
        m = _ELECTION_STARTED_RE.match(line)
        if m:
            res['last_election_started_ms'] = int(m.group(1))
            res['last_election_reason'] = m.group(2)
            continue
        m = _ELECTION_WON_RE.match(line)
        if m:
            res['last_election_won_ms'] = int(m.group(1))
            continue
        if line == 'Servers:':
            in_servers = True
            continue
        key, sep, value = line.partition(':')
        if not sep:
            raise RaftStatusParseError('line %d: %r is not a "Key: value" line of cluster/status' % (lineno, line[:80]))
        value = value.strip()
        if key in _STR_KEYS:
            res[_STR_KEYS[key]] = value
        elif key in _INT_KEYS:
            res[_INT_KEYS[key]] = _int(key, value, lineno)
        elif key in ('Cluster ID', 'Server ID'):
            field = 'cluster_id' if key == 'Cluster ID' else 'server_id'
            if value == 'not yet known':
                continue
            m = _ID_PAIR_RE.match(value)
            if not m or not m.group(2).startswith(m.group(1)):
                raise RaftStatusParseError('line %d: %s %r is not of the form "abcd (abcd....-....)"' % (lineno, key, value[:80]))
            res[field], res[field + '_full'] = m.group(1), m.group(2)
        elif key == 'Remotes for joining':
            res['remotes_for_joining'] = value.split()
        elif key == 'Log':
            m = _LOG_RE.match(value)
            if not m:
                raise RaftStatusParseError('line %d: Log %r is not of the form "[first, next]"' % (lineno, value[:80]))
            if int(m.group(1)) > int(m.group(2)):
                raise RaftStatusParseError('line %d: Log %r: the first index is after the next index' % (lineno, value))
            res['log_first_index'] = int(m.group(1))
            res['log_next_index'] = int(m.group(2))
            res['log_last_index'] = int(m.group(2)) - 1
        elif key == 'Connections':
            res['connections'] = _parse_connections(value, lineno)
            res['connections_listed'] = True
        else:
            # Newer OVS releases add lines; keep them rather than fail.
            res.setdefault('other', {})[key] = value
    missing = [k for k in _REQUIRED if res[k] is None]
    if missing:
        raise RaftStatusParseError('not a complete cluster/status output: missing %s' % ', '.join(missing))
    if res['leader'] == 'self':
        res['leader_id'] = res['server_id']
    elif res['leader'] and SHORT_ID_RE.match(res['leader']):
        res['leader_id'] = res['leader']
    elif res['leader'] not in (None, 'unknown'):
        raise RaftStatusParseError('Leader %r is neither "self", "unknown" nor a 4-hex-digit server id' % res['leader'][:80])
    if res['leader_id'] and res['servers'] and res['leader_id'] not in [s['id'] for s in res['servers']]:
        raise RaftStatusParseError('Leader %s is not in the Servers list (%s): the text is inconsistent or truncated'
                                   % (res['leader_id'], ', '.join(s['id'] for s in res['servers'])))
    return res
