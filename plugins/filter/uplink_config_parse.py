# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: uplink_config_parse
short_description: Read an uplink's IPv4 configuration back from ifupdown, ifcfg, route, netplan or keyfile text
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - The reverse of P(cni.ovs.uplink_config#filter); it parses the C(iface <if> inet static) stanza of an ifupdown file,
    an C(ifcfg-<if>) file, a C(route-<if>) file (C(ip route) argument lines), the C(ethernets.<if>) definition of a
    netplan file, or a NetworkManager keyfile bound to the interface, into the normalised configuration, so a written
    file can be compared with what was meant.
  - "With O(layout=netplan_defines) or O(layout=keyfile_binds) it answers another question, for the conflict checks:
    whether a netplan file defines the interface (the list of device types it is defined under, by key or
    C(set-name); empty when none), or whether a keyfile is a profile NetworkManager would activate on it at boot
    (C(interface-name) and C(autoconnect) not false)."
  - "Netplan definitions with settings this role does not write (C(dhcp4: true), C(match), C(set-name), a route
    C(metric) or C(table)) and keyfiles with C(method=auto) are errors: they do not describe a static uplink."
  - Errors (a non-static method, a second stanza for the interface, a line that is not C(KEY=value), an invalid
    interface name, text that is not a string) name the value.
options:
  _input:
    description: The file text.
    type: str
    required: true
  layout:
    description: The file format, or one of the two conflict questions.
    type: str
    required: true
    choices: [ifupdown, ifcfg, routes, netplan, keyfile, netplan_defines, keyfile_binds]
  interface:
    description: The interface name.
    type: str
    required: true
  errors:
    description: V(strict) raises on text that does not parse; V(none) returns V(null) instead (to compare another file
      with the configuration without an error in the run, for example a DHCP definition that simply differs). Invalid
      O(layout) and O(interface) values are errors either way.
    type: str
    default: strict
    choices: [strict, none]
"""

EXAMPLES = r"""
- name: The written stanza reads back as the configuration
  ansible.builtin.assert:
    that: (interfaces.content | b64decode | cni.ovs.uplink_config_parse('ifupdown', 'eth1')) == uplink.config

- name: Does cloud-init's file hold the same static definition (null when it does not parse as one, a DHCP one say)
  ansible.builtin.set_fact:
    same: "{{ (cloud_init_yaml.content | b64decode | cni.ovs.uplink_config_parse('netplan', 'eth1', errors='none')) == uplink.config }}"

- name: Does another netplan file define the uplink already
  ansible.builtin.set_fact:
    defined_under: "{{ cloud_init_yaml.content | b64decode | cni.ovs.uplink_config_parse('netplan_defines', 'eth1') }}"
"""

RETURN = r"""
_value:
  description: The configuration dict (see P(cni.ovs.uplink_config#filter)); for V(routes) the list of C({dst, via});
    for V(netplan_defines) a list of device types; for V(keyfile_binds) a bool.
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._netcfg import NetcfgError, parse_ifcfg, parse_ifupdown, parse_routes
from ansible_collections.cni.ovs.plugins.module_utils._netcfg import keyfile_binds, netplan_defines, parse_keyfile, parse_netplan
from ansible_collections.cni.ovs.plugins.module_utils._netcfg import _short, check_ifname

PARSERS = {'ifupdown': parse_ifupdown, 'ifcfg': parse_ifcfg, 'routes': parse_routes, 'netplan': parse_netplan,
           'keyfile': parse_keyfile, 'netplan_defines': netplan_defines, 'keyfile_binds': keyfile_binds}


def uplink_config_parse(text, layout, interface, errors='strict'):
    """See DOCUMENTATION."""
    if errors not in ('strict', 'none'):
        raise AnsibleFilterError('uplink_config_parse: errors %s is not one of none, strict' % _short(errors))
    if not isinstance(layout, str) or layout not in PARSERS:
        raise AnsibleFilterError('uplink_config_parse: layout %s is not one of %s' % (_short(layout), ', '.join(sorted(PARSERS))))
    if not isinstance(text, str):
        raise AnsibleFilterError('uplink_config_parse: input must be the file text, got %s %s' % (type(text).__name__, _short(text)))
    try:
        check_ifname(interface)
    except NetcfgError as exc:
        raise AnsibleFilterError('uplink_config_parse: %s' % exc)
    try:
        return PARSERS[layout](text, interface)
    except NetcfgError as exc:
        if errors == 'none':
            return None
        raise AnsibleFilterError('uplink_config_parse: %s' % exc)


class FilterModule:
    """cni.ovs.uplink_config_parse filter."""

    def filters(self):
        return {'uplink_config_parse': uplink_config_parse}
