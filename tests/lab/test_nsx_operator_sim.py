# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nsx-container-plugin-operator SIMULATION (lab/sim/nsx_operator_sim.py): its decisions."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'lab', 'sim'))
import nsx_operator_sim as sim  # noqa: E402  pylint: disable=wrong-import-position,import-error

TOLS = [{'effect': 'NoSchedule', 'key': 'node.kubernetes.io/not-ready'}, {'effect': 'NoExecute', 'key': 'evict-user-pods'}]


def ds(tolerations):
    return {'spec': {'template': {'spec': {'tolerations': tolerations}}}}


def test_without_ncpinstall_or_its_section_nothing_is_rendered():
    assert sim.desired_tolerations(None) is None
    assert sim.desired_tolerations({'spec': {'ncpReplicas': 1}}) is None
    assert sim.desired_tolerations({'spec': {'nsx-node-agent': {'nodeSelector': {}}}}) is None
    assert not sim.needs_patch(ds([]), None)


def test_the_section_list_is_rendered_into_a_daemonset_that_differs():
    want = sim.desired_tolerations({'spec': {'nsx-node-agent': {'tolerations': TOLS}}})
    assert want == TOLS
    assert sim.needs_patch(ds([{'effect': 'NoExecute', 'operator': 'Exists'}]), want)
    assert sim.needs_patch(ds(list(reversed(TOLS))), want)  # order is the operator's
    assert not sim.needs_patch(ds(TOLS), want)
    # an empty list in the NcpInstall is a list too: no tolerations
    assert sim.needs_patch(ds(TOLS), sim.desired_tolerations({'spec': {'nsx-node-agent': {'tolerations': []}}}))


def test_both_ncp_daemonsets_follow_the_node_agent_section():
    assert sim.DAEMONSETS == ('nsx-node-agent', 'nsx-ncp-bootstrap') and sim.SECTION == 'nsx-node-agent'
