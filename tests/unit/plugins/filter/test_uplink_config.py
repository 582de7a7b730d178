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
    with pytest.raises(AnsibleFilterError, match="layout 'yaml' is not one of ifcfg, ifupdown, routes"):
        up.uplink_config_parse('', 'yaml', 'eth0')
    with pytest.raises(AnsibleFilterError, match='ifcfg line .* is not KEY=value'):
        up.uplink_config_parse('garbage\n', 'ifcfg', 'eth0')
