# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Round trips of the OVS dump parsers (plugins/module_utils/_ovs.py): parse -> render -> parse
is the identity, on the recorded OVS 3.1 dumps and on generated flows, groups, meters and TLV
maps, rendered the way ovs-ofctl prints them (with statistics, reply headers, meter bands on
their own lines) and the way the module saves them (canonical files)."""

from __future__ import annotations

import os

from hypothesis import given, settings, strategies as st

from ansible_collections.cni.ovs.plugins.module_utils._ovs import (
    FLOW_FLAGS,
    BridgeState,
    Flow,
    format_tlv_map,
    parse_flow_line,
    parse_flows,
    parse_groups,
    parse_meters,
    parse_tlv_map,
)

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'unit', 'plugins', 'module_utils', 'fixtures', 'ovs')
SETTINGS = settings(max_examples=150, deadline=None)


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def flow_texts(flows):
    return [f.line() for f in flows]


# ------------------------------------------------------------------ recorded dumps

def test_recorded_flows_round_trip():
    for name in ('dump-flows.of15.txt', 'dump-flows-stats.of15.txt', 'dump-flows-standalone-default.of15.txt'):
        flows = parse_flows(fixture(name))
        assert flows, name
        again = parse_flows('\n'.join(flow_texts(flows)))
        assert flow_texts(again) == flow_texts(flows), name


def test_recorded_stats_and_plain_dumps_parse_to_the_same_flows():
    # the same table dumped with and without --no-stats
    assert sorted(flow_texts(parse_flows(fixture('dump-flows-stats.of15.txt')))) == \
        sorted(flow_texts(parse_flows(fixture('dump-flows.of15.txt'))))


def test_recorded_groups_meters_tlv_round_trip():
    groups = parse_groups(fixture('dump-groups.of15.txt'))
    assert [g.group_id for g in groups] == [1, 2, 3, 8]
    assert [g.text for g in parse_groups('\n'.join(g.text for g in groups))] == [g.text for g in groups]
    for name in ('dump-meters.of15.txt', 'dump-meters.of13.txt'):
        meters = parse_meters(fixture(name))
        assert [m.meter_id for m in meters] == [1, 2]
        assert [m.text for m in parse_meters('\n'.join(m.text for m in meters))] == [m.text for m in meters]
    tlv = parse_tlv_map(fixture('dump-tlv-map.of15.txt'))
    assert len(tlv) == 2 and parse_tlv_map(format_tlv_map(tlv)) == tlv
    assert parse_tlv_map(fixture('dump-tlv-map-empty.of15.txt')) == [] == parse_tlv_map(format_tlv_map([]))


def test_recorded_bridge_state_canonical_files_round_trip():
    state = BridgeState.from_dumps(fixture('dump-flows.of15.txt'), fixture('dump-groups.of15.txt'),
                                   fixture('dump-meters.of15.txt'), fixture('dump-tlv-map.of15.txt'))
    canon = state.canonical()
    again = BridgeState.from_dumps(canon['flows'], canon['groups'], canon['meters'], canon['tlv'])
    assert again == state and again.canonical() == canon and again.counts() == state.counts()


# ------------------------------------------------------------------ generated

u8 = st.integers(min_value=0, max_value=254)
u16 = st.integers(min_value=0, max_value=65535)
port = st.integers(min_value=1, max_value=65279)
ipv4 = st.tuples(u8, u8, u8, u8).map(lambda t: '%d.%d.%d.%d' % t)
mac = st.lists(st.integers(min_value=0, max_value=255), min_size=6, max_size=6).map(lambda b: ':'.join('%02x' % x for x in b))

match_part = st.one_of(
    st.builds(lambda p: 'in_port=%d' % p, port),
    st.builds(lambda a, n: 'ip,nw_dst=%s/%d' % (a, n), ipv4, st.integers(min_value=1, max_value=32)),
    st.builds(lambda a: 'ip,nw_src=%s' % a, ipv4),
    st.builds(lambda p: 'tcp,tp_dst=%d' % p, port),
    st.builds(lambda p: 'udp,tp_src=%d' % p, port),
    st.just('arp'),
    st.builds(lambda m: 'dl_dst=%s' % m, mac),
    st.builds(lambda v: 'tun_metadata0=0x%x' % v, st.integers(min_value=0, max_value=2 ** 32 - 1)),
    st.builds(lambda v: 'reg0=0x%x' % v, st.integers(min_value=0, max_value=2 ** 32 - 1)),
    st.builds(lambda v: 'metadata=0x%x' % v, st.integers(min_value=0, max_value=2 ** 64 - 1)),
)
action = st.one_of(
    st.builds(lambda p: 'output:%d' % p, port),
    st.builds(lambda g: 'group:%d' % g, st.integers(min_value=1, max_value=2 ** 31)),
    st.builds(lambda m, p: 'meter:%d,output:%d' % (m, p), st.integers(min_value=1, max_value=1000), port),
    st.builds(lambda t: 'resubmit(,%d)' % t, u8),
    st.builds(lambda t: 'goto_table:%d' % t, st.integers(min_value=1, max_value=254)),
    st.builds(lambda m: 'mod_dl_dst:%s' % m, mac),
    st.builds(lambda z: 'ct(commit,zone=%d)' % z, u16),
    st.just('NORMAL'), st.just('drop'), st.just('CONTROLLER:65535'),
    st.builds(lambda v: 'write_metadata:0x%x/0xff,goto_table:%d' % (v, 1), st.integers(min_value=0, max_value=255)),
)


@st.composite
def flows(draw):
    parts = draw(st.lists(match_part, max_size=3, unique=True))
    actions = draw(st.lists(action, min_size=1, max_size=3))
    if 'drop' in actions and len(actions) > 1:
        actions = [a for a in actions if a != 'drop'] or ['drop']
    return Flow(table=draw(u8), priority=draw(u16), match=','.join(parts), cookie=draw(st.integers(min_value=0, max_value=2 ** 64 - 1)),
                idle_timeout=draw(u16), hard_timeout=draw(u16), importance=draw(u16),
                flags=draw(st.lists(st.sampled_from(FLOW_FLAGS), unique=True)), actions=','.join(actions))


def ofctl_dump_line(flow, stats):
    """A flow as ``ovs-ofctl dump-flows`` prints it (with or without --no-stats)."""
    head = []
    if flow.cookie or stats:
        head.append('cookie=0x%x' % flow.cookie)
    if stats:
        head.append('duration=12.345s')
    if flow.table or stats:
        head.append('table=%d' % flow.table)
    if stats:
        head += ['n_packets=7', 'n_bytes=420']
    for key in ('idle_timeout', 'hard_timeout', 'importance'):
        if getattr(flow, key):
            head.append('%s=%d' % (key, getattr(flow, key)))
    head += list(flow.flags)
    if stats:
        head += ['idle_age=3', 'hard_age=4']
    text = ' ' + ', '.join(head) + (', ' if head else '')
    match = 'priority=%d' % flow.priority + (',' + flow.match if flow.match else '')
    return text + match + ' actions=' + flow.actions


@SETTINGS
@given(st.lists(flows(), max_size=20), st.booleans())
def test_generated_flows_round_trip(generated, stats):
    dump = 'OFPST_FLOW reply (OF1.5) (xid=0x2):\n' + '\n'.join(ofctl_dump_line(f, stats) for f in generated) + '\n'
    parsed = parse_flows(dump)
    assert flow_texts(parsed) == flow_texts(generated)
    again = parse_flows('\n'.join(flow_texts(parsed)))
    assert flow_texts(again) == flow_texts(parsed)
    for flow in parsed:
        assert parse_flow_line(flow.line()) == flow
        assert parse_flow_line(flow.line()).key == flow.key


bucket = st.builds(lambda i, w, a: 'bucket=bucket_id:%d,weight:%d,actions=%s' % (i, w, a),
                   st.integers(min_value=0, max_value=100), st.integers(min_value=1, max_value=100), action)


@st.composite
def groups(draw):
    ids = draw(st.lists(st.integers(min_value=0, max_value=2 ** 32 - 257), unique=True, max_size=8))
    kinds = st.sampled_from(['all', 'select', 'indirect', 'ff'])
    return ['group_id=%d,type=%s,%s' % (i, draw(kinds), ','.join(draw(st.lists(bucket, min_size=1, max_size=3)))) for i in ids]


@SETTINGS
@given(groups())
def test_generated_groups_round_trip(texts):
    dump = 'OFPST_GROUP_DESC reply (OF1.5) (xid=0x2):\n' + ''.join(' %s\n' % t for t in texts)
    parsed = parse_groups(dump)
    assert sorted(g.text for g in parsed) == sorted(texts)
    assert [g.group_id for g in parsed] == sorted(g.group_id for g in parsed)
    again = parse_groups('\n'.join(g.text for g in parsed))
    assert again == parsed


band = st.one_of(st.builds(lambda r: 'type=drop rate=%d' % r, st.integers(min_value=1, max_value=10 ** 9)),
                 st.builds(lambda r, b: 'type=drop rate=%d burst_size=%d' % (r, b), st.integers(min_value=1, max_value=10 ** 9),
                           st.integers(min_value=1, max_value=10 ** 6)),
                 st.builds(lambda r, p: 'type=dscp_remark rate=%d prec_level=%d' % (r, p), st.integers(min_value=1, max_value=10 ** 6),
                           st.integers(min_value=1, max_value=63)))


@st.composite
def meters(draw):
    ids = draw(st.lists(st.integers(min_value=1, max_value=2 ** 32 - 65536), unique=True, max_size=6))
    result = []
    for meter_id in ids:
        unit = draw(st.sampled_from(['kbps', 'pktps']))
        flags = draw(st.lists(st.sampled_from(['burst', 'stats']), unique=True))
        result.append((meter_id, ' '.join([unit] + sorted(flags)), draw(st.lists(band, min_size=1, max_size=3))))
    return result


@SETTINGS
@given(meters())
def test_generated_meters_round_trip(generated):
    # dump-meters prints the bands on their own lines, after "bands=", one blank line between meters
    dump = 'OFPST_METER_CONFIG reply (OF1.5) (xid=0x2):\n' + '\n'.join(
        'meter=%d %s bands=\n%s\n' % (i, head, '\n'.join(bands)) for i, head, bands in generated)
    parsed = parse_meters(dump)
    assert [m.meter_id for m in parsed] == sorted(i for i, _h, _b in generated)
    for meter in parsed:
        i, head, bands = [g for g in generated if g[0] == meter.meter_id][0]
        assert meter.text == 'meter=%d %s bands=%s' % (i, head, ' '.join(bands))
    again = parse_meters('\n'.join(m.text for m in parsed))
    assert again == parsed


@st.composite
def tlv_maps(draw):
    fields = draw(st.lists(st.integers(min_value=0, max_value=63), unique=True, max_size=8))
    return [(draw(st.integers(min_value=0, max_value=0xffff)), draw(st.integers(min_value=0, max_value=0xff)),
             draw(st.sampled_from([4, 8, 12, 124])), 'tun_metadata%d' % f) for f in fields]


@SETTINGS
@given(tlv_maps())
def test_generated_tlv_maps_round_trip(rows):
    dump = ('NXT_TLV_TABLE_REPLY (OF1.5) (xid=0x2):\n max option space=256 max fields=64\n allocated option space=0\n\n'
            ' mapping table:\n  class  type  length  match field\n ------  ----  ------  --------------\n'
            + ''.join(' %#6x %#5x %7d  %s\n' % row for row in rows))
    parsed = parse_tlv_map(dump)
    assert sorted((m.opt_class, m.opt_type, m.length, m.field) for m in parsed) == sorted(rows)
    again = parse_tlv_map(format_tlv_map(parsed))
    assert again == parsed


@SETTINGS
@given(st.lists(flows(), max_size=10, unique_by=lambda f: f.key), groups(), meters(), tlv_maps())
def test_generated_bridge_state_canonical_files_round_trip(fl, gr, me, tl):
    state = BridgeState(fl, parse_groups('\n'.join(gr)),
                        parse_meters('\n'.join('meter=%d %s bands=%s' % (i, h, ' '.join(b)) for i, h, b in me)),
                        parse_tlv_map(','.join('{class=%#x,type=%#x,len=%d}->%s' % r for r in tl)))
    canon = state.canonical()
    again = BridgeState.from_dumps(canon['flows'], canon['groups'], canon['meters'], canon['tlv'])
    assert again == state and again.counts() == state.counts() and again.canonical() == canon
