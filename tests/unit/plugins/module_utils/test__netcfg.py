# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_netcfg on recorded `ip -j` outputs of a lab node and on the seed 004 examples."""

from __future__ import annotations

import os

import pytest

from ansible_collections.cni.ovs.plugins.module_utils import _netcfg as n

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'netcfg')


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def test_live_config_from_recorded_lab_output():
    cfg, skipped = n.config_from_ip_json('eth0', fixture('lab-eth0-addr.json'), fixture('lab-eth0-route.json'))
    assert cfg == {'interface': 'eth0', 'addresses': ['198.18.0.11/24'], 'gateway': '198.18.0.1', 'routes': [],
                   'mtu': 1500, 'hwaddr': 'a2:45:ae:90:06:b8'}
    # the IPv6 link-local address is reported, not persisted
    assert skipped == ['fe80::a045:aeff:fe90:6b8/64 (inet6; only IPv4 is persisted)']


def test_static_routes_kept_connected_route_dropped():
    cfg, skipped = n.config_from_ip_json('eth0', fixture('lab-eth0-addr.json'), fixture('lab-eth0-route-static.json'))
    assert len(skipped) == 1
    assert cfg['routes'] == [{'dst': '10.96.0.0/12', 'via': '198.18.0.1'}, {'dst': '198.19.5.0/24', 'via': None}]
    out = n.build(cfg)
    assert '    up ip route replace 10.96.0.0/12 via 198.18.0.1 dev eth0\n' in out['ifupdown']
    assert '    down ip route del 198.19.5.0/24 dev eth0\n' in out['ifupdown']
    assert out['routes'].splitlines()[1:] == ['10.96.0.0/12 via 198.18.0.1 dev eth0', '198.19.5.0/24 dev eth0']


def test_unknown_interface_names_the_ones_seen():
    with pytest.raises(n.NetcfgError, match=r"interface 'eth9' not found .*interfaces seen: eth0"):
        n.config_from_ip_json('eth9', fixture('lab-eth0-addr.json'), '[]')


def test_seed_ubuntu_example_renders_and_reads_back():
    # seed 004: auto eth1 / iface eth1 inet static / address 172.16.1.4/24 /
    #           up route add -net 172.16.1.3/24 gw 172.16.1.1 dev eth1
    out = n.build({'interface': 'eth1', 'addresses': ['172.16.1.4/24'],
                   'routes': [{'dst': '172.16.1.3/24', 'via': '172.16.1.1'}]})
    assert out['ifupdown'] == (
        'auto eth1\n'
        'iface eth1 inet static\n'
        '    address 172.16.1.4/24\n'
        '    # persistent static routes\n'
        '    up ip route replace 172.16.1.0/24 via 172.16.1.1 dev eth1\n'
        '    down ip route del 172.16.1.0/24 via 172.16.1.1 dev eth1\n')
    assert n.parse_ifupdown(out['ifupdown'], 'eth1') == out['config']


def test_seed_rhel_example_keys():
    out = n.build({'interface': 'eth1', 'addresses': ['172.10.0.2/24'], 'gateway': '172.10.0.1',
                   'hwaddr': '00:0C:29:B7:DC:6F'})
    lines = out['ifcfg'].splitlines()
    for kv in ('HWADDR=00:0C:29:B7:DC:6F', 'TYPE=Ethernet', 'BOOTPROTO=none', 'IPADDR=172.10.0.2', 'PREFIX=24',
               'DEFROUTE=yes', 'IPV4_FAILURE_FATAL=no', 'IPV6INIT=no', 'NAME=eth1', 'DEVICE=eth1', 'ONBOOT=yes'):
        assert kv in lines
    assert out['routes'] == ''
    assert n.parse_ifcfg(out['ifcfg'], 'eth1') == out['config']


def test_secondary_addresses_and_netmask_form():
    cfg = n.normalize_config({'interface': 'ens3', 'addresses': ['10.0.0.5/24', '10.0.1.5/25']})
    assert n.parse_ifupdown(n.render_ifupdown(cfg), 'ens3') == cfg
    assert n.parse_ifcfg(n.render_ifcfg(cfg), 'ens3') == cfg
    # a hand-written ifcfg with NETMASK
    assert n.parse_ifcfg('DEVICE=ens3\nBOOTPROTO=static\nIPADDR=10.0.0.5\nNETMASK=255.255.255.0\n', 'ens3')['addresses'] == ['10.0.0.5/24']


def test_parse_ifupdown_in_a_full_file():
    text = ('auto lo\niface lo inet loopback\n\n'
            'source /etc/network/interfaces.d/*\n'
            'allow-hotplug eth0\niface eth0 inet dhcp\n\n'
            '# BEGIN x\nauto eth1\niface eth1 inet static\n    address 172.16.1.4/24\n    gateway 172.16.1.1\n# END x\n')
    assert n.parse_ifupdown(text, 'eth1')['gateway'] == '172.16.1.1'
    with pytest.raises(n.NetcfgError, match='iface eth0 uses method dhcp, not static'):
        n.parse_ifupdown(text, 'eth0')
    with pytest.raises(n.NetcfgError, match='no "iface eth2 inet static" stanza'):
        n.parse_ifupdown(text, 'eth2')
    with pytest.raises(n.NetcfgError, match='more than one "iface eth1 inet" stanza'):
        n.parse_ifupdown(text + 'iface eth1 inet static\n    address 1.2.3.4/24\n', 'eth1')


@pytest.mark.parametrize('cfg, message', [
    ({'interface': 'eth1', 'addresses': ['172.16.1.400/24']}, r"address '172.16.1.400/24' is not a valid IPv4 CIDR"),
    ({'interface': 'eth1', 'addresses': ['172.16.1.4']}, r"address '172.16.1.4' is not a valid IPv4 CIDR"),
    ({'interface': 'eth1', 'addresses': ['fd00::1/64']}, r"address 'fd00::1/64' is not a valid IPv4 CIDR"),
    ({'interface': 'eth1', 'addresses': []}, r'eth1 has no IPv4 address'),
    ({'interface': 'eth 1', 'addresses': ['1.2.3.4/24']}, r"interface name 'eth 1' is not valid"),
    ({'interface': 'averyveryverylongname', 'addresses': ['1.2.3.4/24']}, r'is not valid \(1-15 characters'),
    ({'interface': 'eth1', 'addresses': ['172.16.1.4/24'], 'gateway': '10.0.0.1'},
     r'gateway 10.0.0.1 is in none of the networks of eth1 \(172.16.1.0/24\)'),
    ({'interface': 'eth1', 'addresses': ['172.16.1.4/24'], 'routes': [{'dst': '10.0.0.0/33'}]},
     r"route destination '10.0.0.0/33' is not a valid IPv4 CIDR"),
    ({'interface': 'eth1', 'addresses': ['172.16.1.4/24'], 'routes': [{'dst': '10.0.0.0/8', 'via': 'x'}]},
     r"gateway 'x' is not an IPv4 address"),
    ({'interface': 'eth1', 'addresses': ['172.16.1.4/24'], 'mtu': 20}, r'mtu 20 is not an integer between 68 and 65535'),
    ({'interface': 'eth1', 'addresses': ['172.16.1.4/24'], 'hwaddr': 'zz'}, r"hwaddr 'zz' is not a MAC address"),
    ({'interface': 'eth1', 'addresses': ['172.16.1.4/24'], 'netmask': 'x'}, r'unknown key\(s\) netmask'),
])
def test_bad_input_names_the_value(cfg, message):
    with pytest.raises(n.NetcfgError, match=message):
        n.build(cfg)


def test_route_file_rejects_other_device_and_address_format():
    with pytest.raises(n.NetcfgError, match='route 10.0.0.0/8 is for device eth2, not eth1'):
        n.parse_routes('10.0.0.0/8 via 172.16.1.1 dev eth2\n', 'eth1')
    with pytest.raises(n.NetcfgError, match='ADDRESSn= format'):
        n.parse_routes('ADDRESS0=10.0.0.0\n', 'eth1')


def test_default_routes_not_persisted_are_reported():
    # a device-only default route and a second default route used to vanish without a word
    routes = ('[{"dst":"default","gateway":"198.18.0.1","flags":[]},{"dst":"default","gateway":"198.18.0.2","metric":200,"flags":[]}]')
    cfg, skipped = n.config_from_ip_json('eth0', fixture('lab-eth0-addr.json'), routes)
    assert cfg['gateway'] == '198.18.0.1'
    assert 'default route via 198.18.0.2 (only the first default route is persisted, via 198.18.0.1)' in skipped
    cfg, skipped = n.config_from_ip_json('eth0', fixture('lab-eth0-addr.json'), '[{"dst":"default","scope":"link","flags":[]}]')
    assert cfg['gateway'] is None
    assert 'default route without a gateway (device route; not persisted)' in skipped


@pytest.mark.parametrize('text, message', [
    ('iface eth1 inet static\n    address 10.0.0.5/24\n    up ip addr replace\n', r"line 'up ip addr replace' has no address"),
    ('iface eth1 inet static\n    address 10.0.0.5/24\n    gateway 10.9.9.1\n', r'gateway 10.9.9.1 is in none of the networks'),
])
def test_parse_ifupdown_errors(text, message):
    # regression: the cut "up ip addr replace" line raised IndexError
    with pytest.raises(n.NetcfgError, match=message):
        n.parse_ifupdown(text, 'eth1')


def test_parse_ifcfg_bad_netmask_is_an_error():
    # regression: ipaddress.NetmaskValueError escaped as a traceback
    with pytest.raises(n.NetcfgError, match=r"ifcfg NETMASK=.*'garbage' is not an IPv4 netmask"):
        n.parse_ifcfg('DEVICE=eth1\nIPADDR=10.0.0.5\nNETMASK=garbage\n', 'eth1')


def test_nsx_node_prep_preflight_uses_the_same_interface_name_rule():
    """roles/nsx_node_prep/tasks/preflight.yml repeats IFNAME_RE (an assert cannot import it): keep them equal."""
    import re  # pylint: disable=import-outside-toplevel
    import yaml  # pylint: disable=import-outside-toplevel
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
    with open(os.path.join(root, 'roles', 'nsx_node_prep', 'tasks', 'preflight.yml')) as f:
        tasks = yaml.safe_load(f)

    def flat(ts):  # the entry point's tasks sit in a block (module_defaults)
        for t in ts:
            yield t
            for key in ('block', 'rescue', 'always'):
                yield from flat(t.get(key) or [])
    that = next(t for t in flat(tasks) if t['name'] == 'Preflight | Check the inputs')['ansible.builtin.assert']['that']
    rule = next(c for c in that if c.startswith('nsx_node_prep_uplink is string'))
    assert re.search(r"match\('(.*?)'\)", rule).group(1) == '^%s$' % n.IFNAME_RE.pattern
    assert "not in ['.', '..']" in rule


# --- netplan and NetworkManager keyfiles (layouts netplan, networkmanager) ---

REAL = {'interface': 'eth1', 'addresses': ['172.16.1.4/24', '172.16.2.4/24'], 'gateway': '172.16.1.1',
        'routes': [{'dst': '10.0.0.0/8', 'via': '172.16.1.1'}, {'dst': '10.9.0.0/16', 'via': None}],
        'mtu': 9000, 'hwaddr': '00:11:22:33:44:55'}


def test_netplan_and_keyfile_render_and_read_back():
    out = n.build(REAL)
    assert n.parse_netplan(out['netplan'], 'eth1') == REAL
    assert n.parse_keyfile(out['keyfile'], 'eth1') == REAL
    assert out['keyfile_id'] == 'cni-ovs-eth1'
    # the MAC is quoted: an unquoted 00:11:22:33:44:55 is a base-60 integer to a YAML 1.1 reader
    assert '      macaddress: "00:11:22:33:44:55"\n' in out['netplan']
    assert '        - to: "0.0.0.0/0"\n          via: "172.16.1.1"\n' in out['netplan']
    assert '        - to: "10.9.0.0/16"\n          scope: link\n' in out['netplan']
    assert 'address1=172.16.1.4/24,172.16.1.1\naddress2=172.16.2.4/24\n' in out['keyfile']
    # the uuid is derived from the interface: a re-run renders the same bytes
    assert n.build(dict(REAL))['keyfile'] == out['keyfile']
    assert n.build(dict(REAL, interface='eth2', addresses=['172.16.1.5/24']))['keyfile'] != out['keyfile']


def test_what_the_real_tools_wrote_back_reads_as_the_same_configuration():
    # netplan get (0.106) and nmcli --offline (1.42.4) output of our renderings: same values
    assert n.parse_netplan(fixture('netplan-0.106-get-eth1.yaml'), 'eth1') == REAL
    assert n.parse_keyfile(fixture('nmcli-1.42.4-offline-eth1.nmconnection'), 'eth1') == REAL
    # a profile nmcli made itself (no autoconnect key: NetworkManager's default is yes)
    made = fixture('nmcli-1.42.4-add-eth1.nmconnection')
    assert n.keyfile_binds(made, 'eth1') and not n.keyfile_binds(made, 'eth0')
    assert n.parse_keyfile(made, 'eth1') == REAL


def test_no_gateway_keyfile_never_default_and_netplan_without_default_route():
    cfg = dict(REAL, gateway=None)
    out = n.build(cfg)
    assert 'never-default=true\n' in out['keyfile'] and 'address1=172.16.1.4/24\n' in out['keyfile']
    assert '0.0.0.0/0' not in out['netplan']
    assert n.parse_netplan(out['netplan'], 'eth1') == cfg


def test_netplan_defines_by_key_or_set_name_and_in_any_device_type():
    cloud = 'network:\n  version: 2\n  ethernets:\n    eth1:\n      dhcp4: true\n'
    assert n.netplan_defines(cloud, 'eth1') == ['ethernets']
    assert n.netplan_defines(cloud, 'eth0') == []
    renamed = 'network:\n  ethernets:\n    nic0:\n      match: {macaddress: "00:11:22:33:44:55"}\n      set-name: eth1\n'
    assert n.netplan_defines(renamed, 'eth1') == ['ethernets']
    assert n.netplan_defines('network:\n  bonds:\n    eth1: {interfaces: [a, b]}\n', 'eth1') == ['bonds']
    assert n.netplan_defines('', 'eth1') == [] and n.netplan_defines('# only a comment\n', 'eth1') == []


@pytest.mark.parametrize('text, message', [
    ('network: [', 'not valid YAML'),
    ('- a list\n', 'not a netplan file'),
    ('network:\n  ethernets: [eth1]\n', 'network.ethernets is not a mapping'),
])
def test_netplan_defines_refuses_what_netplan_would_refuse(text, message):
    with pytest.raises(n.NetcfgError, match=message):
        n.netplan_defines(text, 'eth1')


@pytest.mark.parametrize('body, message', [
    ('      dhcp4: true\n', 'dhcp4: True, not a static configuration'),
    ('      addresses: ["172.16.1.4/24"]\n      match: {name: "e*"}\n', r"key\(s\) match this role does not write"),
    ('      addresses: ["172.16.1.4/24"]\n      routes: [{to: 10.0.0.0/8, via: 172.16.1.1, metric: 5}]\n',
     'has settings this role does not write'),
    ('      addresses: ["172.16.1.4/24"]\n      routes: [{to: default, via: 172.16.1.1}, {to: 0.0.0.0/0, via: 172.16.1.2}]\n',
     'two default routes'),
    ('      addresses: 172.16.1.4/24\n', 'addresses is not a list'),
])
def test_parse_netplan_refuses_what_it_does_not_write(body, message):
    with pytest.raises(n.NetcfgError, match=message):
        n.parse_netplan('network:\n  ethernets:\n    eth1:\n' + body, 'eth1')


def test_parse_netplan_reads_gateway4_and_to_default():
    text = 'network:\n  ethernets:\n    eth1:\n      addresses: [172.16.1.4/24]\n      gateway4: 172.16.1.1\n'
    assert n.parse_netplan(text, 'eth1')['gateway'] == '172.16.1.1'
    text = 'network:\n  ethernets:\n    eth1:\n      addresses: [172.16.1.4/24]\n      routes: [{to: default, via: 172.16.1.1}]\n'
    assert n.parse_netplan(text, 'eth1')['gateway'] == '172.16.1.1'
    with pytest.raises(n.NetcfgError, match='no "ethernets: eth2:" definition'):
        n.parse_netplan(text, 'eth2')


@pytest.mark.parametrize('text, message', [
    ('[connection]\ninterface-name=eth1\ntype=ethernet\n[ipv4]\nmethod=auto\n', 'ipv4.method=auto, not a static'),
    ('[connection]\ninterface-name=eth2\ntype=ethernet\n[ipv4]\nmethod=manual\naddress1=172.16.1.4/24\n', 'interface-name=eth2'),
    ('[connection]\ninterface-name=eth1\ntype=wifi\n', 'type=wifi'),
    ('interface-name=eth1\n', 'not inside a \\[section\\]'),
    ('[connection]\ninterface-name=eth1\ntype=ethernet\n[ipv4]\nmethod=manual\naddress1=172.16.1.4/24,172.16.1.1\n'
     'gateway=172.16.1.2\n', 'two gateways'),
    ('[connection]\ninterface-name=eth1\ntype=ethernet\n[ipv4]\nmethod=manual\naddress1=172.16.1.4/24\n'
     'route1=10.0.0.0/8,172.16.1.1,100\n', 'metric or options'),
    ('[connection]\ninterface-name=eth1\ntype=ethernet\n[ipv4]\nmethod=manual\naddress1=172.16.1.400/24\n',
     'not a valid IPv4 CIDR'),
])
def test_parse_keyfile_refuses(text, message):
    with pytest.raises(n.NetcfgError, match=message):
        n.parse_keyfile(text, 'eth1')


def test_keyfile_binds_only_autoconnecting_profiles_of_the_interface():
    base = '[connection]\nid=x\ntype=ethernet\ninterface-name=eth1\n'
    assert n.keyfile_binds(base, 'eth1')
    assert n.keyfile_binds(base + 'autoconnect=true\n', 'eth1')
    assert not n.keyfile_binds(base + 'autoconnect=false\n', 'eth1')
    assert not n.keyfile_binds('[connection]\nid=x\ntype=ethernet\n', 'eth1')
