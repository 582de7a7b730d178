# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: uplink_config_parse
short_description: Read an uplink's IPv4 configuration back from ifupdown, ifcfg or route file text
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - The reverse of P(cni.ovs.uplink_config#filter); it parses the C(iface <if> inet static) stanza of an ifupdown file,
    an C(ifcfg-<if>) file, or a C(route-<if>) file (C(ip route) argument lines) into the normalised configuration,
    so a written file can be compared with what was meant.
  - Errors (a non-static method, a second stanza for the interface, a line that is not C(KEY=value), an invalid
    interface name, text that is not a string) name the value.
options:
  _input:
    description: The file text.
    type: str
    required: true
  layout:
    description: V(ifupdown), V(ifcfg) or V(routes).
    type: str
    required: true
    choices: [ifupdown, ifcfg, routes]
  interface:
    description: The interface name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The written stanza reads back as the configuration
  ansible.builtin.assert:
    that: (interfaces.content | b64decode | cni.ovs.uplink_config_parse('ifupdown', 'eth1')) == uplink.config
"""

RETURN = r"""
_value:
  description: The configuration dict (see P(cni.ovs.uplink_config#filter)); for V(routes) the list of C({dst, via}).
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._netcfg import NetcfgError, parse_ifcfg, parse_ifupdown, parse_routes
from ansible_collections.cni.ovs.plugins.module_utils._netcfg import _short

PARSERS = {'ifupdown': parse_ifupdown, 'ifcfg': parse_ifcfg, 'routes': parse_routes}


def uplink_config_parse(text, layout, interface):
    """See DOCUMENTATION."""
    if not isinstance(layout, str) or layout not in PARSERS:
        raise AnsibleFilterError('uplink_config_parse: layout %s is not one of %s' % (_short(layout), ', '.join(sorted(PARSERS))))
    if not isinstance(text, str):
        raise AnsibleFilterError('uplink_config_parse: input must be the file text, got %s %s' % (type(text).__name__, _short(text)))
    try:
        return PARSERS[layout](text, interface)
    except NetcfgError as exc:
        raise AnsibleFilterError('uplink_config_parse: %s' % exc)


class FilterModule:
    """cni.ovs.uplink_config_parse filter."""

    def filters(self):
        return {'uplink_config_parse': uplink_config_parse}
