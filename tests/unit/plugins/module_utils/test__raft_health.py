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
    LivenessProof, RaftInputError, address_matches, assess_health, check_number, member_liveness, normalize_server_id,
    parse_address, parse_server_row, pick_leader, resolve_db,
)
from ansible_collections.cni.ovs.plugins.module_utils._raft_plan import (
    caught_up, find_servers, plan_join, plan_removal, removal_done, resolve_target,
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


# ---- liveness, exact targets, numbers, one leader rule (issue: raft safety) ------------------


def test_member_killed_2s_ago_under_8s_timer_is_lost_at_once():
    """Recorded: election timer 8 s, follower dc9c SIGKILLed 2 s before; its last msg (3.2 s) is within one timer."""
    s = st('real_raft_et8000_killed_2s')
    live = dict((m['id'], m) for m in member_liveness(s))
    assert live['dc9c']['last_msg_ms'] < s['election_timer']
    assert live['dc9c']['connection'] == 'down' and live['dc9c']['lost'] and not live['dc9c']['connected']
    assert live['8040']['connection'] == 'up' and live['8040']['connected']
    # removing the live follower 8040 would leave e3fa + dead dc9c: refused
    plan = plan_removal(s, '8040', local_id='e3fa')
    assert plan['action'] == 'refuse' and 'dc9c' in plan['reason']
    assert plan_removal(s, 'dc9c', local_id='e3fa')['action'] == 'kick'
    health = assess_health(s)
    assert not health['healthy'] and health['unreachable_members'] == ['dc9c']


def test_liveness_proof_needs_a_message_after_the_start():
    s = st('real_nb3_leader')           # a5a0 and 4b25 last heard 11 ms before the sample
    proof = LivenessProof(started=100.0)
    proof.add(s, sampled_at=100.005)   # heard 11 ms before 100.005: before the start
    assert proof.alive() == {'d133'} and sorted(proof.undecided()) == ['4b25', 'a5a0']
    proof.add(s, sampled_at=100.5)     # heard at ~100.489: after the start
    assert proof.alive() == {'d133', 'a5a0', '4b25'} and proof.undecided() == []
    assert plan_removal(s, '4b25', local_id='d133', alive={'d133'})['action'] == 'refuse'
    assert plan_removal(s, '4b25', local_id='d133', alive=proof.alive())['action'] == 'kick'


def test_liveness_proof_lost_is_sticky_and_a_new_leader_restarts_it():
    down = st('real_nb3_leader_member_down')
    proof = LivenessProof(started=0.0)
    proof.add(down, sampled_at=10.0)
    assert '4b25' in proof.lost
    proof.add(st('real_nb3_leader'), sampled_at=11.0)     # same leader, same term: 4b25 stays lost
    assert '4b25' in proof.lost and '4b25' not in proof.alive()
    other = st('real_nb3_leader')
    other['term'] = 2
    proof.add(other, sampled_at=12.0)
    assert proof.started == 12.0 and proof.lost == set()
    assert proof.deadline() == 12.0 + 2.0 / 3.0 + 0.5


@pytest.mark.parametrize('value, ok', [
    (5, 5.0), ('2.5', 2.5), (0, 0.0), (float('nan'), None), (float('inf'), None), (-5, None), ('abc', None),
    (True, None), ([1], None), (3601, None),
])
def test_check_number(value, ok):
    if ok is None:
        with pytest.raises(RaftInputError, match='^hold '):
            check_number('hold', value, 0.0, True, 3600.0)
    else:
        assert check_number('hold', value, 0.0, True, 3600.0) == ok


def test_resolve_target_full_ids_exact_and_ambiguous_short_ids():
    s = st('real_nb3_leader')
    a5a0 = 'a5a06094-3f23-4fd8-a366-2247601d5cf1'
    assert resolve_target(s, server_id=a5a0, known_full_ids={'a5a0': a5a0}) == {'id': 'a5a0', 'name': a5a0, 'reason': 'member %s' % a5a0}
    assert resolve_target(s, server_id='a5a0ffff-3f23-4fd8-a366-2247601d5cf1', known_full_ids={'a5a0': a5a0})['id'] is None
    with pytest.raises(RaftInputError, match='cannot be verified'):
        resolve_target(s, server_id=a5a0)
    # the answering server's own full id is in its status
    assert resolve_target(s, server_id='d1338c18-420b-4e2c-a21f-29b50a8ba9fb')['id'] == 'd133'
    assert resolve_target(s, server_id='d1338c18-420b-4e2c-a21f-29b50a8ba9fc')['id'] is None
    dup = copy.deepcopy(s)
    dup['servers'][2]['id'] = 'a5a0'
    with pytest.raises(RaftInputError, match='ambiguous'):
        resolve_target(dup, server_id='a5a0')
    assert resolve_target(s, address='127.0.0.2', known_full_ids={'a5a0': a5a0})['name'] == a5a0


def test_pick_leader_one_rule():
    lead, fol = st('real_nb3_leader'), st('real_nb3_follower')
    assert pick_leader([fol, None, lead]) == 2
    assert pick_leader([fol]) is None
    stale = copy.deepcopy(lead)
    stale['server_id'], stale['server_id_full'], stale['term'] = 'a5a0', fol['server_id_full'], 0  # a deposed leader of an older term
    assert pick_leader([stale, lead]) == 1
    twin = copy.deepcopy(lead)
    twin['server_id'], twin['server_id_full'] = 'a5a0', fol['server_id_full']  # two leaders in one term: refuse to choose
    assert pick_leader([lead, twin]) is None
    assert pick_leader([lead], cluster_id='ffff') is None


def test_pick_leader_compares_full_uuids_not_prefixes():
    lead = st('real_nb3_leader')
    cid = lead['cluster_id_full']
    assert pick_leader([lead], cluster_id=cid) == 0
    # the 4-digit prefix of the cluster id is not enough
    assert pick_leader([lead], cluster_id=cid[:4]) is None
    other_cluster = copy.deepcopy(lead)
    other_cluster['cluster_id_full'] = cid[:4] + 'ffff-ffff-ffff-ffff-ffffffffffff'  # same prefix, another cluster
    assert pick_leader([other_cluster], cluster_id=cid) is None
    assert pick_leader([lead, other_cluster]) is None                  # leaders of two clusters: refuse to choose
    assert pick_leader([other_cluster, lead], cluster_id=cid) == 1
    # two servers sharing the 4-digit prefix, both claiming the same term: two leaders, not one
    twin = copy.deepcopy(lead)
    twin['server_id_full'] = lead['server_id_full'][:4] + 'eeee-eeee-eeee-eeee-eeeeeeeeeeee'
    assert pick_leader([lead, twin]) is None
    # the same server seen through two sockets is one leader
    assert pick_leader([lead, copy.deepcopy(lead)]) == 0


def test_plan_join_starts_a_join_request_left_by_a_failed_start():
    s = st('real_nb3_leader')
    cid = s['cluster_id_full']
    plan = plan_join(s, 'tcp:127.0.0.4:16643', None, '22bdae30-60c3-4560-abfc-33d39c3d4732', cid, db_file_exists=True, db_file_fresh=True)
    assert plan['action'] == 'start' and plan['new_server_id'] == '22bd'
    # the same file that has run (not fresh) is a stale file: wipe it or refuse
    plan = plan_join(s, 'tcp:127.0.0.4:16643', None, '22bdae30-60c3-4560-abfc-33d39c3d4732', cid, db_file_exists=True)
    assert plan['action'] == 'refuse' and 'wipe_stale_db' in plan['reason']
