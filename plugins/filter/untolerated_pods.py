# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: untolerated_pods
short_description: The pods that a taint removes from their node
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Returns C(namespace/name) of every pod in the list that does not tolerate the taint O(key)=O(value):O(effect),
    with the matching rules of Kubernetes (C(Toleration.ToleratesTaint)) - a toleration matches when its effect is
    empty or equal, its key is empty or equal, and its operator is C(Exists), or C(Equal) (the default) with an equal
    value.
  - Finished pods (phase C(Succeeded) or C(Failed)) and mirror (static) pods are left out, since a taint does not
    remove them. Pods being deleted are kept, since they are still on the node.
  - Used to wait after a C(NoExecute) taint until the pods that must leave have left.
  - Bad input (a missing key, an unknown effect, a toleration that is not a dict, an unknown operator) is an error
    naming the field and the value.
options:
  _input:
    description: Pod objects, for example the C(resources) of M(kubernetes.core.k8s_info) with C(kind=Pod)
      and a C(spec.nodeName) field selector.
    type: list
    elements: dict
    required: true
  key:
    description: The taint's key.
    type: str
    required: true
  effect:
    description: The taint's effect.
    type: str
    default: NoExecute
    choices: [NoSchedule, PreferNoSchedule, NoExecute]
  value:
    description: The taint's value.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Wait until the pods that do not tolerate the taint have left the node
  kubernetes.core.k8s_info:
    kind: Pod
    field_selectors: ["spec.nodeName=worker-1"]
  register: pods
  until: pods.resources | cni.ovs.untolerated_pods('evict-user-pods') | length == 0
  retries: 60
  delay: 2
"""

RETURN = r"""
_value:
  description: C(namespace/name) of the pods that do not tolerate the taint, in input order.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._k8s_nodes import NodeListError
from ansible_collections.cni.ovs.plugins.module_utils._k8s_nodes import untolerated_pods as _untolerated_pods


def untolerated_pods(pods, key=None, effect='NoExecute', value=''):
    """Pods that do not tolerate the taint (see DOCUMENTATION)."""
    if key is None:
        raise AnsibleFilterError('untolerated_pods: key: the taint key is required, for example untolerated_pods("evict-user-pods")')
    try:
        return _untolerated_pods(pods, key, effect=effect, value=value)
    except NodeListError as exc:
        raise AnsibleFilterError('untolerated_pods: %s' % exc)


class FilterModule:
    """cni.ovs.untolerated_pods filter."""

    def filters(self):
        return {'untolerated_pods': untolerated_pods}
