# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: uplink_config
short_description: Render an uplink's IPv4 addresses and static routes as ifupdown, ifcfg, netplan and NetworkManager configuration
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Seed 004 (NSX node preparation) says the IP address and static routes of the uplink (C(ovs_uplink_port)) must be
    persisted so the API server stays reachable after a reboot, in C(/etc/network/interfaces) on Ubuntu and in
    C(/etc/sysconfig/network-scripts/ifcfg-<if>) on RHEL; hosts whose stack is netplan (Ubuntu 18.04+) or
    NetworkManager keyfiles (RHEL 9/10) get a netplan file or a keyfile of their own.
  - The input is either a configuration dict (O(_input) with C(interface), C(addresses), C(gateway), C(routes),
    C(mtu), C(hwaddr)) or, with O(addr_json) and O(route_json), the name of the interface whose live configuration
    is read from C(ip -j addr show dev IF) and C(ip -j -4 route show dev IF).
  - Validates everything (an invalid CIDR, a gateway outside the interface's networks, an unknown interface are
    errors naming the value), renders every layout, parses each rendering back and compares it with the input;
    a rendering that would not read back the same fails here, before anything is written.
  - "Refused, with an error naming the value: an interface name that is not 1-15 characters of letters, digits,
    C(_ . @ -) or that starts with C(-); an address that is the network or broadcast address of its prefix (/30 and
    larger), unspecified, loopback, multicast or listed twice; a gateway (default or of a route) that is not inside one
    of the interface's networks (off-link), is the network or broadcast address, or an address of the interface
    itself; a route destination listed twice or a route key other than C(dst) and C(via); an MTU that is not an
    integer from 68 to 65535 (V(1500.9) and booleans are refused, the string V(\"1500\") is 1500); a multicast MAC;
    JSON items of the wrong type (C(addr_info) that is not a list)."
  - Only IPv4 is persisted; IPv6 and link-local addresses seen on the interface are listed in C(skipped).
options:
  _input:
    description: A configuration dict, or the interface name when O(addr_json) is given.
    type: raw
    required: true
  addr_json:
    description: Output of C(ip -j addr show dev IF) (string or parsed list).
    type: raw
  route_json:
    description: Output of C(ip -j -4 route show dev IF) (string or parsed list). Kernel-made connected routes are
      not persisted; the first default route with a gateway becomes the gateway (other default routes are listed in
      C(skipped)). Only with O(addr_json).
    type: raw
"""

EXAMPLES = r"""
- name: Uplink configuration from the live interface
  ansible.builtin.set_fact:
    uplink: "{{ 'eth1' | cni.ovs.uplink_config(addr_json=ip_addr.stdout, route_json=ip_route.stdout) }}"

- name: Uplink configuration given (seed 004's example)
  ansible.builtin.set_fact:
    uplink: >-
      {{ {'interface': 'eth1', 'addresses': ['172.16.1.4/24'],
          'routes': [{'dst': '172.16.1.3/24', 'via': '172.16.1.1'}]} | cni.ovs.uplink_config }}

- name: Write the ifupdown stanza
  ansible.builtin.blockinfile:
    path: /etc/network/interfaces
    block: "{{ uplink.ifupdown }}"
    marker: "# {mark} cni.ovs.nsx_node_prep uplink {{ uplink.config.interface }}"
    backup: true
"""

RETURN = r"""
_value:
  description: The normalised configuration and its renderings.
  type: dict
  contains:
    config:
      description: Normalised configuration (C(interface), C(addresses), C(gateway), C(routes) as C({dst, via}), C(mtu), C(hwaddr)).
      type: dict
    ifupdown:
      description: The C(auto)/C(iface <if> inet static) stanza; routes as C(up ip route replace)/C(down ip route del) lines.
      type: str
    ifcfg:
      description: Text of C(ifcfg-<if>).
      type: str
    routes:
      description: Text of C(route-<if>) (empty when there are no static routes).
      type: str
    netplan:
      description: A netplan file defining C(ethernets.<if>) (C(dhcp4 false), C(addresses), C(mtu), C(macaddress), the
        default route as C(to 0.0.0.0/0), routes without a gateway as C(scope link)). Accepted by C(netplan generate)
        of Debian 12's netplan 0.106 (tested).
      type: str
    keyfile:
      description: A NetworkManager keyfile (C(id) RV(_value.keyfile_id), a C(uuid) derived from the interface name, C(method=manual),
        C(address1=A/P,GW), C(routeN=DST,GW)). Accepted by C(nmcli --offline) of NetworkManager 1.42 (tested).
      type: str
    keyfile_id:
      description: The connection id of the keyfile, C(cni-ovs-<if>).
      type: str
    skipped:
      description: What was seen on the live interface and is not persisted.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._netcfg import NetcfgError, build, config_from_ip_json


def uplink_config(value, addr_json=None, route_json=None):
    """See DOCUMENTATION."""
    try:
        skipped = []
        if addr_json is None and route_json is not None:
            raise NetcfgError('route_json is given without addr_json (both are needed to read a live interface)')
        if addr_json is not None:
            value, skipped = config_from_ip_json(value, addr_json, route_json if route_json is not None else '[]')
        out = build(value)
        out['skipped'] = skipped
        return out
    except NetcfgError as exc:
        raise AnsibleFilterError('uplink_config: %s' % exc)


class FilterModule:
    """cni.ovs.uplink_config filter."""

    def filters(self):
        return {'uplink_config': uplink_config}
