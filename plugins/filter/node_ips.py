# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: node_ips
short_description: Add or remove IP addresses in a comma-separated list such as Kube-OVN's C(NODE_IPS)
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Edits a comma-separated list of IP addresses (the C(NODE_IPS) env of the C(ovn-central) Deployment, C(OVN_DB_IPS) of
    C(ovs-ovn) and C(kube-ovn-controller)), keeping the order of the entries that stay.
  - Removal is applied first, then additions go to the end unless already present. Addresses are compared as addresses,
    so C(fd00::1) and C(fd00:0::1) are the same entry. Removing an absent address is not an error.
  - Every entry of the input and of O(add)/O(remove) must be an IPv4 or IPv6 address; stray commas and spaces inside
    entries are errors, spaces around entries are dropped. Scoped addresses (V(fe80::1%eth0)) are refused, a zone
    means nothing to the other nodes.
  - Entries of the input keep their spelling (only spaces around them are dropped) and duplicates already in the
    input are kept; an added address already present
    (compared as an address) is not added again.
  - Errors name the parameter (C(input), C(add), C(remove)), the item and the value.
options:
  _input:
    description: The list, as a comma-separated string (V(172.18.0.3,172.18.0.4)) or a list of strings.
    type: raw
    required: true
  add:
    description: Address(es) to add, as one address, a comma-separated string or a list.
    type: raw
  remove:
    description: Address(es) to remove, as one address, a comma-separated string or a list.
    type: raw
"""

EXAMPLES = r"""
- name: NODE_IPS without the node leaving ovn-central (seed 002, step "scale down")
  ansible.builtin.set_fact:
    new_node_ips: "{{ '172.18.0.3,172.18.0.4,172.18.0.5' | cni.ovs.node_ips(remove='172.18.0.5') }}"
    # -> "172.18.0.3,172.18.0.4"

- name: Replace one node by another in one step
  ansible.builtin.set_fact:
    new_node_ips: "{{ old_node_ips | cni.ovs.node_ips(remove=old_ip, add=new_ip) }}"
"""

RETURN = r"""
_value:
  description: The edited list as a comma-separated string without spaces.
  type: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._ip_list import IPListError, edit_ip_list


def node_ips(value, add=None, remove=None):
    """Add/remove IPs in a comma-separated list (see DOCUMENTATION)."""
    try:
        return edit_ip_list(value, add=add, remove=remove)
    except IPListError as exc:
        raise AnsibleFilterError('node_ips: %s' % exc)


class FilterModule:
    """cni.ovs.node_ips filter."""

    def filters(self):
        return {'node_ips': node_ips}
