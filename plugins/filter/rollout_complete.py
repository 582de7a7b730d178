# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: rollout_complete
short_description: Whether the rollout of a Deployment or DaemonSet is over, as kubectl rollout status says
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Returns V(true) when the object's new generation is observed and, for a Deployment, every replica is updated, no old replica is
    left and every updated replica is available; for a DaemonSet, every scheduled pod is updated and available. The rules of
    C(kubectl rollout status).
  - The wait of M(kubernetes.core.k8s_info) for a Deployment checks C(replicas == availableReplicas) but not C(updatedReplicas), so it can
    return in the middle of a rolling update while every old pod is still available; use this filter in an C(until) loop instead.
  - An absent object (V(none), V({})) is not rolled out. Other kinds and fields of the wrong type are errors naming the field and the value.
options:
  _input:
    description: A Deployment or DaemonSet object, for example the first of the C(resources) of M(kubernetes.core.k8s_info).
    type: dict
    required: true
  reason:
    description: Return a dict C({done, reason}) instead of a boolean (the reason says what the rollout waits for).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Wait for the rollout (every replica updated and available)
  kubernetes.core.k8s_info:
    kind: Deployment
    namespace: kube-system
    name: ovn-central
  register: rollout
  until: rollout.resources | length > 0 and rollout.resources[0] | cni.ovs.rollout_complete
  retries: 300
  delay: 1

- name: Say what it waits for
  ansible.builtin.debug:
    msg: "{{ (rollout.resources[0] | cni.ovs.rollout_complete(reason=true)).reason }}"
"""

RETURN = r"""
_value:
  description: V(true) when the rollout is over; with O(reason=true) a dict with C(done) (bool) and C(reason) (str).
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._k8s_rollout import RolloutError, rollout_status


def rollout_complete(value, reason=False):
    """Whether the rollout is over (see DOCUMENTATION)."""
    if not isinstance(reason, bool):
        raise AnsibleFilterError('rollout_complete: reason: expected a boolean, got %s %r' % (type(reason).__name__, reason))
    try:
        done, why = rollout_status(value)
    except RolloutError as exc:
        raise AnsibleFilterError('rollout_complete: %s' % exc)
    return {'done': done, 'reason': why} if reason else done


class FilterModule:
    """cni.ovs.rollout_complete filter."""

    def filters(self):
        return {'rollout_complete': rollout_complete}
