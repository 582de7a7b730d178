# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: nodes_not_ready
short_description: The names of the Nodes that are not Ready, from a list of Node objects
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Returns, sorted, the C(metadata.name) of every Node whose C(Ready) condition does not have status V(True).
    A Node without a C(Ready) condition (never heard from) counts as not Ready.
  - The one rule the collection's roles use to say "Ready nodes" (preflights, waits after a reboot).
  - Fields of the wrong type, items that are not dicts and Nodes without a name are errors naming the field and the value.
options:
  _input:
    description: Node objects, for example the C(resources) of M(kubernetes.core.k8s_info) with C(kind=Node).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Every node must be Ready before the procedure starts
  ansible.builtin.assert:
    that: nodes.resources | cni.ovs.nodes_not_ready | length == 0
    fail_msg: "Nodes not Ready: {{ nodes.resources | cni.ovs.nodes_not_ready | join(', ') }}"
"""

RETURN = r"""
_value:
  description: Names of the Nodes that are not Ready, sorted.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._k8s_nodes import NodeListError
from ansible_collections.cni.ovs.plugins.module_utils._k8s_nodes import nodes_not_ready as _nodes_not_ready


def nodes_not_ready(value):
    """Names of the Nodes that are not Ready (see DOCUMENTATION)."""
    try:
        return _nodes_not_ready(value)
    except NodeListError as exc:
        raise AnsibleFilterError('nodes_not_ready: %s' % exc)


class FilterModule:
    """cni.ovs.nodes_not_ready filter."""

    def filters(self):
        return {'nodes_not_ready': nodes_not_ready}
