# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ovs-ovn pod lifecycle SIMULATION (lab/sim/ovs_pod_sim.py).

Part 1: its pure decision function. Part 2 (CNI=kube-ovn lab with node hosts): deleting a
node's ovs-ovn pod stops that node's real vswitchd, and the pod the DaemonSet controller
creates in its place starts a new one, as the kubelet would; the other nodes are untouched.
"""

from __future__ import annotations

import os
import sys

import pytest

from conftest import ROOT, lab_config, wait_for

sys.path.insert(0, os.path.join(ROOT, "lab", "sim"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab", "nodes"))
import ovs_pod_sim as sim  # noqa: E402  pylint: disable=wrong-import-position,import-error
import lab_nodes as L  # noqa: E402  pylint: disable=wrong-import-position,import-error

HOSTS = {"n1", "n2"}


def _p(uid, node, phase="Running", deleting=False):
    return {"uid": uid, "name": "ovs-" + uid, "node": node, "phase": phase, "deleting": deleting}


# ------------------------------------------------------------------ part 1: pure logic
def test_first_sight_adopts_without_action():
    state, actions = sim.plan({}, [_p("a", "n1"), _p("b", "n2"), _p("c", "kwok-1")], HOSTS)
    assert state == {"n1": "a", "n2": "b"} and actions == []


def test_pending_pod_is_not_adopted():
    state, actions = sim.plan({}, [_p("a", "n1", phase="Pending")], HOSTS)
    assert state == {} and actions == []


def test_deletion_stops_then_successor_starts():
    state, actions = sim.plan({"n1": "a", "n2": "b"}, [_p("a", "n1", deleting=True), _p("b", "n2")], HOSTS)
    assert actions == [("stop", "n1", "ovs-a", "terminating")] and state["n1"] == sim.TERMINATED
    # no successor yet, or one not Running: nothing more
    state, actions = sim.plan(state, [_p("b", "n2"), _p("x", "n1", phase="Pending")], HOSTS)
    assert actions == [] and state["n1"] == sim.TERMINATED
    state, actions = sim.plan(state, [_p("b", "n2"), _p("x", "n1")], HOSTS)
    assert actions == [("start", "n1", "ovs-x", "running")] and state == {"n1": "x", "n2": "b"}
    # steady state: nothing
    assert sim.plan(state, [_p("b", "n2"), _p("x", "n1")], HOSTS) == (state, [])


def test_pod_gone_and_replaced_between_two_polls():
    state, actions = sim.plan({"n1": "a"}, [_p("x", "n1")], {"n1"}, names={"a": "ovs-a"})
    assert actions == [("stop", "n1", "ovs-a", "deleted"), ("start", "n1", "ovs-x", "running")]
    assert state == {"n1": "x"}


def test_stop_once_for_a_pod_being_deleted_over_several_polls():
    state, actions = sim.plan({"n1": "a"}, [_p("a", "n1", deleting=True)], {"n1"})
    assert len(actions) == 1
    assert sim.plan(state, [_p("a", "n1", deleting=True)], {"n1"}) == (state, [])
    assert sim.plan(state, [], {"n1"}) == (state, [])


# ------------------------------------------------------------------ part 2: the lab
def _vswitchd_pid(node):
    r = L.podman_exec(node, "systemctl", "show", "-p", "MainPID", "--value", "ovs-vswitchd.service")
    return int(r.stdout.strip() or 0)


def test_deleting_the_pod_restarts_the_nodes_vswitchd(core):
    if lab_config().get("CNI") != "kube-ovn" or not os.path.exists(L.INVENTORY):
        pytest.skip("needs the CNI=kube-ovn lab with node hosts")
    nodes = L.group_hosts(L.inventory(), "kube_node")
    node, others = nodes[-1], nodes[:-1]
    pods = core.list_namespaced_pod("kube-system", label_selector="app=ovs",
                                    field_selector="spec.nodeName=" + node).items
    assert len(pods) == 1, [p.metadata.name for p in pods]
    old_pod = pods[0].metadata.name
    before = {n: _vswitchd_pid(n) for n in nodes}
    assert all(before.values()), before
    core.delete_namespaced_pod(old_pod, "kube-system")
    new = wait_for("a new Running ovs-ovn pod on " + node,
                   lambda: [p for p in core.list_namespaced_pod(
                       "kube-system", label_selector="app=ovs", field_selector="spec.nodeName=" + node).items
                       if p.metadata.name != old_pod and p.status.phase == "Running"],
                   lambda pods_: len(pods_) == 1, timeout=60)
    after = wait_for("a new vswitchd on " + node, lambda: _vswitchd_pid(node),
                     lambda pid: pid not in (0, before[node]), timeout=60)
    assert after != before[node]
    assert {n: _vswitchd_pid(n) for n in others} == {n: before[n] for n in others}
    with open(os.path.join(os.environ.get("LAB_STATE", os.path.join(ROOT, "lab", ".state")), "logs", "ovs-pod-sim.log"), encoding="utf-8") as f:
        log = f.read()
    assert f"{node}: pod {old_pod} " in log and f"{node}: pod {new[0].metadata.name} running: systemctl start" in log, log
