# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure reading of OVSDB raft state: input validation, the leader rule, liveness and the health verdict.

The removal and join plans built on it live in ``_raft_plan``. No I/O here.  Inputs are dictionaries returned by
:func:`ansible_collections.cni.ovs.plugins.module_utils._raft.parse_cluster_status`
(and the text of ``ovsdb-client --format=json query`` on ``_Server``); the
modules ``ovn_cluster_info`` and ``ovn_raft_member`` run the commands.

Facts this relies on (OVS 3.1, measured on real clusters):

* only the leader knows when it last heard from every member
  (``last msg N ms ago``); a follower knows it only for the leader (and for
  members that recently sent it something), so liveness is judged on the leader;
* the leader sends heartbeats every third of the election timer, so a live
  member is heard from well within one election timer;
* every member keeps an outgoing raft connection to every other member, so
  the leader's ``Connections:`` line shows an established ``<-id`` for every
  live peer; a peer whose process died loses it within milliseconds (and its
  ``->id`` turns into a pending ``(->id)``), long before ``last msg`` grows
  past the election timer (a member SIGKILLed 2 s ago under an 8 s timer still
  looks fresh by its last-message age alone);
* a member can only be *proven* live by a message the leader received after
  we started looking (:class:`LivenessProof`): a frozen process or a cut link
  keeps its TCP connection for a while;
* ``cluster/status`` exits 0 in every state, so the verdict is built from the
  parsed fields, never from the exit code.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re

from ansible_collections.cni.ovs.plugins.module_utils._raft import FULL_ID_RE, SHORT_ID_RE

__all__ = [
    'RaftInputError', 'shown', 'KNOWN_DBS', 'resolve_db', 'normalize_server_id', 'parse_address',
    'address_matches', 'parse_server_row', 'member_liveness', 'assess_health',
    'check_number', 'pick_leader', 'foreign_leaders', 'full_id', 'LivenessProof', 'COMMON_NUMBERS',
]

# Kube-OVN layout (dist/images/start-db.sh, kubectl-ko): control sockets and client sockets.
KNOWN_DBS = {
    'nb': {'name': 'OVN_Northbound', 'ctl': '/var/run/ovn/ovnnb_db.ctl', 'remote': 'unix:/var/run/ovn/ovnnb_db.sock'},
    'sb': {'name': 'OVN_Southbound', 'ctl': '/var/run/ovn/ovnsb_db.ctl', 'remote': 'unix:/var/run/ovn/ovnsb_db.sock'},
}
_DB_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
_ADDR_RE = re.compile(r'^(tcp|ssl):(?:\[([^\]]+)\]|([^\[\]:]+)):(\d+)$')


class RaftInputError(ValueError):
    """A user-supplied value (database, server id, address) is malformed."""


def shown(value, limit=80):
    """repr() of a user value for an error message, cut after ``limit`` characters (a 10 MB string stays readable)."""
    if isinstance(value, str) and len(value) > limit:
        return '%r... (%d characters)' % (value[:limit], len(value))
    return repr(value)


# Numeric options shared by ovn_raft_member and ovn_cluster_info: (minimum, minimum allowed?, maximum).
COMMON_NUMBERS = {
    'stale_factor': (0.0, False, 1000.0),
    'timeout': (0.0, False, 86400.0),
    'settle_timeout': (0.0, True, 3600.0),
    'hold': (0.0, True, 3600.0),
}


def check_number(name, value, minimum=None, allow_minimum=True, maximum=None):
    """Return ``value`` as a float when it is a finite number in range; else raise naming option and value."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise RaftInputError('%s must be a number, got %s' % (name, shown(value)))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RaftInputError('%s must be a number, got %s' % (name, shown(value)))
    value = float(value)
    if not math.isfinite(value):
        raise RaftInputError('%s must be a finite number, got %s' % (name, value))
    if minimum is not None and (value < minimum or (value == minimum and not allow_minimum)):
        raise RaftInputError('%s must be %s %s, got %s' % (name, '>=' if allow_minimum else '>', minimum, value))
    if maximum is not None and value > maximum:
        raise RaftInputError('%s must be <= %s, got %s' % (name, maximum, value))
    return value


def full_id(status, key):
    """The full UUID of ``server_id``/``cluster_id`` in a parsed status (the short id only when the full one is unknown)."""
    return status.get(key + '_full') or status.get(key)


def pick_leader(statuses, cluster_id=None):
    """Index of the leader among parsed statuses (None entries allowed), or None: the one rule of both raft modules.

    A status counts when its role is ``leader`` and it is a ``cluster member``; with
    ``cluster_id`` (a full cluster UUID) only a leader of that cluster counts. Ids are
    compared as full UUIDs, never by their 4-digit prefixes. The same server seen through
    two sockets is one leader. When different servers claim leadership (a deposed leader
    that has not noticed yet) the highest term wins; two claims in the same term, or
    leaders of different clusters, give None.
    """
    best = None
    for i, st in enumerate(statuses):
        if not st or st.get('role') != 'leader' or st.get('status') != 'cluster member':
            continue
        if cluster_id is not None and full_id(st, 'cluster_id') != cluster_id:
            continue
        if best is None:
            best = i
            continue
        b = statuses[best]
        if full_id(st, 'cluster_id') != full_id(b, 'cluster_id'):
            return None
        if full_id(st, 'server_id') == full_id(b, 'server_id'):
            if (st.get('term') or 0) > (b.get('term') or 0):
                best = i
            continue
        if (st.get('term') or 0) > (b.get('term') or 0):
            best = i
        elif (st.get('term') or 0) == (b.get('term') or 0):
            return None
    return best


def foreign_leaders(statuses, cluster_id):
    """Indexes of leaders among ``statuses`` that lead a cluster other than ``cluster_id`` (full UUIDs)."""
    if cluster_id is None:
        return []
    return [i for i, st in enumerate(statuses) if st and st.get('role') == 'leader' and st.get('status') == 'cluster member'
            and full_id(st, 'cluster_id') != cluster_id]


def resolve_db(db):
    """Map ``nb``/``sb``/a full database name to ``{'name', 'ctl', 'remote'}``.

    ``ctl`` and ``remote`` are the Kube-OVN defaults for ``nb``/``sb`` (and for
    their full names), ``None`` for any other database.
    """
    if not isinstance(db, str) or not db.strip():
        raise RaftInputError('db must be nb, sb or a database name such as OVN_Northbound, got %s' % shown(db))
    key = db.strip()
    if key.lower() in KNOWN_DBS:
        return dict(KNOWN_DBS[key.lower()])
    for info in KNOWN_DBS.values():
        if info['name'] == key:
            return dict(info)
    if not _DB_NAME_RE.match(key) or len(key) > 255:
        raise RaftInputError('db %s is not nb, sb or a valid OVSDB database name (letters, digits, underscore; at most 255)' % shown(db))
    return {'name': key, 'ctl': None, 'remote': None}


def normalize_server_id(value):
    """Return ``(short, full)`` for a 4-hex-digit id or a full server UUID (``full`` is None for short ids)."""
    if not isinstance(value, str):
        raise RaftInputError('server_id must be a string, got %s' % type(value).__name__)
    sid = value.strip().lower()
    if SHORT_ID_RE.match(sid):
        return sid, None
    if FULL_ID_RE.match(sid):
        return sid[:4], sid
    raise RaftInputError('server_id %s is neither a 4-hex-digit short id (for example 1b9a) '
                         'nor a full server UUID (as printed by "cluster/sid")' % shown(value))


def _ip_or_text(host):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return host.lower()


def parse_address(value, strict=True):
    """Parse a raft address or a bare IP.

    Returns ``{'proto', 'host', 'ip', 'port', 'text'}``; ``proto``/``port`` are
    None for a bare IP.  ``strict`` requires the host to be an IP address (user
    input); addresses read from ``cluster/status`` may carry host names.
    """
    if not isinstance(value, str) or not value.strip():
        raise RaftInputError('address must be a non-empty string such as tcp:172.18.0.5:6643 or 172.18.0.5, got %s' % shown(value))
    text = value.strip()
    m = _ADDR_RE.match(text)
    if m:
        proto, host6, host, port = m.group(1), m.group(2), m.group(3), int(m.group(4))
        host = host6 if host6 is not None else host
        if not 0 < port < 65536:
            raise RaftInputError('address %s: port %d is out of range' % (shown(value), port))
    else:
        proto, port, host = None, None, text[1:-1] if text.startswith('[') and text.endswith(']') else text
        if ':' in host and not _is_ip(host):
            raise RaftInputError('address %s is not of the form tcp:<ip>:<port>, ssl:<ip>:<port> or a bare IP address' % shown(value))
    ip = _ip_or_text(host)
    if strict and not isinstance(ip, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        raise RaftInputError('address %s: %s is not an IP address (expected tcp:<ip>:<port>, ssl:<ip>:<port> or a bare IP)'
                             % (shown(value), shown(host)))
    return {'proto': proto, 'host': host, 'ip': ip, 'port': port, 'text': text}


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def address_matches(wanted, server_address):
    """Whether a parsed user address (full or bare IP) names ``server_address`` (text from cluster/status)."""
    try:
        have = parse_address(server_address, strict=False)
    except RaftInputError:
        return False
    if have['ip'] != wanted['ip']:
        return False
    if wanted['proto'] is None:
        return True
    return have['proto'] == wanted['proto'] and have['port'] == wanted['port']


def _ovsdb_atom(value):
    """Unwrap OVSDB JSON atoms: ["uuid", x] -> x, ["set", []] -> None, ["set", [a]] -> a."""
    if isinstance(value, list) and len(value) == 2:
        if value[0] in ('uuid', 'named-uuid'):
            return value[1]
        if value[0] == 'set':
            items = [_ovsdb_atom(v) for v in value[1]]
            return items[0] if len(items) == 1 else (items or None)
    return value


def parse_server_row(text, db_name):
    """Parse ``ovsdb-client --format=json query`` output on ``_Server.Database``; return the row for ``db_name``.

    Returns a dict with ``name``, ``model``, ``connected``, ``leader``, ``index``,
    ``cid``, ``sid`` (UUIDs as strings, unset columns as None), or None when the
    server does not serve that database.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RaftInputError('the _Server query did not return JSON: %s' % exc)
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        raise RaftInputError('the _Server query returned %r, expected a list of operation results' % (text[:200],))
    if 'error' in data[0]:
        raise RaftInputError('the _Server query failed: %s' % data[0].get('details') or data[0]['error'])
    for row in data[0].get('rows', []):
        if row.get('name') == db_name:
            return dict((k, _ovsdb_atom(v)) for k, v in row.items() if k not in ('_uuid', '_version', 'schema'))
    return None


def _election_timer(status):
    return status.get('election_timer') or 1000


def heartbeat_ms(status):
    """Milliseconds between the leader's heartbeats (a third of the election timer)."""
    return _election_timer(status) / 3.0


def _connection_state(status, sid):
    """``up``/``down`` from the Connections line (an established ``<-sid`` and no pending ``(->sid)``), None if not printed."""
    if not status.get('connections_listed'):
        return None
    conns = status.get('connections') or []
    incoming = any(c['direction'] == 'in' and c['server_id'] == sid and c['established'] for c in conns)
    pending = any(c['direction'] == 'out' and c['server_id'] == sid and not c['established'] for c in conns)
    return 'up' if incoming and not pending else 'down'


def member_liveness(status, stale_factor=3.0):
    """Classify each server of a leader's view from one sample.

    Returns a list of dicts ``id``, ``address``, ``self``, ``last_msg_ms``,
    ``match_index``, ``connection`` (``up``/``down`` from the Connections
    line, None when unknown), ``lost`` (connection down, never heard from, or
    silent for more than one election timer), ``connected`` (not lost; this
    is one sample: use :class:`LivenessProof` before acting on it) and
    ``stale`` (not heard from for more than ``stale_factor`` election timers,
    or never).  On a non-leader view ``connected``/``stale``/``lost`` are None
    for every server except itself and the leader, because only the leader
    tracks every member.
    """
    timer = _election_timer(status)
    on_leader = status.get('role') == 'leader'
    out = []
    for srv in status.get('servers') or []:
        entry = {'id': srv['id'], 'address': srv['address'], 'self': srv['self'], 'last_msg_ms': srv.get('last_msg_ms'),
                 'match_index': srv.get('match_index'), 'connection': None, 'connected': None, 'stale': None, 'lost': None}
        last = srv.get('last_msg_ms')
        if srv['self']:
            entry['connected'], entry['stale'], entry['lost'] = True, False, False
        elif on_leader or srv['id'] == status.get('leader_id'):
            entry['connection'] = _connection_state(status, srv['id'])
            entry['lost'] = entry['connection'] == 'down' or last is None or last > timer
            entry['connected'] = not entry['lost']
            entry['stale'] = last is None or last > stale_factor * timer
        out.append(entry)
    return out


class LivenessProof:
    """Which members the leader provably heard from after ``started`` (a monotonic time in seconds).

    Feed it leader samples with :meth:`add` (``sampled_at`` is the monotonic
    time taken just *before* running ``cluster/status``, so ``sampled_at -
    last_msg`` is a lower bound of when the message arrived).  A member is
    ``alive`` once a message from it provably arrived after ``started`` while
    its connection was up; ``lost`` (sticky for this proof) once any sample
    shows it lost.  A change of leader or term restarts the proof.
    """

    def __init__(self, started):
        self.started = started
        self.leader = None
        self.heard = set()
        self.lost = set()
        self.ids = []
        self.timer = 1000

    def add(self, status, sampled_at):
        key = (status.get('server_id'), status.get('term'))
        if self.leader is not None and key != self.leader:
            self.started = sampled_at
            self.heard, self.lost = set(), set()
        self.leader = key
        self.timer = _election_timer(status)
        self.ids = [s['id'] for s in status.get('servers') or []]
        for m in member_liveness(status):
            if m['self']:
                self.heard.add(m['id'])
            elif m['lost'] is None:
                continue  # not tracked by this view (not the leader): nothing is proven
            elif m['lost']:
                self.lost.add(m['id'])
                self.heard.discard(m['id'])
            elif m['id'] not in self.lost and sampled_at - m['last_msg_ms'] / 1000.0 > self.started:
                self.heard.add(m['id'])

    def alive(self):
        return set(self.heard) - self.lost

    def undecided(self, ids=None):
        return [i for i in (self.ids if ids is None else ids) if i not in self.heard and i not in self.lost]

    def deadline(self):
        """When members not heard from yet count as lost: two heartbeats and half a second after the start."""
        return self.started + 2.0 * self.timer / 3000.0 + 0.5


def assess_health(status, expected_addresses=None, stale_factor=3.0, server_row=None, alive=None):
    """Build a health verdict from a parsed ``cluster/status`` (and optionally the ``_Server`` row).

    The verdict says what can be judged from this member's view and lists what
    cannot (``cannot_judge``) when the member is not the leader.  ``alive`` is
    the set of ids a :class:`LivenessProof` confirmed; without it one sample
    decides (connection up and heard from within one election timer).
    """
    expected = None
    if expected_addresses is not None:
        expected = [parse_address(a) for a in expected_addresses]
    servers = status.get('servers') or []
    role = status.get('role')
    is_member = status.get('status') == 'cluster member'
    on_leader = role == 'leader' and is_member
    leader_id = status.get('leader_id')
    has_leader = bool(leader_id) and is_member
    n = len(servers)
    quorum = n // 2 + 1 if n else None
    live = member_liveness(status, stale_factor)
    problems = []
    cannot = []

    leader_address = None
    for srv in servers:
        if srv['id'] == leader_id:
            leader_address = srv['address']

    if on_leader:
        judged_on = 'leader'
        if alive is not None:
            for m in live:
                m['connected'] = m['id'] in alive
        connected = [m['id'] for m in live if m['connected']]
        unreachable = [m['id'] for m in live if not m['connected']]
        stale = [m['id'] for m in live if m['stale']]
        can_lose = len(connected) - quorum
    else:
        judged_on = role if is_member else (status.get('status') or 'unknown')
        connected = unreachable = stale = None
        can_lose = None
        cannot.append('which members are connected and which are stale: only the leader (%s) tracks every member; '
                      'ask the leader or give its control socket' % (leader_id or 'none known'))
        cannot.append('how many more members may be lost')
        leader_entry = [m for m in live if m['id'] == leader_id and not m['self']]
        if leader_entry and leader_entry[0]['connected'] is False:
            problems.append('this member last heard from the leader %s %s ms ago (election timer %d ms)'
                            % (leader_id, leader_entry[0]['last_msg_ms'], _election_timer(status)))

    if not is_member:
        problems.append('this server is not an active cluster member: status %r' % status.get('status'))
    if not has_leader:
        problems.append('no leader known (role %s, term %s)' % (role, status.get('term')))
    uncommitted = status.get('entries_not_committed')
    if uncommitted:
        problems.append('%d log entries not yet committed' % uncommitted)
    if on_leader:
        if can_lose < 0:
            problems.append('only %d of %d members connected, quorum needs %d' % (len(connected), n, quorum))
        if unreachable:
            problems.append('members not connected to the leader: %s' % ', '.join(unreachable))
        if stale:
            problems.append('stale members (no message for more than %s election timers): %s' % (stale_factor, ', '.join(stale)))

    by_addr = {}
    for srv in servers:
        try:
            p = parse_address(srv['address'], strict=False)
            key = '%s:%s:%s' % (p['proto'], p['ip'], p['port'])
        except RaftInputError:
            key = srv['address']
        by_addr.setdefault(key, []).append(srv)
    duplicates = []
    for group in by_addr.values():
        if len(group) > 1:
            duplicates.append({'address': group[0]['address'], 'ids': [s['id'] for s in group]})
            problems.append('%d servers share address %s: %s' % (len(group), group[0]['address'], ', '.join(s['id'] for s in group)))

    unexpected = None
    missing = None
    if expected is not None:
        unexpected = [{'id': s['id'], 'address': s['address']} for s in servers
                      if not any(address_matches(e, s['address']) for e in expected)]
        missing = [e['text'] for e in expected if not any(address_matches(e, s['address']) for s in servers)]
        if unexpected:
            problems.append('members at unexpected addresses: %s' % ', '.join('%s (%s)' % (u['id'], u['address']) for u in unexpected))
        if missing:
            problems.append('expected addresses without a member: %s' % ', '.join(missing))

    if server_row is not None:
        if server_row.get('connected') is False:
            problems.append('_Server says this server is not connected to the cluster')
        if status.get('role') == 'leader' and server_row.get('leader') is False:
            problems.append('_Server and cluster/status disagree on leadership')

    return {
        'judged_on': judged_on,
        'healthy': not problems,
        'problems': problems,
        'cannot_judge': cannot,
        'has_leader': has_leader,
        'leader_id': leader_id,
        'leader_address': leader_address,
        'members': n,
        'quorum': quorum,
        'connected_members': connected,
        'unreachable_members': unreachable,
        'stale_members': stale,
        'can_lose': can_lose,
        'entries_not_committed': uncommitted,
        'duplicate_addresses': duplicates,
        'unexpected_members': unexpected,
        'missing_addresses': missing,
        'liveness': live,
    }
