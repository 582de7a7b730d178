# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: pods_in_error
short_description: The pods in an error state, from a list of Pod objects
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Selects the pods a person reading C(oc get pods -A -o wide) would call "in error" (seed 001's last check before
    it reboots the node such pods run on).
  - "In error: phase C(Failed) or C(Unknown); or an init or app container waiting with reason C(CrashLoopBackOff),
    C(Error), C(CreateContainerError), C(CreateContainerConfigError), C(RunContainerError), C(ImagePullBackOff),
    C(ErrImagePull), C(InvalidImageName), C(ContainerCannotRun), C(StartError) or C(OOMKilled); or a container
    terminated with a non-zero exit code."
  - Pods that C(Succeeded) (completed jobs) and pods being deleted are not in error.
  - An exit code given as a string of an integer (V("0"), from a templated object) counts as that integer; any other
    non-integer exit code is an error.
  - Fields of the wrong type (a C(status) that is a string, a list item that is not a dict, C(containerStatuses) that
    is not a list) are errors naming the field (for example C(pods[3].status)) and the value.
options:
  _input:
    description: Pod objects, for example the C(resources) of M(kubernetes.core.k8s_info) with C(kind=Pod).
    type: list
    elements: dict
    required: true
  node:
    description: Only pods scheduled on this node (C(spec.nodeName)). Must be a string.
    type: str
"""

EXAMPLES = r"""
- name: Pods in error on this node
  ansible.builtin.set_fact:
    broken: "{{ pods.resources | cni.ovs.pods_in_error(node='worker-1') }}"
# -> [{'pod': 'lab-apps/web-5d9c-abcde', 'node': 'worker-1', 'phase': 'Running', 'reason': 'web: CrashLoopBackOff'}]
"""

RETURN = r"""
_value:
  description: One dictionary per pod in error, with keys C(pod) (namespace/name), C(node), C(phase) and C(reason).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._netmigration import NetMigrationError
from ansible_collections.cni.ovs.plugins.module_utils._netmigration import pods_in_error as _pods_in_error


def pods_in_error(value, node=None):
    """Pods in an error state (see DOCUMENTATION)."""
    try:
        return _pods_in_error(value, node=node)
    except NetMigrationError as exc:
        raise AnsibleFilterError('pods_in_error: %s' % exc)


class FilterModule:
    """cni.ovs.pods_in_error filter."""

    def filters(self):
        return {'pods_in_error': pods_in_error}
