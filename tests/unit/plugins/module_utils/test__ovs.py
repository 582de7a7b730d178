# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the OVS core on outputs recorded from a real ovs-vswitchd 3.1 (fixtures/ovs)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.cni.ovs.plugins.module_utils import _ovs

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'ovs')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def rich_state(flows='dump-flows.of15.txt', meters='dump-meters.of15.txt'):
    return _ovs.BridgeState.from_dumps(fixture(flows), fixture('dump-groups.of15.txt'), fixture(meters),
                                       fixture('dump-tlv-map.of15.txt'))


def empty_state():
    return _ovs.BridgeState.from_dumps('', fixture('dump-groups-empty.of15.txt'), fixture('dump-meters-empty.of15.txt'),
                                       fixture('dump-tlv-map-empty.of15.txt'))


# ----------------------------------------------------------------------- flows

def test_parse_flows_counts_every_line_of_the_recorded_dump():
    text = fixture('dump-flows.of15.txt')
    flows = _ovs.parse_flows(text)
    body = [line for line in text.splitlines() if line.startswith(' ')]
    assert len(flows) == len(body) == 40
    assert sorted(set(f.table for f in flows)) == [0, 1, 2]


@pytest.mark.parametrize('line, expected', [
    (' actions=drop', dict(table=0, priority=32768, match='', cookie=0, actions='drop')),
    (' table=1, actions=output:1', dict(table=1, priority=32768, match='', actions='output:1')),
    (' cookie=0xabc, priority=800,in_port=7 actions=meter:2,group:1',
     dict(table=0, priority=800, match='in_port=7', cookie=0xabc, actions='meter:2,group:1')),
    (' idle_timeout=3600, hard_timeout=7200, send_flow_rem importance=5, priority=10,arp actions=NORMAL',
     dict(priority=10, match='arp', idle_timeout=3600, hard_timeout=7200, importance=5, flags=('send_flow_rem',))),
    (' cookie=0x77, table=2, hard_timeout=120, check_overlap reset_counts priority=7,ip,nw_ttl=1 actions=controller(reason=invalid_ttl)',
     dict(table=2, priority=7, match='ip,nw_ttl=1', cookie=0x77, flags=('check_overlap', 'reset_counts'),
          actions='controller(reason=invalid_ttl)')),
    (' priority=1000,tun_metadata0=0x1234 actions=meter:1,goto_table:1',
     dict(priority=1000, match='tun_metadata0=0x1234', actions='meter:1,goto_table:1')),
    (' cookie=0x0, duration=4.168s, table=0, n_packets=3, n_bytes=0, idle_age=4, priority=900,ip,in_port=1,nw_src=10.0.0.0/8 '
     'actions=write_metadata:0x5/0xff,goto_table:1',
     dict(priority=900, match='ip,in_port=1,nw_src=10.0.0.0/8', actions='write_metadata:0x5/0xff,goto_table:1')),
])
def test_parse_flow_line_fields(line, expected):
    flow = _ovs.parse_flow_line(line)
    for name, value in expected.items():
        assert getattr(flow, name) == value, name


def test_stats_dump_and_no_stats_dump_are_the_same_state():
    with_stats = _ovs.parse_flows(fixture('dump-flows-stats.of15.txt'))
    without = _ovs.parse_flows(fixture('dump-flows.of15.txt'))
    assert sorted(f.line() for f in with_stats) == sorted(f.line() for f in without)


def test_canonical_line_parses_back_to_the_same_flow():
    for flow in _ovs.parse_flows(fixture('dump-flows.of15.txt')):
        again = _ovs.parse_flow_line(flow.line())
        assert again == flow
        assert again.key == flow.key


@pytest.mark.parametrize('line', [
    ' priority=5,ip',                         # no actions
    ' bogus=1, priority=5,ip actions=drop',   # unknown field
    ' table=x, priority=5 actions=drop',      # bad number
    ' priority=5,ip extra actions=drop',      # two match tokens
])
def test_parse_flow_line_rejects(line):
    with pytest.raises(_ovs.OvsParseError):
        _ovs.parse_flow_line(line)


# ----------------------------------------------------------------------- groups

def test_parse_groups_sorted_with_chain_references():
    groups = _ovs.parse_groups(fixture('dump-groups.of15.txt'))
    assert [g.group_id for g in groups] == [1, 2, 3, 8]
    refs = dict((g.group_id, sorted(g.refs)) for g in groups)
    assert refs == {1: [2], 2: [], 3: [1], 8: []}
    assert _ovs.parse_groups(fixture('dump-groups-empty.of15.txt')) == []


def test_order_groups_puts_chained_groups_first():
    ordered = [g.group_id for g in _ovs.order_groups(_ovs.parse_groups(fixture('dump-groups.of15.txt')))]
    assert ordered.index(2) < ordered.index(1) < ordered.index(3)
    assert sorted(ordered) == [1, 2, 3, 8]


def test_order_groups_rejects_loops_and_dangling_references():
    loop = [_ovs.Group('group_id=1,type=indirect,bucket=actions=group:2'),
            _ovs.Group('group_id=2,type=indirect,bucket=actions=group:1')]
    with pytest.raises(_ovs.OvsPlanError, match='loops'):
        _ovs.order_groups(loop)
    with pytest.raises(_ovs.OvsPlanError, match='not saved'):
        _ovs.order_groups([_ovs.Group('group_id=1,type=indirect,bucket=actions=group:9')])
    chained = [_ovs.Group('group_id=1,type=indirect,bucket=actions=group:9')]
    assert [g.group_id for g in _ovs.order_groups(chained, existing_ids=[9])] == [1]


# ----------------------------------------------------------------------- meters

def test_parse_meters_joins_band_lines_into_add_meter_syntax():
    meters = _ovs.parse_meters(fixture('dump-meters.of15.txt'))
    assert [m.text for m in meters] == ['meter=1 kbps burst stats bands=type=drop rate=1000 burst_size=100',
                                        'meter=2 pktps bands=type=drop rate=500']
    assert _ovs.parse_meters(fixture('dump-meters.of13.txt')) == meters
    assert _ovs.parse_meters('\n'.join(m.text for m in meters)) == meters
    assert _ovs.parse_meters(fixture('dump-meters-empty.of15.txt')) == []


def test_parse_meters_two_bands():
    meters = _ovs.parse_meters('OFPST_METER_CONFIG reply (OF1.5) (xid=0x2):\nmeter=3 kbps bands=\ntype=drop rate=2000\ntype=drop rate=1000\n')
    assert meters[0].text == 'meter=3 kbps bands=type=drop rate=2000 type=drop rate=1000'


def test_parse_meters_rejects_garbage():
    with pytest.raises(_ovs.OvsParseError):
        _ovs.parse_meters('type=drop rate=1\n')
    with pytest.raises(_ovs.OvsParseError):
        _ovs.parse_meters('meter=1 kbps bands=\nsomething else\n')


# ---------------------------------------------------------------------- TLV map

def test_parse_tlv_map_and_round_trip():
    tlv = _ovs.parse_tlv_map(fixture('dump-tlv-map.of15.txt'))
    text = _ovs.format_tlv_map(tlv)
    assert text == '{class=0xffff,type=0x80,len=4}->tun_metadata0,{class=0x102,type=0x1,len=8}->tun_metadata1'
    assert _ovs.parse_tlv_map(text) == tlv
    assert _ovs.parse_tlv_map(fixture('dump-tlv-map-empty.of15.txt')) == []
    assert _ovs.parse_tlv_map('') == []


def test_parse_tlv_map_rejects_unexpected_output():
    with pytest.raises(_ovs.OvsParseError):
        _ovs.parse_tlv_map('ovs-ofctl: something went wrong\n')


# ------------------------------------------------------------ state and plan

def test_canonical_state_equal_across_dump_variants():
    assert rich_state() == rich_state(flows='dump-flows-stats.of15.txt', meters='dump-meters.of13.txt')
    assert rich_state().counts() == {'flows': 40, 'groups': 4, 'meters': 2, 'tlv': 2}
    assert rich_state() != empty_state()


def test_plan_from_empty_switch_adds_everything_in_order():
    saved = rich_state()
    plan = _ovs.build_restore_plan(saved, empty_state())
    assert plan.summary == {'flows_add': 40, 'flows_delete': 0, 'groups_add': 4, 'groups_modify': 0, 'groups_delete': 0,
                            'meters_add': 2, 'meters_modify': 0, 'meters_delete': 0, 'tlv_add': 2, 'tlv_delete': 0}
    assert plan.tlv_add == _ovs.format_tlv_map(saved.tlv)
    assert not plan.clear_first and not plan.tlv_delete
    kinds = [line.split()[0] + ' ' + line.split()[1] for line in plan.bundle]
    # every group add comes before the first flow add
    assert kinds.index('flow add') > max(i for i, k in enumerate(kinds) if k == 'group add')
    group_order = [int(line.split('group_id=')[1].split(',')[0]) for line in plan.bundle if line.startswith('group add')]
    assert group_order.index(2) < group_order.index(1) < group_order.index(3)


def test_plan_replaces_the_standalone_default_flow():
    current = _ovs.BridgeState(_ovs.parse_flows(fixture('dump-flows-standalone-default.of15.txt')))
    plan = _ovs.build_restore_plan(rich_state(), current)
    assert 'flow delete_strict table=0, priority=0' in plan.bundle
    assert plan.summary['flows_delete'] == 1


def test_plan_of_equal_states_is_empty():
    plan = _ovs.build_restore_plan(rich_state(), rich_state(flows='dump-flows-stats.of15.txt'))
    assert plan.empty
    assert plan.bundle == []


def test_plan_adds_modifies_and_deletes_only_differences():
    saved = rich_state()
    current = rich_state()
    changed_flow = current.flows[5]
    current.flows[5] = _ovs.Flow(changed_flow.table, changed_flow.priority, changed_flow.match, actions='drop')
    removed = current.flows.pop(7)
    extra = _ovs.parse_flow_line(' table=2, priority=9,ip,nw_ttl=9 actions=drop')
    current.flows.append(extra)
    current.groups = [g for g in current.groups if g.group_id != 8] + [_ovs.Group('group_id=9,type=indirect,bucket=bucket_id:0,actions=output:1')]
    current.groups = [_ovs.Group(g.text.replace('weight:50', 'weight:10')) if g.group_id == 1 else g for g in current.groups]
    current.meters = [current.meters[0], _ovs.Meter('meter=5 pktps bands=type=drop rate=5')]
    plan = _ovs.build_restore_plan(saved, current)
    assert plan.summary['flows_add'] == 2
    assert plan.summary['flows_delete'] == 1
    assert plan.summary['groups_add'] == 1 and plan.summary['groups_modify'] == 1 and plan.summary['groups_delete'] == 1
    assert plan.meters_add == ['meter=2 pktps bands=type=drop rate=500'] and plan.meters_delete == [5]
    assert 'flow add ' + removed.line() in plan.bundle
    assert 'flow delete_strict ' + extra.match_text() in plan.bundle
    assert plan.bundle[-1] == 'group delete group_id=9'
    assert plan.tlv_add == '' and not plan.tlv_delete


def test_plan_conflicting_tlv_map_clears_first():
    saved = rich_state()
    current = rich_state()
    current.tlv = _ovs.parse_tlv_map('{class=0xffff,type=0x81,len=4}->tun_metadata0')
    plan = _ovs.build_restore_plan(saved, current)
    assert plan.clear_first and plan.tlv_delete
    assert plan.summary['flows_add'] == 40 and plan.summary['groups_add'] == 4
    assert plan.tlv_add == _ovs.format_tlv_map(saved.tlv)


def test_plan_missing_tlv_entry_is_added_without_clearing():
    saved = rich_state()
    current = rich_state()
    current.tlv = current.tlv[:1]
    plan = _ovs.build_restore_plan(saved, current)
    assert not plan.clear_first and not plan.tlv_delete
    assert plan.tlv_add == saved.tlv[1].text()


def test_plan_refuses_duplicate_saved_flows():
    saved = rich_state()
    saved.flows.append(saved.flows[0])
    with pytest.raises(_ovs.OvsPlanError):
        _ovs.build_restore_plan(saved, empty_state())


# --------------------------------------------------------------- ovs-vsctl JSON

def test_parse_bridges_highest_version():
    bridges = _ovs.parse_bridges(fixture('vsctl-list-bridge.json'))
    assert bridges['br-int']['of_version'] == 'OpenFlow15'
    assert bridges['br-int']['protocols'] == ['OpenFlow10', 'OpenFlow13', 'OpenFlow15']
    assert bridges['br-a']['protocols'] == [] and bridges['br-a']['of_version'] == 'OpenFlow15'
    single = _ovs.parse_bridges(fixture('vsctl-list-bridge-single-proto.json'))
    assert single['br-a']['protocols'] == ['OpenFlow13'] and single['br-a']['of_version'] == 'OpenFlow13'


@pytest.mark.parametrize('protocols, expected', [
    ([], 'OpenFlow15'), (['OpenFlow10'], 'OpenFlow10'), (['OpenFlow13', 'OpenFlow10', 'OpenFlow14'], 'OpenFlow14')])
def test_highest_of_version(protocols, expected):
    assert _ovs.highest_of_version(protocols) == expected


def test_parse_ofports_and_changes():
    ports = _ovs.parse_ofports(fixture('vsctl-list-interface.json'))
    assert ports['p2'] == 7 and ports['fx1'] == 1 and ports['br-int'] == 65534
    assert _ovs.ofport_changes(ports, dict(ports)) == {}
    moved = dict(ports, p2=8)
    del moved['fx1']
    assert _ovs.ofport_changes(ports, moved) == {'p2': [7, 8], 'fx1': [1, None]}


def test_parse_flow_restore_wait():
    assert _ovs.parse_flow_restore_wait(fixture('vsctl-open-vswitch-flag-true.json')) is True
    assert _ovs.parse_flow_restore_wait(fixture('vsctl-open-vswitch-empty.json')) is False
    with pytest.raises(_ovs.OvsParseError):
        _ovs.parse_flow_restore_wait('{"data":[],"headings":["other_config"]}')
    with pytest.raises(_ovs.OvsParseError):
        _ovs.parse_vsctl_json('ovs-vsctl: unix:/x: database connection failed')


# ---------------------------------------------------------------- resume logic

@pytest.mark.parametrize('manifest, running, expected', [
    (None, 10, False),
    ({'operation': 'saved', 'phase': 'saved'}, 10, False),
    ({'operation': 'restarted', 'phase': 'saved', 'old_pid': 10}, 10, False),
    ({'operation': 'restarted', 'phase': 'stopping', 'old_pid': 10}, 10, False),
    ({'operation': 'restarted', 'phase': 'stopping', 'old_pid': 10}, None, True),
    ({'operation': 'restarted', 'phase': 'stopped', 'old_pid': 10}, None, True),
    ({'operation': 'restarted', 'phase': 'started', 'old_pid': 10}, 11, True),
    ({'operation': 'restarted', 'phase': 'restoring', 'old_pid': 10}, 11, True),
    ({'operation': 'restarted', 'phase': 'done', 'old_pid': 10}, 11, False),
])
def test_decide_resume(manifest, running, expected):
    assert _ovs.decide_resume(manifest, running)[0] is expected


@pytest.mark.parametrize('name', ['', '.', '..', 'a/b', '.hidden'])
def test_safe_bridge_filename_rejects(name):
    with pytest.raises(_ovs.OvsPlanError):
        _ovs.safe_bridge_filename(name)


def test_plan_replace_all_deletes_everything_first_and_keeps_meter_and_tlv_diffs():
    saved = rich_state()
    current = _ovs.BridgeState(meters=saved.meters[:1], tlv=saved.tlv)
    plan = _ovs.build_restore_plan(saved, current, replace_all=True)
    assert plan.bundle[:2] == ['flow delete', 'group delete group_id=all']
    assert plan.summary['flows_add'] == 40 and plan.summary['groups_add'] == 4 and plan.summary['flows_delete'] == 0
    assert plan.meters_add == [saved.meters[1].text] and plan.tlv_add == ''
    assert not plan.empty
    # even an equal state is rewritten (the switch content was not dumped)
    assert not _ovs.build_restore_plan(_ovs.BridgeState(), _ovs.BridgeState(), replace_all=True).empty
