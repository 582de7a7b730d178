# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import copy
import os

import pytest

from ansible_collections.cni.ovs.plugins.module_utils._raft import parse_cluster_status
from ansible_collections.cni.ovs.plugins.module_utils._raft_health import (
    RaftInputError, address_matches, assess_health, caught_up, find_servers, normalize_server_id,
    parse_address, parse_server_row, plan_join, plan_removal, removal_done, resolve_db,
)

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'raft')


def st(name):
    with open(os.path.join(FIX, name + '.txt')) as f:
        return parse_cluster_status(f.read())


def raw(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


# ---- validation -------------------------------------------------------------
@pytest.mark.parametrize('db, name, ctl', [
    ('nb', 'OVN_Northbound', '/var/run/ovn/ovnnb_db.ctl'),
    ('SB', 'OVN_Southbound', '/var/run/ovn/ovnsb_db.ctl'),
    ('OVN_Northbound', 'OVN_Northbound', '/var/run/ovn/ovnnb_db.ctl'),
    ('OVN_IC_Northbound', 'OVN_IC_Northbound', None),
])
def test_resolve_db(db, name, ctl):
    info = resolve_db(db)
    assert (info['name'], info['ctl']) == (name, ctl)


@pytest.mark.parametrize('db', ['', 'no such', 'nb;rm', None, '1abc'])
def test_resolve_db_rejects(db):
    with pytest.raises(RaftInputError):
        resolve_db(db)


@pytest.mark.parametrize('value, expected', [
    ('1b9a', ('1b9a', None)),
    (' D64B ', ('d64b', None)),
    ('1b9a5d76-e69b-410c-8085-39943d0cd38c', ('1b9a', '1b9a5d76-e69b-410c-8085-39943d0cd38c')),
])
def test_server_id_ok(value, expected):
    assert normalize_server_id(value) == expected


@pytest.mark.parametrize('value', ['1b9', '1b9a5', 'xyz1', '1b9a5d76', '1b9a5d76-e69b-410c-8085-39943d0cd38', '', 1234])
def test_server_id_bad(value):
    with pytest.raises(RaftInputError):
        normalize_server_id(value)


@pytest.mark.parametrize('value, proto, ip, port', [
    ('tcp:[172.18.0.3]:6643', 'tcp', '172.18.0.3', 6643),
    ('tcp:127.0.0.1:16643', 'tcp', '127.0.0.1', 16643),
    ('ssl:[fd00::1]:6644', 'ssl', 'fd00::1', 6644),
    ('172.18.0.5', None, '172.18.0.5', None),
    ('[fd00::5]', None, 'fd00::5', None),
    ('fd00::5', None, 'fd00::5', None),
])
def test_parse_address(value, proto, ip, port):
    a = parse_address(value)
    assert (a['proto'], str(a['ip']), a['port']) == (proto, ip, port)


@pytest.mark.parametrize('value', ['300.1.2.3', 'udp:1.2.3.4:5', 'tcp:1.2.3.4:0', 'tcp:1.2.3.4:70000', 'tcp:host.example:6643', '', 'a:b:c:z', None])
def test_parse_address_bad(value):
    with pytest.raises(RaftInputError):
        parse_address(value)


def test_address_matches_bracketed_and_bare():
    assert address_matches(parse_address('172.18.0.5'), 'tcp:[172.18.0.5]:6643')
    assert address_matches(parse_address('tcp:172.18.0.5:6643'), 'tcp:[172.18.0.5]:6643')
    assert not address_matches(parse_address('tcp:172.18.0.5:6644'), 'tcp:[172.18.0.5]:6643')
    assert not address_matches(parse_address('172.18.0.50'), 'tcp:[172.18.0.5]:6643')


# ---- _Server rows (recorded) ---------------------------------------------------
def test_server_rows_recorded():
    lead = parse_server_row(raw('real_server_rows_leader.json'), 'OVN_Northbound')
    fol = parse_server_row(raw('real_server_rows_follower.json'), 'OVN_Northbound')
    ls = st('real_nb3_rows_leader_status')
    fs = st('real_nb3_rows_follower_status')
    assert lead['leader'] is True and fol['leader'] is False
    assert lead['model'] == fol['model'] == 'clustered'
    assert lead['connected'] and fol['connected']
    assert lead['cid'] == fol['cid'] == ls['cluster_id_full']
    assert lead['sid'] == ls['server_id_full'] and fol['sid'] == fs['server_id_full']
    assert isinstance(lead['index'], int)
    assert parse_server_row(raw('real_server_rows_leader.json'), 'OVN_Southbound') is None
    srv = parse_server_row(raw('real_server_rows_leader.json'), '_Server')
    assert srv['cid'] is None and srv['sid'] is None


@pytest.mark.parametrize('text', ['not json', '{}', '[]', '[{"error": "syntax error", "details": "x"}]'])
def test_server_rows_bad(text):
    with pytest.raises(RaftInputError):
        parse_server_row(text, 'OVN_Northbound')


# ---- health verdicts on recorded outputs ---------------------------------------
def test_health_healthy_leader_real():
    h = assess_health(st('real_sb5_leader'), expected_addresses=['127.0.0.%d' % i for i in range(1, 6)])
    assert h['healthy'], h['problems']
    assert (h['judged_on'], h['members'], h['quorum'], h['can_lose']) == ('leader', 5, 3, 2)
    assert sorted(h['connected_members']) == ['08a4', '4603', '5cd8', '731d', 'aa4a']
    assert h['stale_members'] == [] and h['duplicate_addresses'] == [] and h['unexpected_members'] == []


def test_health_seed_leader_with_expected_node_ips():
    h = assess_health(st('seed_nb_leader'), expected_addresses=['172.18.0.3', '172.18.0.4'])
    assert [u['id'] for u in h['unexpected_members']] == ['d64b']
    assert h['can_lose'] == 1 and not h['healthy']


def test_health_member_down_real():
    h = assess_health(st('real_nb3_leader_member_down'))
    assert h['unreachable_members'] == ['4b25']
    assert h['stale_members'] == ['4b25']          # 3027 ms > 3 x 1000 ms
    assert h['can_lose'] == 0
    assert not h['healthy']
    h = assess_health(st('real_nb3_leader_member_down'), stale_factor=4)
    assert h['stale_members'] == [] and h['unreachable_members'] == ['4b25']


def test_health_duplicate_address_real():
    h = assess_health(st('real_sb5_dup_address'))
    assert h['duplicate_addresses'] == [{'address': 'tcp:127.0.0.3:16644', 'ids': ['aa4a', 'a75e']}]
    assert h['stale_members'] == ['aa4a']
    assert (h['members'], h['quorum'], h['can_lose']) == (6, 4, 1)


def test_health_follower_cannot_judge_real():
    h = assess_health(st('real_nb3_follower'))
    assert h['judged_on'] == 'follower'
    assert h['has_leader'] and h['leader_id'] == 'd133'
    assert h['can_lose'] is None and h['connected_members'] is None and h['stale_members'] is None
    assert len(h['cannot_judge']) == 2
    assert h['healthy']


def test_health_quorum_lost_real():
    h = assess_health(st('real_nb3_quorum_lost'))
    assert not h['has_leader']
    assert h['judged_on'] == 'disconnected from the cluster (election timeout)'
    assert any('no leader' in p for p in h['problems'])


def test_health_joining_real():
    h = assess_health(st('real_nb_joining'))
    assert not h['healthy'] and h['members'] == 0 and h['quorum'] is None


def test_health_uncommitted_and_server_row():
    s = st('real_nb3_leader')
    s['entries_not_committed'] = 3
    h = assess_health(s, server_row={'connected': False, 'leader': False})
    assert any('3 log entries' in p for p in h['problems'])
    assert any('not connected' in p for p in h['problems'])
    assert any('disagree' in p for p in h['problems'])


# ---- targets -----------------------------------------------------------------
def test_find_servers_by_id_and_address():
    s = st('seed_nb_leader')
    assert [x['id'] for x in find_servers(s, server_id='d64b')] == ['d64b']
    assert [x['id'] for x in find_servers(s, address='172.18.0.5')] == ['d64b']
    assert find_servers(s, address='172.18.0.9') == []
    assert [x['id'] for x in find_servers(st('real_sb5_dup_address'), address='127.0.0.3')] == ['aa4a', 'a75e']
    # full id of the answering server must match in full
    assert find_servers(s, server_id='1b9a5d76-e69b-410c-8085-39943d0cd38c')[0]['id'] == '1b9a'
    assert find_servers(s, server_id='1b9a0000-0000-0000-0000-000000000000') == []


# ---- removal plans -------------------------------------------------------------
@pytest.mark.parametrize('fixture, target, local, method, action', [
    ('seed_nb_leader', 'd64b', '1b9a', 'auto', 'kick'),          # seed 002: kick d64b from the leader
    ('seed_nb_leader', '1b9a', '1b9a', 'auto', 'leave'),         # the leader removes itself
    ('seed_nb_leader', '1b9a', '1b9a', 'kick', 'kick'),
    ('seed_nb_leader', 'd64b', '1b9a', 'leave', 'refuse'),       # leave needs the target's own socket
    ('seed_nb_leader', 'ffff', '1b9a', 'auto', 'none'),          # already absent
    ('real_nb3_leader_member_down', '4b25', 'd133', 'auto', 'kick'),    # remove the member that is down
    ('real_nb3_leader_member_down', 'a5a0', 'd133', 'auto', 'refuse'),  # kick a live one while another is down
    ('real_sb5_leader', '08a4', '731d', 'auto', 'kick'),
    ('real_sb5_dup_address', 'aa4a', '731d', 'auto', 'kick'),            # stale entry at a reused address
    ('real_nb3_follower', 'd133', 'a5a0', 'auto', 'refuse'),             # no leader view
    ('real_nb3_quorum_lost', 'a5a0', 'd133', 'auto', 'refuse'),
])
def test_plan_removal(fixture, target, local, method, action):
    plan = plan_removal(st(fixture), target, local_id=local, method=method)
    assert plan['action'] == action, plan['reason']


def test_plan_removal_refuses_uncommitted_and_last_member():
    s = st('seed_nb_leader')
    s['entries_not_committed'] = 1
    assert 'not yet committed' in plan_removal(s, 'd64b')['reason']
    one = st('seed_nb_after_kick')
    one['servers'] = [x for x in one['servers'] if x['self']]
    assert 'last member' in plan_removal(one, '1b9a')['reason']


def test_plan_removal_five_with_two_down():
    s = st('real_sb5_leader')
    for x in s['servers']:
        if x['id'] in ('08a4', '5cd8'):
            x['last_msg_ms'] = 5000
    assert plan_removal(s, 'aa4a')['action'] == 'refuse'   # 2 of 4 remaining connected, majority 3
    assert plan_removal(s, '08a4')['action'] == 'kick'     # 3 of 4 remaining connected


def test_removal_done():
    assert removal_done(st('real_nb3_leader_after_kick'), '4b25')
    assert not removal_done(st('real_nb3_leader'), '4b25')
    assert removal_done(st('seed_nb_after_kick'), 'd64b')
    assert not removal_done(st('seed_nb_after_kick'), '1b9a')        # the leader itself is the target
    assert not removal_done(st('real_nb3_quorum_lost'), 'ffff')        # no leader
    s = st('real_nb3_leader_after_kick')
    s['entries_not_committed'] = 1
    assert not removal_done(s, '4b25')
    assert not removal_done(None, '4b25')


# ---- join plans ------------------------------------------------------------------
def test_plan_join_new_address():
    plan = plan_join(st('real_nb3_leader'), 'tcp:127.0.0.4:16643')
    assert plan['action'] == 'join' and plan['remove'] == [] and not plan['wipe']


def test_plan_join_old_address_needs_remove_stale():
    s = st('real_nb3_leader_member_down')   # 4b25 at 127.0.0.3 is down
    plan = plan_join(s, 'tcp:127.0.0.3:16643')
    assert plan['action'] == 'refuse' and '4b25' in plan['reason'] and 'remove_stale' in plan['reason']
    plan = plan_join(s, 'tcp:127.0.0.3:16643', remove_stale=True)
    assert plan['action'] == 'join' and plan['remove'] == ['4b25']


def test_plan_join_refuses_degraded_cluster():
    plan = plan_join(st('real_nb3_leader_member_down'), 'tcp:127.0.0.4:16643')
    assert plan['action'] == 'refuse' and 'connected' in plan['reason']


def test_plan_join_already_member_and_duplicates():
    lead = st('real_sb5_dup_address')
    new = {'server_id': 'a75e', 'cluster_id_full': lead['cluster_id_full'], 'status': 'cluster member'}
    plan = plan_join(lead, 'tcp:127.0.0.3:16644', new)
    assert plan['action'] == 'refuse' and plan['remove'] == ['aa4a']
    plan = plan_join(lead, 'tcp:127.0.0.3:16644', new, remove_stale=True)
    assert plan['action'] == 'none' and plan['remove'] == ['aa4a']
    ok = plan_join(st('real_sb5_leader'), 'tcp:127.0.0.3:16644', dict(new, server_id='aa4a'))
    assert ok['action'] == 'none' and ok['remove'] == []


def test_plan_join_stale_file_and_running_stale_server():
    lead = st('real_nb3_leader')
    plan = plan_join(lead, 'tcp:127.0.0.4:16643', db_file_exists=True, db_file_sid='4b25ffff-0000-0000-0000-000000000000')
    assert plan['action'] == 'refuse' and 'wipe_stale_db' in plan['reason']
    plan = plan_join(lead, 'tcp:127.0.0.4:16643', db_file_exists=True, db_file_sid='4b25ffff-0000-0000-0000-000000000000', wipe_stale_db=True)
    assert plan['action'] == 'join' and plan['wipe']
    zombie = {'server_id': '9999', 'status': 'disconnected from the cluster (election timeout)', 'cluster_id_full': lead['cluster_id_full']}
    plan = plan_join(lead, 'tcp:127.0.0.4:16643', zombie, wipe_stale_db=True)
    assert plan['action'] == 'refuse' and 'campaigns forever' in plan['reason']


def test_plan_join_member_down_restart():
    lead = st('real_nb3_leader_member_down')
    plan = plan_join(lead, 'tcp:127.0.0.3:16643', db_file_exists=True, db_file_sid='4b25aaaa-0000-0000-0000-000000000000',
                     db_file_cid=lead['cluster_id_full'])
    assert plan['action'] == 'start' and plan['remove'] == []


def test_plan_join_joining_and_no_leader():
    joining = st('real_nb_joining')
    assert plan_join(st('real_nb3_leader'), 'tcp:127.0.0.5:16643', joining)['action'] == 'wait'
    assert plan_join(st('real_nb3_follower'), 'tcp:127.0.0.5:16643')['action'] == 'refuse'
    with pytest.raises(RaftInputError):
        plan_join(st('real_nb3_leader'), '127.0.0.5')


def test_caught_up():
    new = st('real_nb3_new_member')           # Log [2, 7]
    assert caught_up(new, 7)
    assert not caught_up(new, 8)
    assert not caught_up(st('real_nb_joining'), 1)
    lagging = copy.deepcopy(new)
    lagging['entries_not_applied'] = 2
    assert not caught_up(lagging, 7)
