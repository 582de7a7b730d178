# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cidr_overlaps
short_description: Pairs of networks that share addresses, such as a cluster network inside OVN-Kubernetes' reserved ranges
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Returns every (network, reserved) pair whose address ranges overlap, in input order; an empty list when none do.
  - Used by the preflight of the OpenShift SDN to OVN-Kubernetes migration (seed 001) to refuse a cluster whose
    C(clusterNetwork), C(serviceNetwork) or node addresses fall inside the ranges OVN-Kubernetes reserves for itself
    (V(100.64.0.0/16), V(100.88.0.0/16), V(169.254.169.0/29), V(fd98::/64), V(fd97::/64), V(fd69::/125)).
  - Entries may be CIDR strings, plain addresses (a /32 or /128) or dictionaries with a C(cidr) key (the shape of
    C(Network.config) C(spec.clusterNetwork)). IPv4 and IPv6 networks never overlap. Host bits are ignored.
  - An entry that is not a network (not a string or C(cidr) dict, not a CIDR, a scoped address such as
    V(fe80::1%eth0)) is an error naming its position (C(networks[N]), C(reserved[N])) and value; so is an O(_input) or
    O(reserved) that is not a list (a single CIDR string must be given as a one-element list).
options:
  _input:
    description: The networks to check.
    type: list
    elements: raw
    required: true
  reserved:
    description: The ranges they must not overlap.
    type: list
    elements: raw
    required: true
"""

EXAMPLES = r"""
- name: The cluster's networks stay clear of OVN-Kubernetes' join and transit subnets
  vars:
    overlaps: >-
      {{ (network.spec.clusterNetwork + network.spec.serviceNetwork)
         | cni.ovs.cidr_overlaps(['100.64.0.0/16', '100.88.0.0/16', 'fd98::/64']) }}
  ansible.builtin.assert:
    that: overlaps == []
    fail_msg: "{{ overlaps | map(attribute='network') | join(', ') }} overlap reserved ranges"
# [{'cidr': '100.64.0.0/14', 'hostPrefix': 23}] | cni.ovs.cidr_overlaps(['100.64.0.0/16'])
#   -> [{'network': '100.64.0.0/14', 'reserved': '100.64.0.0/16'}]
"""

RETURN = r"""
_value:
  description: One dictionary per overlapping pair, with keys C(network) and C(reserved) (normalized CIDRs).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._netmigration import NetMigrationError
from ansible_collections.cni.ovs.plugins.module_utils._netmigration import cidr_overlaps as _cidr_overlaps


def cidr_overlaps(value, reserved):
    """Overlapping (network, reserved) pairs (see DOCUMENTATION)."""
    try:
        return _cidr_overlaps(value, reserved)
    except NetMigrationError as exc:
        raise AnsibleFilterError('cidr_overlaps: %s' % exc)


class FilterModule:
    """cni.ovs.cidr_overlaps filter."""

    def filters(self):
        return {'cidr_overlaps': cidr_overlaps}
