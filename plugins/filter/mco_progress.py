# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: mco_progress
short_description: Progress of an OpenShift machine-config rollout, from MachineConfigPools and Nodes
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - "Seed 001 waits until every node's C(machineconfiguration.openshift.io/state) is C(Done) and C(currentConfig) equals
    C(desiredConfig). This filter also requires the node's C(currentConfig) to be the current C(spec.configuration.name)
    of one of the given pools (so a node still on the old config does not count), and each pool to report every machine
    updated on that config (C(status.configuration.name), C(updatedMachineCount == machineCount)) and none degraded."
  - A pool name that is not among the objects is an error naming it.
  - "Wrong types are errors naming the parameter or field and the value, for example a string where a list is meant
    (O(node_names=node-1) would otherwise be read letter by letter), an object that is not a dict, a C(status) that is
    not a dict, a count (C(machineCount), ...) that is not a non-negative integer, C(spec.paused) that is not a boolean."
options:
  _input:
    description: MachineConfigPool objects (for example C(resources) of M(kubernetes.core.k8s_info)).
    type: list
    elements: dict
    required: true
  nodes:
    description: Node objects.
    type: list
    elements: dict
    required: true
  pools:
    description: Names of the pools to wait for.
    type: list
    elements: str
    required: true
  node_names:
    description: Names of the nodes to wait for (default every node given). A named node that is absent is pending.
      Must be a list (a string is refused).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Wait for the machine-config daemons
  kubernetes.core.k8s_info:
    api_version: machineconfiguration.openshift.io/v1
    kind: MachineConfigPool
  register: pools
  until: (pools.resources | cni.ovs.mco_progress(query('kubernetes.core.k8s', kind='Node'), ['master', 'worker'])).done
  retries: 720
  delay: 5
"""

RETURN = r"""
_value:
  description: The rollout's progress.
  type: dict
  contains:
    done:
      description: Every node and pool done.
      type: bool
    pending:
      description: Names of the nodes, and C(pool/<name>) of the pools, not done yet.
      type: list
      elements: str
    summary:
      description: "One line for a person, for example C(pools updated: master 1/1, worker 1/2; nodes done 2/3 (waiting: lab-node-3 Working))."
      type: str
    pools:
      description: Per pool C(config), C(machines), C(updated), C(degraded), C(paused), C(done).
      type: dict
    nodes:
      description: Per node C(current), C(desired), C(state), C(done).
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._netmigration import NetMigrationError
from ansible_collections.cni.ovs.plugins.module_utils._netmigration import mco_progress as _mco_progress


def mco_progress(value, nodes, pools, node_names=None):
    """Machine-config rollout progress (see DOCUMENTATION)."""
    try:
        return _mco_progress(value, nodes, pools, node_names=node_names)
    except NetMigrationError as exc:
        raise AnsibleFilterError('mco_progress: %s' % exc)


class FilterModule:
    """cni.ovs.mco_progress filter."""

    def filters(self):
        return {'mco_progress': mco_progress}
