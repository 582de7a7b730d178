# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile inputs to the filters cidr_overlaps, mco_progress, node_ips, pods_in_error, uplink_config and
uplink_config_parse: each must answer with an AnsibleFilterError naming the filter, the parameter or field,
and the value (never a traceback, never a silently wrong result)."""

from __future__ import annotations

import copy

import pytest
from harness import assert_filter_refused

from ansible_collections.cni.ovs.plugins.filter.cidr_overlaps import cidr_overlaps
from ansible_collections.cni.ovs.plugins.filter.mco_progress import mco_progress
from ansible_collections.cni.ovs.plugins.filter.node_ips import node_ips
from ansible_collections.cni.ovs.plugins.filter.pods_in_error import pods_in_error
from ansible_collections.cni.ovs.plugins.filter.uplink_config import uplink_config
from ansible_collections.cni.ovs.plugins.filter.uplink_config_parse import uplink_config_parse

BIG = '1' * (10 * 1024 * 1024)  # a 10 MB string
NAN = float('nan')
SHELL = '$(reboot); rm -rf / `id` | tee x'
RESERVED = ['100.64.0.0/16', 'fd98::/64']
MCD = 'machineconfiguration.openshift.io/'


def _with(base, path, value):
    """A deep copy of base with the item at path (a tuple of keys/indexes) set to value."""
    obj = copy.deepcopy(base)
    cur = obj
    for key in path[:-1]:
        cur = cur[key]
    cur[path[-1]] = value
    return obj


# ---------------------------------------------------------------- pods_in_error
POD = {'metadata': {'name': 'web-1', 'namespace': 'lab-apps'}, 'spec': {'nodeName': 'lab-node-1'},
       'status': {'phase': 'Running', 'containerStatuses': [
           {'name': 'web', 'state': {'terminated': {'exitCode': 1, 'reason': 'Error'}}}]}}
CS = ('status', 'containerStatuses', 0)

PODS = [
    # (id, pods, kwargs, param, value)
    ('status-is-a-string', [_with(POD, ('status',), 'Running')], {}, 'pods[0].status', 'Running'),
    ('none-item', [None], {}, 'pods[0]', None),
    ('input-none', None, {}, 'pods', None),
    ('input-dict', {'items': []}, {}, 'pods', {'items': []}),
    ('input-string', 'web-1', {}, 'pods', 'web-1'),
    ('input-10MB', BIG, {}, 'pods', BIG),
    ('input-int', 5, {}, 'pods', 5),
    ('input-bool', True, {}, 'pods', True),
    ('metadata-list', [_with(POD, ('metadata',), ['x'])], {}, 'pods[0].metadata', ['x']),
    ('spec-string', [_with(POD, ('spec',), 'lab-node-1')], {}, 'pods[0].spec', 'lab-node-1'),
    ('nodename-int', [_with(POD, ('spec', 'nodeName'), 5)], {}, 'pods[0].spec.nodeName', 5),
    ('name-int', [_with(POD, ('metadata', 'name'), 7)], {}, 'pods[0].metadata.name', 7),
    ('phase-list', [_with(POD, ('status', 'phase'), ['Failed'])], {}, 'pods[0].status.phase', ['Failed']),
    ('failed-reason-dict', [_with(_with(POD, ('status', 'phase'), 'Failed'), ('status', 'reason'), {'x': 1})], {},
     'pods[0].status.reason', {'x': 1}),
    ('statuses-string', [_with(POD, ('status', 'containerStatuses'), 'web')], {}, 'pods[0].status.containerStatuses', 'web'),
    ('init-statuses-dict', [_with(POD, ('status', 'initContainerStatuses'), {'name': 'x'})], {},
     'pods[0].status.initContainerStatuses', {'name': 'x'}),
    ('status-item-none', [_with(POD, CS, None)], {}, 'pods[0].status.containerStatuses[0]', None),
    ('state-string', [_with(POD, CS + ('state',), 'running')], {}, 'containerStatuses[0].state', 'running'),
    ('waiting-string', [_with(POD, CS + ('state',), {'waiting': 'CrashLoopBackOff'})], {}, 'state.waiting', 'CrashLoopBackOff'),
    ('waiting-reason-list', [_with(POD, CS + ('state',), {'waiting': {'reason': ['Error']}})], {}, 'state.waiting.reason', ['Error']),
    ('terminated-string', [_with(POD, CS + ('state', 'terminated'), 'Error')], {}, 'state.terminated', 'Error'),
    ('exitcode-word', [_with(POD, CS + ('state', 'terminated', 'exitCode'), 'abc')], {}, 'exitCode', 'abc'),
    ('exitcode-bool', [_with(POD, CS + ('state', 'terminated', 'exitCode'), True)], {}, 'exitCode', True),
    ('exitcode-nan', [_with(POD, CS + ('state', 'terminated', 'exitCode'), NAN)], {}, 'exitCode', NAN),
    ('exitcode-float', [_with(POD, CS + ('state', 'terminated', 'exitCode'), 1.5)], {}, 'exitCode', 1.5),
    ('exitcode-shell', [_with(POD, CS + ('state', 'terminated', 'exitCode'), SHELL)], {}, 'exitCode', SHELL),
    ('exitcode-10MB', [_with(POD, CS + ('state', 'terminated', 'exitCode'), BIG)], {}, 'exitCode', BIG),
    ('container-name-int', [_with(POD, CS + ('name',), 3)], {}, 'containerStatuses[0].name', 3),
    ('node-list', [POD], {'node': ['lab-node-1']}, 'node', ['lab-node-1']),
    ('node-int', [POD], {'node': 5}, 'node', 5),
]


@pytest.mark.parametrize('pods, kwargs, param, value', [c[1:] for c in PODS], ids=[c[0] for c in PODS])
def test_pods_in_error_refuses(pods, kwargs, param, value):
    msg = assert_filter_refused(pods_in_error, (pods,), kwargs, param=param, value=value)
    assert msg.startswith('pods_in_error: ')


# ---------------------------------------------------------------- mco_progress
POOL = {'metadata': {'name': 'master'}, 'spec': {'configuration': {'name': 'rendered-1'}, 'paused': False},
        'status': {'configuration': {'name': 'rendered-1'}, 'machineCount': 1, 'updatedMachineCount': 1,
                   'degradedMachineCount': 0, 'conditions': [{'type': 'Degraded', 'status': 'False'}]}}
NODE = {'metadata': {'name': 'node-1', 'annotations': {MCD + 'currentConfig': 'rendered-1', MCD + 'desiredConfig': 'rendered-1',
                                                       MCD + 'state': 'Done'}}}
MCO = [
    # (id, pools, nodes, pool_names, node_names, param, value)
    ('pools-none', None, [NODE], ['master'], None, 'pools', None),
    ('pools-string', 'master', [NODE], ['master'], None, 'pools', 'master'),
    ('nodes-string', [POOL], 'node-1', ['master'], None, 'nodes', 'node-1'),
    ('pool-names-string', [POOL], [NODE], 'master', None, 'pool_names', 'master'),
    ('pool-names-empty', [POOL], [NODE], [], None, 'pool_names', []),
    ('pool-names-none-item', [POOL], [NODE], [None], None, 'pool_names[0]', None),
    ('pool-names-int-item', [POOL], [NODE], [5], None, 'pool_names[0]', 5),
    ('pool-names-shell', [POOL], [NODE], [SHELL], None, 'MachineConfigPool', SHELL),
    ('pool-names-10MB', [POOL], [NODE], [BIG], None, 'MachineConfigPool', BIG),
    ('node-names-string', [POOL], [NODE], ['master'], 'node-1', 'node_names', 'node-1'),
    ('node-names-bool', [POOL], [NODE], ['master'], True, 'node_names', True),
    ('node-names-int-item', [POOL], [NODE], ['master'], [5], 'node_names[0]', 5),
    ('node-names-dict', [POOL], [NODE], ['master'], {'node-1': 1}, 'node_names', {'node-1': 1}),
    ('pools-none-item', [None], [NODE], ['master'], None, 'pools[0]', None),
    ('nodes-none-item', [POOL], [None], ['master'], None, 'nodes[0]', None),
    ('pool-metadata-string', [_with(POOL, ('metadata',), 'master')], [NODE], ['master'], None, 'pools[0].metadata', 'master'),
    ('pool-without-name', [_with(POOL, ('metadata',), {})], [NODE], ['master'], None, 'pools[0].metadata.name', None),
    ('pool-name-int', [_with(POOL, ('metadata', 'name'), 5)], [NODE], ['master'], None, 'pools[0].metadata.name', 5),
    ('node-without-name', [POOL], [_with(NODE, ('metadata', 'name'), None)], ['master'], None, 'nodes[0].metadata.name', None),
    ('machinecount-string', [_with(POOL, ('status', 'machineCount'), '1')], [NODE], ['master'], None, 'machineCount', '1'),
    ('machinecount-bool', [_with(POOL, ('status', 'machineCount'), True)], [NODE], ['master'], None, 'machineCount', True),
    ('machinecount-negative', [_with(POOL, ('status', 'updatedMachineCount'), -1)], [NODE], ['master'], None, 'updatedMachineCount', -1),
    ('machinecount-nan', [_with(POOL, ('status', 'degradedMachineCount'), NAN)], [NODE], ['master'], None, 'degradedMachineCount', NAN),
    ('paused-string', [_with(POOL, ('spec', 'paused'), 'false')], [NODE], ['master'], None, 'spec.paused', 'false'),
    ('spec-string', [_with(POOL, ('spec',), 'x')], [NODE], ['master'], None, 'pools[0].spec', 'x'),
    ('status-config-string', [_with(POOL, ('status', 'configuration'), 'rendered-1')], [NODE], ['master'], None,
     'status.configuration', 'rendered-1'),
    ('conditions-string', [_with(POOL, ('status', 'conditions'), 'Degraded')], [NODE], ['master'], None, 'conditions', 'Degraded'),
    ('conditions-none-item', [_with(POOL, ('status', 'conditions'), [None])], [NODE], ['master'], None, 'conditions[0]', None),
    ('annotations-list', [POOL], [_with(NODE, ('metadata', 'annotations'), ['Done'])], ['master'], None,
     'nodes[0].metadata.annotations', ['Done']),
    ('annotation-state-int', [POOL], [_with(NODE, ('metadata', 'annotations', MCD + 'state'), 1)], ['master'], None, 'state', 1),
]


@pytest.mark.parametrize('pools, nodes, names, node_names, param, value', [c[1:] for c in MCO], ids=[c[0] for c in MCO])
def test_mco_progress_refuses(pools, nodes, names, node_names, param, value):
    msg = assert_filter_refused(mco_progress, (pools, nodes, names), {'node_names': node_names}, param=param, value=value)
    assert msg.startswith('mco_progress: ')


# ---------------------------------------------------------------- node_ips
NODE_IPS = [
    # (id, value, kwargs, param, shown value)
    ('input-none', None, {}, 'input', None),
    ('input-dict', {'ip': '10.0.0.1'}, {}, 'input', {'ip': '10.0.0.1'}),
    ('input-int', 5, {}, 'input', 5),
    ('input-bool', True, {}, 'input', True),
    ('input-nan', NAN, {}, 'input', NAN),
    ('input-none-item', [None], {}, 'input: item 1', None),
    ('input-int-item', ['10.0.0.1', 5], {}, 'input: item 2', 5),
    ('input-scoped', 'fe80::1%eth0', {}, 'input: item 1', 'fe80::1%eth0'),
    ('input-scoped-bracketed', '10.0.0.1,[fe80::1%eth0]', {}, 'input: item 2', '[fe80::1%eth0]'),
    ('input-stray-comma', '10.0.0.1,,10.0.0.2', {}, 'input: item 2', '10.0.0.1,,10.0.0.2'),
    ('input-leading-dash', '-10.0.0.1', {}, 'input: item 1', '-10.0.0.1'),
    ('input-shell', SHELL, {}, 'input: item 1', SHELL),
    ('input-space-inside', '10.0.0.1 10.0.0.2', {}, 'input: item 1', '10.0.0.1 10.0.0.2'),
    ('input-cidr', '10.0.0.0/24', {}, 'input: item 1', '10.0.0.0/24'),
    ('input-10MB', BIG, {}, 'input: item 1', BIG),
    ('add-int', '10.0.0.1', {'add': 5}, 'add', 5),
    ('add-bool', '10.0.0.1', {'add': True}, 'add', True),
    ('add-dict', '10.0.0.1', {'add': {'ip': '10.0.0.2'}}, 'add', {'ip': '10.0.0.2'}),
    ('add-nan', '10.0.0.1', {'add': NAN}, 'add', NAN),
    ('add-scoped', '10.0.0.1', {'add': 'fe80::1%eth0'}, 'add: address', 'fe80::1%eth0'),
    ('add-shell', '10.0.0.1', {'add': SHELL}, 'add: address', SHELL),
    ('add-10MB', '10.0.0.1', {'add': BIG}, 'add: address', BIG),
    ('remove-none-item', '10.0.0.1', {'remove': [None]}, 'remove: address', None),
    ('remove-scoped', '10.0.0.1', {'remove': 'fe80::1%eth0'}, 'remove: address', 'fe80::1%eth0'),
    ('remove-leading-dash', '10.0.0.1', {'remove': '-10.0.0.1'}, 'remove: address', '-10.0.0.1'),
]


@pytest.mark.parametrize('value, kwargs, param, shown', [c[1:] for c in NODE_IPS], ids=[c[0] for c in NODE_IPS])
def test_node_ips_refuses(value, kwargs, param, shown):
    msg = assert_filter_refused(node_ips, (value,), kwargs, param=param, value=shown)
    assert msg.startswith('node_ips: ')


# ---------------------------------------------------------------- cidr_overlaps
CIDRS = [
    # (id, networks, reserved, param, value)
    ('networks-none', None, RESERVED, 'networks', None),
    ('networks-string', '10.0.0.0/8', RESERVED, 'networks', '10.0.0.0/8'),
    ('networks-dict', {'cidr': '10.0.0.0/8'}, RESERVED, 'networks', {'cidr': '10.0.0.0/8'}),
    ('reserved-string', ['10.0.0.0/8'], '100.64.0.0/16', 'reserved', '100.64.0.0/16'),
    ('reserved-none', ['10.0.0.0/8'], None, 'reserved', None),
    ('none-item', [None], RESERVED, 'networks[0]', None),
    ('int-item', ['10.0.0.0/8', 5], RESERVED, 'networks[1]', 5),
    ('bool-item', [True], RESERVED, 'networks[0]', True),
    ('nan-item', [NAN], RESERVED, 'networks[0]', NAN),
    ('nested-list', [['10.0.0.0/8']], RESERVED, 'networks[0]', ['10.0.0.0/8']),
    ('not-a-cidr', ['not-a-cidr'], RESERVED, 'networks[0]', 'not-a-cidr'),
    ('prefix-33', ['10.0.0.0/33'], RESERVED, 'networks[0]', '10.0.0.0/33'),
    ('double-prefix', ['10.0.0.0/8/8'], RESERVED, 'networks[0]', '10.0.0.0/8/8'),
    ('empty-string', [''], RESERVED, 'networks[0]', ''),
    ('scoped', ['fe80::1%eth0'], RESERVED, 'networks[0]', 'fe80::1%eth0'),
    ('leading-dash', ['-10.0.0.0/8'], RESERVED, 'networks[0]', '-10.0.0.0/8'),
    ('shell', [SHELL], RESERVED, 'networks[0]', SHELL),
    ('10MB', [BIG], RESERVED, 'networks[0]', BIG),
    ('dict-cidr-none', [{'cidr': None}], RESERVED, 'networks[0].cidr', {'cidr': None}),
    ('dict-cidr-int', [{'cidr': 5, 'hostPrefix': 23}], RESERVED, 'networks[0].cidr', {'cidr': 5, 'hostPrefix': 23}),
    ('dict-without-cidr', [{}], RESERVED, 'networks[0].cidr', {}),
    ('reserved-bad-item', ['10.0.0.0/8'], ['100.64.0.0/16', 'bogus'], 'reserved[1]', 'bogus'),
    ('reserved-scoped', ['10.0.0.0/8'], ['fe80::%lo'], 'reserved[0]', 'fe80::%lo'),
]


@pytest.mark.parametrize('networks, reserved, param, value', [c[1:] for c in CIDRS], ids=[c[0] for c in CIDRS])
def test_cidr_overlaps_refuses(networks, reserved, param, value):
    msg = assert_filter_refused(cidr_overlaps, (networks, reserved), param=param, value=value)
    assert msg.startswith('cidr_overlaps: ')


def test_cidr_overlaps_documented_acceptances():
    # host bits are ignored (documented): 10.128.0.5/14 is 10.128.0.0/14
    assert cidr_overlaps(['100.64.0.5/14'], ['100.64.0.0/16']) == [{'network': '100.64.0.0/14', 'reserved': '100.64.0.0/16'}]
    # mixed families never overlap, even ::ffff:100.64.0.1 (IPv4-mapped) against an IPv4 range
    assert cidr_overlaps(['::ffff:100.64.0.1', '::/0'], ['100.64.0.0/16', '0.0.0.0/0']) == []


# ---------------------------------------------------------------- uplink_config
UP = {'interface': 'eth1', 'addresses': ['172.16.1.4/24']}
LINK = {'ifname': 'eth1', 'mtu': 1500, 'address': 'a2:45:ae:90:06:b8',
        'addr_info': [{'family': 'inet', 'local': '172.16.1.4', 'prefixlen': 24, 'scope': 'global'}]}
UPLINK = [
    # (id, value, kwargs, param, value shown)
    ('input-none', None, {}, 'configuration', None),
    ('input-name-without-json', 'eth1', {}, 'configuration', 'eth1'),
    ('input-list', [UP], {}, 'configuration', [UP]),
    ('interface-leading-dash', dict(UP, interface='-eth1'), {}, 'interface name', '-eth1'),
    ('interface-shell', dict(UP, interface='eth1;reboot'), {}, 'interface name', 'eth1;reboot'),
    ('interface-slash', dict(UP, interface='eth1/x'), {}, 'interface name', 'eth1/x'),
    ('interface-space', dict(UP, interface='eth 1'), {}, 'interface name', 'eth 1'),
    ('interface-newline', dict(UP, interface='eth1\n'), {}, 'interface name', 'eth1'),
    ('interface-16-chars', dict(UP, interface='a' * 16), {}, 'interface name', 'a' * 16),
    ('interface-empty', dict(UP, interface=''), {}, 'interface name', ''),
    ('interface-int', dict(UP, interface=5), {}, 'interface name', 5),
    ('interface-colon', dict(UP, interface='eth1:1'), {}, 'interface name', 'eth1:1'),
    ('interface-dotdot', dict(UP, interface='..'), {}, 'interface name', '..'),
    ('interface-10MB', dict(UP, interface=BIG), {}, 'interface name', BIG),
    ('addresses-dict', dict(UP, addresses={'a': 1}), {}, 'addresses', {'a': 1}),
    ('addresses-int', dict(UP, addresses=5), {}, 'addresses', 5),
    ('address-none', dict(UP, addresses=[None]), {}, 'address', None),
    ('address-int', dict(UP, addresses=[5]), {}, 'address', 5),
    ('address-broadcast', dict(UP, addresses=['10.0.0.255/24']), {}, 'broadcast address', '10.0.0.255/24'),
    ('address-network', dict(UP, addresses=['10.0.0.0/24']), {}, 'network address', '10.0.0.0/24'),
    ('address-loopback', dict(UP, addresses=['127.0.0.2/8']), {}, 'loopback', '127.0.0.2/8'),
    ('address-multicast', dict(UP, addresses=['224.0.0.5/4']), {}, 'multicast', '224.0.0.5/4'),
    ('address-unspecified', dict(UP, addresses=['0.0.0.0/32']), {}, 'unspecified', '0.0.0.0/32'),
    ('address-ipv6', dict(UP, addresses=['fd00::1/64']), {}, 'address', 'fd00::1/64'),
    ('address-twice', dict(UP, addresses=['172.16.1.4/24', '172.16.1.4/25']), {}, 'listed twice', '172.16.1.4/25'),
    ('address-shell', dict(UP, addresses=[SHELL]), {}, 'address', SHELL),
    ('address-10MB', dict(UP, addresses=[BIG]), {}, 'address', BIG),
    ('gateway-off-link', dict(UP, gateway='10.9.9.1'), {}, 'gateway', '10.9.9.1'),
    ('gateway-network', dict(UP, gateway='172.16.1.0'), {}, 'gateway', '172.16.1.0'),
    ('gateway-broadcast', dict(UP, gateway='172.16.1.255'), {}, 'gateway', '172.16.1.255'),
    ('gateway-own-address', dict(UP, gateway='172.16.1.4'), {}, 'gateway', '172.16.1.4'),
    ('gateway-int', dict(UP, gateway=5), {}, 'gateway', 5),
    ('gateway-bool', dict(UP, gateway=True), {}, 'gateway', True),
    ('gateway-scoped', dict(UP, gateway='fe80::1%eth1'), {}, 'gateway', 'fe80::1%eth1'),
    ('routes-string', dict(UP, routes='10.0.0.0/8'), {}, 'routes', '10.0.0.0/8'),
    ('route-none', dict(UP, routes=[None]), {}, 'route', None),
    ('route-dst-none', dict(UP, routes=[{'dst': None}]), {}, 'route destination', None),
    ('route-dst-int', dict(UP, routes=[{'dst': 5}]), {}, 'route destination', 5),
    ('route-via-off-link', dict(UP, routes=[{'dst': '10.0.0.0/8', 'via': '192.168.5.1'}]), {}, 'gateway', '192.168.5.1'),
    ('route-via-network', dict(UP, routes=[{'dst': '10.0.0.0/8', 'via': '172.16.1.0'}]), {}, 'gateway', '172.16.1.0'),
    ('route-via-own', dict(UP, routes=[{'dst': '10.0.0.0/8', 'via': '172.16.1.4'}]), {}, 'gateway', '172.16.1.4'),
    ('route-via-int', dict(UP, routes=[{'dst': '10.0.0.0/8', 'via': 5}]), {}, 'gateway', 5),
    ('route-unknown-key', dict(UP, routes=[{'dst': '10.0.0.0/8', 'metric': 5}]), {}, 'metric', "'metric': 5"),
    ('route-twice', dict(UP, routes=[{'dst': '10.0.0.0/8'}, {'dst': '10.1.0.0/8'}]), {}, 'listed twice', '10.1.0.0/8'),
    ('mtu-float', dict(UP, mtu=1500.9), {}, 'mtu', 1500.9),
    ('mtu-bool', dict(UP, mtu=True), {}, 'mtu', True),
    ('mtu-67', dict(UP, mtu=67), {}, 'mtu', 67),
    ('mtu-65536', dict(UP, mtu=65536), {}, 'mtu', 65536),
    ('mtu-nan', dict(UP, mtu=NAN), {}, 'mtu', NAN),
    ('mtu-shell', dict(UP, mtu='1500; reboot'), {}, 'mtu', '1500; reboot'),
    ('mtu-10MB', dict(UP, mtu=BIG), {}, 'mtu', BIG),
    ('mtu-list', dict(UP, mtu=[1500]), {}, 'mtu', [1500]),
    ('hwaddr-word', dict(UP, hwaddr='zz'), {}, 'hwaddr', 'zz'),
    ('hwaddr-multicast', dict(UP, hwaddr='01:00:5e:00:00:01'), {}, 'hwaddr', '01:00:5e:00:00:01'),
    ('hwaddr-int', dict(UP, hwaddr=5), {}, 'hwaddr', 5),
    ('unknown-key', dict(UP, netmask='255.255.255.0'), {}, 'unknown key', 'netmask'),
    ('live-addr-info-string', 'eth1', {'addr_json': [dict(LINK, addr_info='x')]}, 'addr_info', 'x'),
    ('live-addr-info-none-item', 'eth1', {'addr_json': [dict(LINK, addr_info=[None])]}, 'addr_info item 0', None),
    ('live-none-item', 'eth1', {'addr_json': '[null]'}, 'ip -j addr output item 0', None),
    ('live-not-json', 'eth1', {'addr_json': 'Device "eth1" does not exist.'}, 'ip -j addr output', 'not JSON'),
    ('live-dict', 'eth1', {'addr_json': {'ifname': 'eth1'}}, 'ip -j addr output', {'ifname': 'eth1'}),
    ('live-int', 'eth1', {'addr_json': 5}, 'ip -j addr output', 5),
    ('live-prefixlen-string', 'eth1', {'addr_json': [dict(LINK, addr_info=[dict(LINK['addr_info'][0], prefixlen='24')])]},
     'prefixlen', '24'),
    ('live-local-int', 'eth1', {'addr_json': [dict(LINK, addr_info=[dict(LINK['addr_info'][0], local=5)])]}, 'local', 5),
    ('live-mtu-string', 'eth1', {'addr_json': [dict(LINK, mtu='1500')]}, 'mtu', '1500'),
    ('live-route-dst-int', 'eth1', {'addr_json': [LINK], 'route_json': '[{"dst": 5, "gateway": "172.16.1.1"}]'}, 'dst', 5),
    ('live-route-none-item', 'eth1', {'addr_json': [LINK], 'route_json': [None]}, 'ip -j route output item 0', None),
    ('live-default-off-link', 'eth1',
     {'addr_json': [LINK], 'route_json': [{'dst': 'default', 'gateway': '10.9.9.1', 'flags': ['onlink']}]},
     'gateway', '10.9.9.1'),
    ('live-interface-dash', '-eth1', {'addr_json': [dict(LINK, ifname='-eth1')]}, 'interface name', '-eth1'),
    ('route-json-without-addr-json', dict(UP), {'route_json': '[]'}, 'route_json', 'addr_json'),
]


@pytest.mark.parametrize('value, kwargs, param, shown', [c[1:] for c in UPLINK], ids=[c[0] for c in UPLINK])
def test_uplink_config_refuses(value, kwargs, param, shown):
    msg = assert_filter_refused(uplink_config, (value,), kwargs, param=param, value=shown)
    assert msg.startswith('uplink_config: ')


# ---------------------------------------------------------------- uplink_config_parse
STANZA = 'auto eth1\niface eth1 inet static\n    address 172.16.1.4/24\n'
PARSE = [
    # (id, text, layout, interface, param, value shown)
    ('text-none', None, 'ifupdown', 'eth1', 'file text', None),
    ('text-int', 5, 'ifcfg', 'eth1', 'file text', 5),
    ('text-list', [STANZA], 'ifupdown', 'eth1', 'file text', [STANZA]),
    ('layout-unknown', STANZA, 'yaml', 'eth1', 'layout', 'yaml'),
    ('layout-list', STANZA, ['ifupdown'], 'eth1', 'layout', ['ifupdown']),
    ('layout-none', STANZA, None, 'eth1', 'layout', None),
    ('interface-dash', STANZA, 'ifupdown', '-eth1', 'interface name', '-eth1'),
    ('interface-none', STANZA, 'routes', None, 'interface name', None),
    ('interface-space', STANZA, 'ifcfg', 'eth 1', 'interface name', 'eth 1'),
    ('interface-shell-routes', '', 'routes', 'eth1;reboot', 'interface name', 'eth1;reboot'),
    ('ifupdown-addr-line-cut', STANZA + '    up ip addr replace\n', 'ifupdown', 'eth1', 'line', 'up ip addr replace'),
    ('ifupdown-dhcp', 'iface eth1 inet dhcp\n', 'ifupdown', 'eth1', 'method', 'dhcp'),
    ('ifupdown-mtu-float', STANZA + '    mtu 1500.9\n', 'ifupdown', 'eth1', 'mtu', '1500.9'),
    ('ifupdown-gateway-off-link', STANZA + '    gateway 10.9.9.1\n', 'ifupdown', 'eth1', 'gateway', '10.9.9.1'),
    ('ifupdown-10MB-address', 'iface eth1 inet static\n    address ' + BIG + '\n', 'ifupdown', 'eth1', 'address', BIG),
    ('ifcfg-netmask', 'DEVICE=eth1\nIPADDR=10.0.0.5\nNETMASK=garbage\n', 'ifcfg', 'eth1', 'NETMASK', 'garbage'),
    ('ifcfg-not-key-value', 'garbage\n', 'ifcfg', 'eth1', 'ifcfg line', 'garbage'),
    ('ifcfg-mtu-float', 'DEVICE=eth1\nIPADDR=10.0.0.5\nPREFIX=24\nMTU=1500.9\n', 'ifcfg', 'eth1', 'mtu', '1500.9'),
    ('ifcfg-broadcast', 'DEVICE=eth1\nIPADDR=10.0.0.255\nPREFIX=24\n', 'ifcfg', 'eth1', 'broadcast', '10.0.0.255/24'),
    ('routes-address-format', 'ADDRESS0=10.0.0.0\n', 'routes', 'eth1', 'ADDRESSn', 'ADDRESS0=10.0.0.0'),
    ('routes-via-word', '10.0.0.0/8 via x dev eth1\n', 'routes', 'eth1', 'gateway', 'x'),
    ('routes-other-device', '10.0.0.0/8 via 10.1.1.1 dev eth2\n', 'routes', 'eth1', 'device', 'eth2'),
]


@pytest.mark.parametrize('text, layout, interface, param, shown', [c[1:] for c in PARSE], ids=[c[0] for c in PARSE])
def test_uplink_config_parse_refuses(text, layout, interface, param, shown):
    msg = assert_filter_refused(uplink_config_parse, (text, layout, interface), param=param, value=shown)
    assert msg.startswith('uplink_config_parse: ')


def test_error_messages_stay_short():
    # a 10 MB value is cut in the message (an Ansible error of 10 MB is not readable, and logs it whole)
    for func, args in ((cidr_overlaps, ([BIG], RESERVED)), (node_ips, (BIG,)), (pods_in_error, (BIG,)),
                       (uplink_config, (dict(UP, addresses=[BIG]),)), (mco_progress, ([POOL], [NODE], [BIG])),
                       (uplink_config_parse, ('iface eth1 inet static\n    address ' + BIG + '\n', 'ifupdown', 'eth1'))):
        msg = assert_filter_refused(func, args)
        assert len(msg) < 1000, (func.__name__, len(msg))
