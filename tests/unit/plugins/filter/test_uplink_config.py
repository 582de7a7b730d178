# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.filter import uplink_config as uc
from ansible_collections.cni.ovs.plugins.filter import uplink_config_parse as up

ADDR = ('[{"ifname":"eth0","mtu":1500,"address":"a2:45:ae:90:06:b8","addr_info":'
        '[{"family":"inet","local":"198.18.0.11","prefixlen":24,"scope":"global"}]}]')
ROUTE = '[{"dst":"default","gateway":"198.18.0.1","flags":[]}]'


def test_registered():
    assert uc.FilterModule().filters()['uplink_config'] is uc.uplink_config
    assert up.FilterModule().filters()['uplink_config_parse'] is up.uplink_config_parse


def test_live_then_parse_back_each_layout():
    out = uc.uplink_config('eth0', addr_json=ADDR, route_json=ROUTE)
    assert out['config']['gateway'] == '198.18.0.1' and out['skipped'] == []
    assert up.uplink_config_parse(out['ifupdown'], 'ifupdown', 'eth0') == out['config']
    assert up.uplink_config_parse(out['ifcfg'], 'ifcfg', 'eth0') == out['config']
    assert up.uplink_config_parse(out['routes'], 'routes', 'eth0') == []


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match="uplink_config: address '1.2.3.4/99' is not a valid IPv4 CIDR"):
        uc.uplink_config({'interface': 'eth0', 'addresses': ['1.2.3.4/99']})
    with pytest.raises(AnsibleFilterError, match="uplink_config: interface 'eth7' not found"):
        uc.uplink_config('eth7', addr_json=ADDR, route_json=ROUTE)
    with pytest.raises(AnsibleFilterError, match="layout 'yaml' is not one of ifcfg, ifupdown, keyfile, keyfile_binds, netplan, netplan_defines, routes"):
        up.uplink_config_parse('', 'yaml', 'eth0')
    with pytest.raises(AnsibleFilterError, match='ifcfg line .* is not KEY=value'):
        up.uplink_config_parse('garbage\n', 'ifcfg', 'eth0')


@pytest.mark.parametrize('cfg, match', [
    ({'routes': [{'dst': '10.1.0.0/16', 'via': '192.168.5.1'}]}, r'route 10.1.0.0/16: gateway 192.168.5.1 is in none of the networks of eth0 .*off-link'),
    ({'gateway': '10.0.0.0'}, r'gateway 10.0.0.0 is the network address of 10.0.0.0/24'),
    ({'gateway': '10.0.0.2'}, r'gateway 10.0.0.2 is an address of eth0 itself'),
    ({'addresses': ['10.0.0.255/24']}, r"address '10.0.0.255/24' is the broadcast address of 10.0.0.0/24"),
    ({'mtu': 1500.9}, r'mtu 1500.9 is not an integer between 68 and 65535'),
    ({'interface': '-eth1'}, r"interface name '-eth1' is not valid"),
])
def test_accepted_without_complaint_before(cfg, match):
    # regression: each of these rendered a configuration (MTU 1500.9 as 1500)
    with pytest.raises(AnsibleFilterError, match='uplink_config: ' + match):
        uc.uplink_config(dict({'interface': 'eth0', 'addresses': ['10.0.0.2/24']}, **cfg))


def test_addr_info_string_is_a_filter_error():
    # regression: AttributeError 'str' object has no attribute 'get'
    with pytest.raises(AnsibleFilterError, match=r"uplink_config: ip -j addr output: eth0 addr_info must be a list, got str 'x'"):
        uc.uplink_config('eth0', addr_json=[{'ifname': 'eth0', 'addr_info': 'x'}])


def test_point_to_point_prefixes_still_accepted():
    # /31 (RFC 3021) has no network/broadcast address; /32 hosts route through a gateway on another /31 network
    out = uc.uplink_config({'interface': 'eth0', 'addresses': ['10.0.0.0/31', '10.1.0.5/32'], 'gateway': '10.0.0.1',
                            'routes': [{'dst': '10.2.0.0/16', 'via': '10.0.0.1'}], 'mtu': '9000'})
    assert out['config']['gateway'] == '10.0.0.1' and out['config']['mtu'] == 9000
    assert up.uplink_config_parse(out['ifupdown'], 'ifupdown', 'eth0') == out['config']


def test_parse_errors_none_returns_null_for_text_that_does_not_parse():
    dhcp = 'network:\n  ethernets:\n    eth1:\n      dhcp4: true\n'
    assert up.uplink_config_parse(dhcp, 'netplan', 'eth1', errors='none') is None
    with pytest.raises(AnsibleFilterError, match='dhcp4: True, not a static configuration'):
        up.uplink_config_parse(dhcp, 'netplan', 'eth1')
    # bad arguments stay errors
    with pytest.raises(AnsibleFilterError, match="errors 'ignore' is not one of none, strict"):
        up.uplink_config_parse(dhcp, 'netplan', 'eth1', errors='ignore')
    with pytest.raises(AnsibleFilterError, match='interface name .* is not valid'):
        up.uplink_config_parse(dhcp, 'netplan', '-eth1', errors='none')
