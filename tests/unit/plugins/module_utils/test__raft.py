# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest

from ansible_collections.cni.ovs.plugins.module_utils._raft import RaftStatusParseError, parse_cluster_status

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'raft')


def load(name):
    with open(os.path.join(FIX, name + '.txt')) as f:
        return f.read()


# fixture, role, leader_id, term, (log first, next), uncommitted, [(id, address, self, next, match, last_msg)]
CASES = [
    ('seed_nb_leader', 'leader', '1b9a', 1, (135, 135), 0, [
        ('4984', 'tcp:[172.18.0.4]:6643', False, 135, 134, 1084),
        ('1b9a', 'tcp:[172.18.0.3]:6643', True, 2, 134, None),
        ('d64b', 'tcp:[172.18.0.5]:6643', False, 135, 134, 1084)]),
    ('seed_nb_after_kick', 'leader', '1b9a', 1, (136, 136), 0, [
        ('4984', 'tcp:[172.18.0.4]:6643', False, 136, 135, 1270),
        ('1b9a', 'tcp:[172.18.0.3]:6643', True, 2, 135, None)]),
    ('seed_sb_leader', 'leader', '3722', 1, (130, 130), 0, [
        ('e9f7', 'tcp:[172.18.0.5]:6644', False, 130, 129, 1006),
        ('6e84', 'tcp:[172.18.0.4]:6644', False, 130, 129, 1004),
        ('3722', 'tcp:[172.18.0.3]:6644', True, 2, 129, None)]),
    ('seed_sb_after_kick', 'leader', '3722', 1, (131, 131), 0, [
        ('6e84', 'tcp:[172.18.0.4]:6644', False, 131, 130, 642),
        ('3722', 'tcp:[172.18.0.3]:6644', True, 2, 130, None)]),
    ('seed_nb_before_add', 'leader', '1b9a', 44, (147, 147), 0, [
        ('4984', 'tcp:[172.18.0.4]:6643', False, 147, 146, 367),
        ('1b9a', 'tcp:[172.18.0.3]:6643', True, 140, 146, None)]),
    ('seed_sb_before_add', 'leader', '3722', 33, (142, 142), 0, [
        ('6e84', 'tcp:[172.18.0.4]:6644', False, 142, 141, 728),
        ('3722', 'tcp:[172.18.0.3]:6644', True, 134, 141, None)]),
]


@pytest.mark.parametrize('name, role, leader, term, log, uncommitted, servers', CASES, ids=[c[0] for c in CASES])
def test_seed_outputs(name, role, leader, term, log, uncommitted, servers):
    st = parse_cluster_status(load(name))
    assert st['role'] == role
    assert st['leader_id'] == leader
    assert st['term'] == term
    assert (st['log_first_index'], st['log_next_index']) == log
    assert st['log_last_index'] == log[1] - 1
    assert st['entries_not_committed'] == uncommitted
    assert st['entries_not_applied'] == 0
    assert st['election_timer'] == 5000
    assert st['status'] == 'cluster member'
    got = [(s['id'], s['address'], s['self'], s['next_index'], s['match_index'], s['last_msg_ms']) for s in st['servers']]
    assert got == servers


def test_seed_nb_leader_all_fields():
    st = parse_cluster_status(load('seed_nb_leader'))
    assert st['name'] == 'OVN_Northbound'
    assert st['cluster_id'] == '32ca'
    assert st['cluster_id_full'] == '32ca07fb-739b-4257-b510-12fa18e7cce8'
    assert st['server_id'] == '1b9a'
    assert st['server_id_full'] == '1b9a5d76-e69b-410c-8085-39943d0cd38c'
    assert st['address'] == 'tcp:[172.18.0.3]:6643'
    assert st['leader'] == 'self'
    assert st['vote'] == 'self'
    assert st['last_election_started_ms'] == 2135194
    assert st['last_election_reason'] == 'timeout'
    assert st['last_election_won_ms'] == 2135188
    assert st['disconnections'] == 0
    assert st['connections'] == [
        {'direction': 'in', 'server_id': 'd64b', 'established': True},
        {'direction': 'out', 'server_id': 'd64b', 'established': True},
        {'direction': 'in', 'server_id': '4984', 'established': True},
        {'direction': 'out', 'server_id': '4984', 'established': True},
    ]
    assert 'other' not in st


def test_real_leader_and_follower_views_agree():
    leader = parse_cluster_status(load('real_nb3_leader'))
    follower = parse_cluster_status(load('real_nb3_follower'))
    assert leader['role'] == 'leader' and follower['role'] == 'follower'
    assert follower['leader_id'] == leader['server_id']
    assert follower['vote'] == 'unknown'
    assert leader['cluster_id_full'] == follower['cluster_id_full']
    assert sorted(s['id'] for s in leader['servers']) == sorted(s['id'] for s in follower['servers'])
    # followers do not know next/match indexes
    assert all(s['next_index'] is None and s['match_index'] is None for s in follower['servers'])
    assert [s['self'] for s in follower['servers']].count(True) == 1
    assert len(leader['servers']) == 3
    assert all(s['match_index'] == leader['log_last_index'] for s in leader['servers'])


def test_real_member_down_has_failed_connection_and_old_message():
    st = parse_cluster_status(load('real_nb3_leader_member_down'))
    down = [c for c in st['connections'] if not c['established']]
    assert len(down) == 1 and down[0]['direction'] == 'out'
    peer = [s for s in st['servers'] if s['id'] == down[0]['server_id']][0]
    assert peer['last_msg_ms'] > 2 * st['election_timer']
    others = [s for s in st['servers'] if not s['self'] and s['id'] != peer['id']]
    assert all(s['last_msg_ms'] < st['election_timer'] for s in others)


def test_real_after_kick_two_servers():
    before = parse_cluster_status(load('real_nb3_leader'))
    after = parse_cluster_status(load('real_nb3_leader_after_kick'))
    assert len(after['servers']) == 2
    assert after['log_next_index'] > before['log_next_index']
    assert {s['id'] for s in after['servers']} < {s['id'] for s in before['servers']}


def test_real_kicked_member_is_an_error():
    with pytest.raises(RaftStatusParseError, match='unknown cluster'):
        parse_cluster_status(load('real_kicked_member'))


def test_real_joining_member():
    st = parse_cluster_status(load('real_nb_joining'))
    assert st['status'] == 'joining cluster'
    assert st['cluster_id'] is None and st['cluster_id_full'] is None
    assert st['remotes_for_joining'] == ['tcp:127.0.0.9:16643']
    assert st['leader_id'] is None and st['leader'] == 'unknown'
    assert st['servers'] == []
    assert st['connections'] == [{'direction': 'out', 'server_id': '0000', 'established': False}]


def test_real_quorum_lost_candidate():
    st = parse_cluster_status(load('real_nb3_quorum_lost'))
    assert st['role'] == 'candidate'
    assert st['leader_id'] is None
    assert st['term'] >= 2
    me = [s for s in st['servers'] if s['self']][0]
    assert me['voted_for'] == st['server_id']
    assert all(not c['established'] for c in st['connections'])
    assert st['last_election_won_ms'] is None


def test_real_new_member_follower():
    st = parse_cluster_status(load('real_nb3_new_member'))
    assert st['role'] == 'follower' and st['leader_id'] is not None
    assert st['address'] == 'tcp:127.0.0.4:16643'


def test_real_sb5_duplicate_address_visible():
    st = parse_cluster_status(load('real_sb5_dup_address'))
    assert st['name'] == 'OVN_Southbound'
    addrs = [s['address'] for s in st['servers']]
    assert len(addrs) == 6
    assert addrs.count('tcp:127.0.0.3:16644') == 2


def test_real_sb5_leader():
    st = parse_cluster_status(load('real_sb5_leader'))
    assert len(st['servers']) == 5 and st['role'] == 'leader'
    assert len({s['address'] for s in st['servers']}) == 5


def test_unknown_key_kept():
    text = load('real_nb3_leader').replace('Disconnections: 0', 'Disconnections: 0\nFuture Field: 42')
    assert parse_cluster_status(text)['other'] == {'Future Field': '42'}


@pytest.mark.parametrize('text, match', [
    ('', 'empty input'),
    ('   \n\n', 'empty input'),
    ('hello world', 'starts with "Name: <database>"'),
    ('ovs-appctl: cannot connect to "/var/run/ovn/ovnnb_db.ctl" (No such file or directory)', 'starts with "Name:'),
    ('unknown database', 'not \\(or no longer\\) part'),
    ('Name: OVN_Northbound\nRole: leader\n', 'missing server_id, status'),
    ('Name: X\nServer ID: zz\n', 'Server ID'),
    ('Name: X\nTerm: many\n', 'Term is \'many\''),
    ('Name: X\nLog: 1 2\n', 'Log'),
    ('Name: X\nConnections: ~>ab12\n', 'connection'),
    ('Name: X\nServers:\n    garbage here\n', 'Servers:'),
    ('Name: X\nServers:\n    ab12 (ab12 at tcp:1.2.3.4:6643) wat\n', "unexpected text 'wat'"),
    ('Name: X\nno colon here\n', 'Key: value'),
])
def test_errors(text, match):
    with pytest.raises(RaftStatusParseError, match=match):
        parse_cluster_status(text)


def test_non_string():
    with pytest.raises(RaftStatusParseError, match='got dict'):
        parse_cluster_status({})


def test_leader_not_in_servers_is_refused():
    text = load('real_nb3_follower').replace('Leader: d133', 'Leader: beef')
    with pytest.raises(RaftStatusParseError, match='Leader beef is not in the Servers list'):
        parse_cluster_status(text)


def test_connections_listed_flag():
    assert parse_cluster_status(load('real_nb3_leader'))['connections_listed'] is True
    text = '\n'.join(ln for ln in load('real_nb3_leader').splitlines() if not ln.startswith('Connections:'))
    assert parse_cluster_status(text)['connections_listed'] is False
