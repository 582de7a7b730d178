# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: tolerations_without
short_description: A toleration list without the tolerations of one shape
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Returns the tolerations, in order, except those whose C(effect), C(operator) and C(key) equal O(effect), O(operator)
    and O(key) (a missing field reads as the empty string).
  - "The defaults remove the catch-all C({effect: NoExecute, operator: Exists}) toleration that keeps a DaemonSet's pods
    on a node whatever C(NoExecute) taint it gets (seed 000 step 1 replaces it with a toleration of one taint)."
  - Items that are not dicts and fields that are not strings are errors naming the field and the value.
options:
  _input:
    description: Tolerations, for example C(spec.template.spec.tolerations) of a DaemonSet.
    type: list
    elements: dict
    required: true
  effect:
    description: The effect of the tolerations to remove.
    type: str
    default: NoExecute
  operator:
    description: The operator of the tolerations to remove.
    type: str
    default: Exists
  key:
    description: The key of the tolerations to remove.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: The DaemonSet tolerates only the user-pod taint instead of every NoExecute taint
  ansible.builtin.set_fact:
    tolerations: >-
      {{ ds.spec.template.spec.tolerations | default([]) | cni.ovs.tolerations_without
         + [{'key': 'evict-user-pods', 'effect': 'NoExecute'}] }}
"""

RETURN = r"""
_value:
  description: The tolerations that do not have that shape.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._k8s_nodes import NodeListError
from ansible_collections.cni.ovs.plugins.module_utils._k8s_nodes import tolerations_without as _tolerations_without


def tolerations_without(value, effect='NoExecute', operator='Exists', key=''):
    """The tolerations without those of the given shape (see DOCUMENTATION)."""
    try:
        return _tolerations_without(value, effect=effect, operator=operator, key=key)
    except NodeListError as exc:
        raise AnsibleFilterError('tolerations_without: %s' % exc)


class FilterModule:
    """cni.ovs.tolerations_without filter."""

    def filters(self):
        return {'tolerations_without': tolerations_without}
