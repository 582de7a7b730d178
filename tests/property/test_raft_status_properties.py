# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Properties of the cluster/status parser (raft_status filter) and of the liveness decisions.

Generated status texts in the format of OVS 3.1 ``raft_unixctl_status()`` (servers, roles,
connections, log indexes) parse to what was generated; garbage raises only the documented error
types (RaftStatusParseError in the core, AnsibleFilterError in the filter).
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible.errors import AnsibleFilterError
from ansible_collections.cni.ovs.plugins.filter.raft_status import raft_status
from ansible_collections.cni.ovs.plugins.module_utils._raft import RaftStatusParseError, parse_cluster_status
from ansible_collections.cni.ovs.plugins.module_utils._raft_health import (
    LivenessProof, RaftInputError, check_number, member_liveness, pick_leader,
)
from ansible_collections.cni.ovs.plugins.module_utils._raft_plan import (
    plan_removal, resolve_target,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
hexid = st.text('0123456789abcdef', min_size=4, max_size=4)


def full_uuid(prefix, draw):
    rest = draw(st.uuids()).hex
    return '%s%s-%s-%s-%s-%s' % (prefix, rest[4:8], rest[8:12], rest[12:16], rest[16:20], rest[20:32])


@st.composite
def cluster_status(draw):
    ids = draw(st.lists(hexid, min_size=1, max_size=7, unique=True))
    me = draw(st.sampled_from(ids))
    role = draw(st.sampled_from(['leader', 'follower', 'candidate']))
    leader = me if role == 'leader' else draw(st.one_of(st.none(), st.sampled_from([i for i in ids if i != me] or [me])))
    if role != 'leader' and leader == me:
        leader = None
    first = draw(st.integers(0, 10 ** 9))
    nxt = first + draw(st.integers(0, 10 ** 6))
    port = draw(st.integers(1, 65535))
    servers = []
    for n, sid in enumerate(ids):
        srv = {'id': sid, 'address': 'tcp:127.0.%d.%d:%d' % (n // 250, n % 250 + 1, port), 'self': sid == me,
               'next_index': None, 'match_index': None, 'last_msg_ms': None, 'voted_for': None}
        if role == 'leader':
            srv['next_index'] = draw(st.integers(0, nxt))
            srv['match_index'] = draw(st.integers(0, nxt))
        if sid != me and draw(st.booleans()):
            srv['last_msg_ms'] = draw(st.integers(0, 10 ** 7))
        servers.append(srv)
    conns = []
    for sid in ids:
        if sid == me:
            continue
        for direction in draw(st.lists(st.sampled_from(['in', 'out']), max_size=2, unique=True)):
            conns.append({'direction': direction, 'server_id': sid, 'established': direction == 'in' or draw(st.booleans())})
    if draw(st.booleans()):
        conns.append({'direction': 'out', 'server_id': '0000', 'established': draw(st.booleans())})
    return {
        'name': draw(st.sampled_from(['OVN_Northbound', 'OVN_Southbound'])), 'ids': ids, 'me': me, 'me_full': full_uuid(me, draw),
        'cid': draw(hexid), 'role': role, 'leader': leader, 'term': draw(st.integers(0, 10 ** 6)),
        'timer': draw(st.integers(100, 600000)), 'first': first, 'next': nxt,
        'uncommitted': draw(st.integers(0, 1000)), 'unapplied': draw(st.integers(0, 1000)),
        'disconnections': draw(st.integers(0, 10 ** 6)), 'servers': servers, 'connections': conns,
        'kubectl_ko': draw(st.booleans()),
    }


def render(g):
    out = [g['me']] if g['kubectl_ko'] else []
    cid_full = '%s%s' % (g['cid'], '0000-1111-4222-8333-444455556666')
    out += ['Name: %s' % g['name'], 'Cluster ID: %s (%s)' % (g['cid'], cid_full),
            'Server ID: %s (%s)' % (g['me'], g['me_full']),
            'Address: %s' % [s for s in g['servers'] if s['self']][0]['address'], 'Status: cluster member',
            'Role: %s' % g['role'], 'Term: %d' % g['term'],
            'Leader: %s' % ('self' if g['leader'] == g['me'] else (g['leader'] or 'unknown')),
            'Vote: unknown', '', 'Election timer: %d' % g['timer'], 'Log: [%d, %d]' % (g['first'], g['next']),
            'Entries not yet committed: %d' % g['uncommitted'], 'Entries not yet applied: %d' % g['unapplied']]
    toks = []
    for c in g['connections']:
        t = ('<-' if c['direction'] == 'in' else '->') + c['server_id']
        toks.append(t if c['established'] else '(%s)' % t)
    out += ['Connections:%s' % ''.join(' ' + t for t in toks), 'Disconnections: %d' % g['disconnections'], 'Servers:']
    for s in g['servers']:
        line = '    %s (%s at %s)' % (s['id'], s['id'], s['address'])
        if s['self']:
            line += ' (self)'
        if s['next_index'] is not None:
            line += ' next_index=%d match_index=%d' % (s['next_index'], s['match_index'])
        if s['last_msg_ms'] is not None:
            line += ' last msg %d ms ago' % s['last_msg_ms']
        out.append(line)
    if g['kubectl_ko']:
        out.append('status: ok')
    return '\n'.join(out) + '\n'


@SETTINGS
@given(cluster_status())
def test_generated_status_parses_to_what_was_generated(g):
    st_ = parse_cluster_status(render(g))
    assert st_['name'] == g['name'] and st_['server_id'] == g['me'] and st_['server_id_full'] == g['me_full']
    assert st_['role'] == g['role'] and st_['term'] == g['term'] and st_['election_timer'] == g['timer']
    assert st_['leader_id'] == g['leader']
    assert (st_['log_first_index'], st_['log_next_index'], st_['log_last_index']) == (g['first'], g['next'], g['next'] - 1)
    assert st_['entries_not_committed'] == g['uncommitted'] and st_['entries_not_applied'] == g['unapplied']
    assert st_['connections'] == g['connections'] and st_['connections_listed']
    assert st_['servers'] == g['servers']
    assert raft_status(render(g)) == st_


@SETTINGS
@given(cluster_status())
def test_leader_liveness_follows_the_connections_line(g):
    """On a leader's view a member without an established incoming connection is lost, whatever its last-message age."""
    st_ = parse_cluster_status(render(g))
    for m in member_liveness(st_):
        if m['self'] or g['role'] != 'leader':
            continue
        incoming = any(c['direction'] == 'in' and c['server_id'] == m['id'] and c['established'] for c in g['connections'])
        pending = any(c['direction'] == 'out' and c['server_id'] == m['id'] and not c['established'] for c in g['connections'])
        if not incoming or pending:
            assert m['lost'] and not m['connected']
        if m['last_msg_ms'] is None or m['last_msg_ms'] > g['timer']:
            assert m['lost']


@SETTINGS
@given(cluster_status(), st.data())
def test_removal_never_planned_below_majority_of_confirmed_live(g, data):
    st_ = parse_cluster_status(render(g))
    target = data.draw(st.sampled_from(g['ids']))
    alive = set(data.draw(st.lists(st.sampled_from(g['ids']), unique=True)))
    plan = plan_removal(st_, target, local_id=g['me'], alive=alive)
    if plan['action'] in ('kick', 'leave'):
        remaining = [i for i in g['ids'] if i != target]
        live_after = [i for i in remaining if i in alive and [m for m in member_liveness(st_) if m['id'] == i][0]['connected']]
        assert len(live_after) >= len(remaining) // 2 + 1
        assert g['role'] == 'leader' and not g['uncommitted']


@SETTINGS
@given(cluster_status(), st.floats(0, 100), st.floats(0, 100))
def test_liveness_proof_only_counts_messages_after_the_start(g, started, later):
    st_ = parse_cluster_status(render(g))
    proof = LivenessProof(started)
    sampled_at = started + later
    proof.add(st_, sampled_at)
    for m in member_liveness(st_):
        if m['id'] in proof.alive() and not m['self']:
            assert sampled_at - m['last_msg_ms'] / 1000.0 > started and not m['lost']


@SETTINGS
@given(st.one_of(st.text(max_size=300), st.binary(max_size=50), st.integers(), st.none(), st.lists(st.text(max_size=5))))
def test_garbage_raises_only_the_documented_error(value):
    try:
        parse_cluster_status(value)
    except RaftStatusParseError:
        pass
    try:
        raft_status(value)
    except AnsibleFilterError:
        pass


@SETTINGS
@given(cluster_status(), st.data())
def test_mutated_status_raises_only_the_documented_error(g, data):
    text = render(g)
    pos = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.text(max_size=20))
    cut = data.draw(st.integers(0, 30))
    try:
        parse_cluster_status(text[:pos] + junk + text[pos + cut:])
    except RaftStatusParseError:
        pass


@SETTINGS
@given(cluster_status(), st.data())
def test_full_ids_match_exactly(g, data):
    st_ = parse_cluster_status(render(g))
    other = data.draw(st.sampled_from(g['ids']))
    # the answering server's own full id is in its status; the others' come from their own sockets (known)
    full = g['me_full'] if other == g['me'] else full_uuid(other, data.draw)
    known = {other: full}
    assert resolve_target(st_, server_id=full, known_full_ids=known)['id'] == other
    wrong = full[:-1] + ('0' if full[-1] != '0' else '1')
    assert resolve_target(st_, server_id=wrong, known_full_ids=known)['id'] is None
    if other != g['me']:
        try:
            resolve_target(st_, server_id=full)
            raise AssertionError('unverifiable full id accepted')
        except RaftInputError as exc:
            assert full in str(exc)


@SETTINGS
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 6, 10 ** 6), st.text(max_size=12), st.booleans()))
def test_check_number_is_finite_in_range_or_names_option_and_value(value):
    try:
        got = check_number('hold', value, 0.0, True, 3600.0)
    except RaftInputError as exc:
        assert str(exc).startswith('hold ')
        return
    assert 0.0 <= got <= 3600.0 and math.isfinite(got)


@SETTINGS
@given(st.lists(st.one_of(st.none(), cluster_status()), max_size=5))
def test_pick_leader_picks_a_leader_or_none(gs):
    statuses = [parse_cluster_status(render(g)) if g else None for g in gs]
    i = pick_leader(statuses)
    claims = [s for s in statuses if s and s['role'] == 'leader']
    if i is None:
        return
    assert statuses[i]['role'] == 'leader'
    assert statuses[i]['term'] == max(s['term'] for s in claims if s['cluster_id'] == statuses[i]['cluster_id'])
