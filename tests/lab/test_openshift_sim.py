# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenShift operator SIMULATION (lab/sim/openshift_sim.py).

Part 1 tests its pure decision functions (no lab needed).  Part 2 runs against a lab with
CNI=openshift-sdn (tests/lab/run.sh starts a private KWOK-only one when the main lab runs
another CNI) and walks the migration steps the roles rely on: pause a pool, change the
network type, see the rendered MachineConfig, unpause, see the pool roll node by node,
switch Network.config and see status follow once multus rolled out.
"""

from __future__ import annotations

import os
import sys

import pytest

from conftest import ROOT, lab_config, wait_until

sys.path.insert(0, os.path.join(ROOT, "lab", "sim"))
import openshift_sim as sim  # noqa: E402  pylint: disable=wrong-import-position,import-error

NOW = "2026-01-01T00:00:00Z"


def _node(name, current, desired, state="Done", ready=True, labels=None):
    return {"name": name, "labels": labels or {}, "ready": ready,
            "annotations": {sim.CURRENT: current, sim.DESIRED: desired, sim.STATE: state}}


# ------------------------------------------------------------------ part 1: pure logic
@pytest.mark.parametrize("config_spec, operator_spec, expected", [
    ({"networkType": "OpenShiftSDN"}, {}, "OpenShiftSDN"),
    ({"networkType": "OpenShiftSDN"}, {"migration": {"networkType": "OVNKubernetes"}}, "OVNKubernetes"),
    ({"networkType": "OVNKubernetes"}, {"migration": None}, "OVNKubernetes"),
    ({}, None, "OpenShiftSDN"),
])
def test_target_network_type(config_spec, operator_spec, expected):
    assert sim.target_network_type(config_spec, operator_spec) == expected


def test_rendered_machineconfig_runs_configure_ovs_for_the_network_type():
    mc = sim.rendered_machineconfig("worker", "OVNKubernetes")
    unit = mc["spec"]["config"]["systemd"]["units"][0]
    assert unit["name"] == "ovs-configuration.service"
    assert "ExecStart=/usr/local/bin/configure-ovs.sh OVNKubernetes\n" in unit["contents"]
    assert mc["metadata"]["name"] == sim.rendered_name("worker", "OVNKubernetes")
    assert sim.rendered_name("worker", "OpenShiftSDN") == "rendered-worker-0sdn"
    assert sim.rendered_name("worker", "OVNKubernetes") != sim.rendered_name("master", "OVNKubernetes")


@pytest.mark.parametrize("selector, labels, expected", [
    ({"matchLabels": {"node-role.kubernetes.io/worker": ""}}, {"node-role.kubernetes.io/worker": ""}, True),
    ({"matchLabels": {"node-role.kubernetes.io/worker": ""}}, {"node-role.kubernetes.io/master": ""}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {}, True),
    ({}, {"x": "y"}, True),
])
def test_selector_matches(selector, labels, expected):
    assert sim.selector_matches(selector, labels) is expected


def test_nodes_to_advance_honours_paused_and_max_unavailable():
    spec = {"configuration": {"name": "new"}, "maxUnavailable": 1}
    nodes = [_node("n1", "old", "old"), _node("n2", "old", "old"), _node("n3", "new", "new")]
    assert sim.nodes_to_advance(spec, nodes) == ["n1"]
    assert sim.nodes_to_advance(dict(spec, paused=True), nodes) == []
    busy = [_node("n1", "old", "new", "Working"), _node("n2", "old", "old")]
    assert sim.nodes_to_advance(spec, busy) == [], "one node already updating uses the budget"
    assert sim.nodes_to_advance(dict(spec, maxUnavailable=2), busy) == ["n2"]
    assert sim.nodes_to_advance(dict(spec, maxUnavailable="50%"), nodes) == ["n1"]


def test_pool_status_follows_nodes():
    pool = {"metadata": {"generation": 3}, "spec": {"configuration": {"name": "new"}},
            "status": {"configuration": {"name": "old"}}}
    nodes = [_node("n1", "new", "new"), _node("n2", "old", "new", "Working"), _node("n3", "old", "old", ready=False)]
    st = sim.pool_status(pool, nodes, NOW)
    assert (st["machineCount"], st["updatedMachineCount"], st["readyMachineCount"],
            st["unavailableMachineCount"], st["degradedMachineCount"]) == (3, 1, 1, 2, 0)
    conds = {c["type"]: c["status"] for c in st["conditions"]}
    assert conds["Updated"] == "False" and conds["Updating"] == "True" and conds["Degraded"] == "False"
    assert st["configuration"] == {"name": "old"}, "status.configuration moves only when all nodes are done"
    assert st["observedGeneration"] == 3

    paused = dict(pool, spec={"configuration": {"name": "new"}, "paused": True})
    conds = {c["type"]: c["status"] for c in sim.pool_status(paused, nodes, NOW)["conditions"]}
    assert conds["Updated"] == "False" and conds["Updating"] == "False"

    done = [_node(n, "new", "new") for n in ("n1", "n2", "n3")]
    st = sim.pool_status(pool, done, NOW)
    assert st["configuration"] == {"name": "new"} and st["updatedMachineCount"] == 3
    assert {c["type"]: c["status"] for c in st["conditions"]}["Updated"] == "True"
    degraded = sim.pool_status(pool, [_node("n1", "new", "new", "Degraded")], NOW)
    assert degraded["degradedMachineCount"] == 1
    assert {c["type"]: c["status"] for c in degraded["conditions"]}["Degraded"] == "True"


def test_pool_status_keeps_transition_time_of_unchanged_conditions():
    pool = {"metadata": {"generation": 1}, "spec": {"configuration": {"name": "a"}}, "status": {}}
    first = sim.pool_status(pool, [_node("n1", "a", "a")], NOW)
    again = sim.pool_status(dict(pool, status=first), [_node("n1", "a", "a")], "2030-01-01T00:00:00Z")
    assert again == first, "an unchanged pool produces an identical status (no write)"


def _multus(net, generation=2, observed=2, desired=3, updated=3, available=3):
    return {"metadata": {"generation": generation},
            "spec": {"template": {"metadata": {"annotations": {sim.MULTUS_ANNOTATION: net} if net else {}}}},
            "status": {"observedGeneration": observed, "desiredNumberScheduled": desired,
                       "updatedNumberScheduled": updated, "numberAvailable": available}}


def test_network_status_follows_spec_after_multus_rollout():
    cfg = {"spec": {"networkType": "OpenShiftSDN", "clusterNetwork": [{"cidr": "198.19.128.0/17"}],
                    "serviceNetwork": ["198.19.0.0/20"]}, "status": {}}
    status, rollout = sim.network_status(cfg, _multus(None))
    assert status["networkType"] == "OpenShiftSDN" and rollout is None
    assert status["serviceNetwork"] == ["198.19.0.0/20"]

    cfg = {"spec": {"networkType": "OVNKubernetes"}, "status": status}
    assert sim.network_status(cfg, _multus(None)) == (None, "OVNKubernetes"), "first roll multus out"
    assert sim.network_status(cfg, _multus("OVNKubernetes", updated=1)) == (None, None), "wait for rollout"
    assert sim.network_status(cfg, _multus("OVNKubernetes", generation=3, observed=2)) == (None, None)
    status2, rollout = sim.network_status(cfg, _multus("OVNKubernetes"))
    assert rollout is None and status2["networkType"] == "OVNKubernetes"
    assert sim.network_status({"spec": cfg["spec"], "status": status2}, _multus("OVNKubernetes")) == (None, None)


def test_plugin_objects_per_network_type():
    for net, ns_name, ds_name in (("OpenShiftSDN", "openshift-sdn", "sdn"),
                                  ("OVNKubernetes", "openshift-ovn-kubernetes", "ovnkube-node")):
        ns, ds = sim.plugin_objects(net)
        assert ns["metadata"]["name"] == ds["metadata"]["namespace"] == ns_name
        assert ds["metadata"]["name"] == ds_name
        assert ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items()
        # real kubelets run it from the lab's image, never pulling (no registry here)
        container = ds["spec"]["template"]["spec"]["containers"][0]
        assert (container["image"], container["imagePullPolicy"]) == (sim.LAB_IMAGE, "Never")
        assert container["command"] == ["openshift-sim-pod", ds_name]


def test_mcd_patch_working_then_done_after_the_apply_time():
    ann = {sim.CURRENT: "rendered-worker-0sdn", sim.DESIRED: "rendered-worker-abc", sim.STATE: "Done"}
    assert sim.mcd_patch(ann, None) == {sim.STATE: "Working", sim.ANN + "reason": ""}
    working = dict(ann, **{sim.STATE: "Working"})
    assert sim.mcd_patch(working, None) is None                        # not timed yet
    assert sim.mcd_patch(working, sim.MCD_APPLY_SECONDS - 0.5) is None
    assert sim.mcd_patch(working, sim.MCD_APPLY_SECONDS) == {sim.CURRENT: "rendered-worker-abc", sim.STATE: "Done"}
    # up to date, or no desiredConfig at all: nothing to do
    assert sim.mcd_patch({sim.CURRENT: "a", sim.DESIRED: "a", sim.STATE: "Done"}, None) is None
    assert sim.mcd_patch({}, None) is None
    assert sim.mcd_patch(None, 10.0) is None


# ------------------------------------------------------------------ part 2: on the lab
@pytest.fixture(scope="module")
def openshift_lab(k8s_api):
    # The flow migrates the cluster: it runs only on a disposable lab that tests/lab/run.sh
    # starts for it (LAB_DISPOSABLE=1), never on the lab a person started.
    if lab_config().get("CNI") != "openshift-sdn" or os.environ.get("LAB_DISPOSABLE") != "1":
        pytest.skip("needs a disposable CNI=openshift-sdn lab (tests/lab/run.sh starts one)")
    from kubernetes import dynamic  # pylint: disable=import-outside-toplevel
    dyn = dynamic.DynamicClient(k8s_api)
    mc_api = "machineconfiguration.openshift.io/v1"
    return {
        "mcp": dyn.resources.get(api_version=mc_api, kind="MachineConfigPool"),
        "mc": dyn.resources.get(api_version=mc_api, kind="MachineConfig"),
        "netcfg": dyn.resources.get(api_version="config.openshift.io/v1", kind="Network"),
        "netop": dyn.resources.get(api_version="operator.openshift.io/v1", kind="Network"),
    }


MERGE = "application/merge-patch+json"


def _pool(r, name):
    return r["mcp"].get(name=name)


def _cond(pool, ctype):
    return next((c.status for c in (pool.status.conditions or []) if c.type == ctype), None)


def test_openshift_migration_flow(openshift_lab, core, apps):
    r = openshift_lab
    net = r["netcfg"].get(name="cluster")
    assert net.spec.networkType == "OpenShiftSDN", "lab starts on OpenShiftSDN (run on a fresh lab)"
    wait_until("Network.config status initialised", lambda: r["netcfg"].get(name="cluster").status.networkType
               == "OpenShiftSDN")
    for pool in ("master", "worker"):
        wait_until(f"pool {pool} Updated", lambda p=pool: _cond(_pool(r, p), "Updated") == "True")
    workers = [n.metadata.name for n in core.list_node(label_selector="node-role.kubernetes.io/worker").items]
    assert workers

    r["mcp"].patch(name="worker", body={"spec": {"paused": True}}, content_type=MERGE)
    r["netop"].patch(name="cluster", body={"spec": {"migration": {"networkType": "OVNKubernetes"}}},
                     content_type=MERGE)
    want = sim.rendered_name("worker", "OVNKubernetes")
    wait_until("worker pool points at the OVN rendered config",
               lambda: _pool(r, "worker").spec.configuration.name == want)
    unit = r["mc"].get(name=want).spec.config.systemd.units[0]
    assert "ExecStart=/usr/local/bin/configure-ovs.sh OVNKubernetes" in unit.contents
    wait_until("master pool (not paused) updated",
               lambda: _pool(r, "master").status.configuration.name == sim.rendered_name("master", "OVNKubernetes")
               and _cond(_pool(r, "master"), "Updated") == "True")
    paused = _pool(r, "worker")
    assert _cond(paused, "Updated") == "False" and _cond(paused, "Updating") == "False"
    assert paused.status.updatedMachineCount == 0
    for n in workers:
        assert core.read_node(n).metadata.annotations[sim.DESIRED] != want, "paused pool nodes stay"

    r["mcp"].patch(name="worker", body={"spec": {"paused": False}}, content_type=MERGE)
    seen_partial = []

    def worker_done():
        p = _pool(r, "worker")
        if 0 < (p.status.updatedMachineCount or 0) < len(workers):
            seen_partial.append(p.status.updatedMachineCount)
        return p.status.configuration.name == want and _cond(p, "Updated") == "True"

    wait_until("worker pool rolled out", worker_done, timeout=30 + 10 * len(workers), interval=0.3)
    if len(workers) > 1:
        assert seen_partial, "nodes were updated one at a time (maxUnavailable 1)"
    for n in workers:
        ann = core.read_node(n).metadata.annotations
        assert ann[sim.CURRENT] == ann[sim.DESIRED] == want and ann[sim.STATE] == "Done"

    r["netcfg"].patch(name="cluster", body={"spec": {"networkType": "OVNKubernetes"}}, content_type=MERGE)
    wait_until("status.networkType follows spec", lambda: r["netcfg"].get(name="cluster").status.networkType
               == "OVNKubernetes", timeout=60)
    multus = apps.read_namespaced_daemon_set("multus", "openshift-multus")
    assert multus.spec.template.metadata.annotations[sim.MULTUS_ANNOTATION] == "OVNKubernetes"
    assert multus.status.observed_generation >= 2
    assert multus.status.updated_number_scheduled == multus.status.desired_number_scheduled
    # CNO: the operator config and the running plugin follow status.networkType
    wait_until("openshift-ovn-kubernetes/ovnkube-node created by the simulated CNO",
               lambda: any(d.metadata.name == "ovnkube-node"
                           for d in apps.list_namespaced_daemon_set("openshift-ovn-kubernetes").items))
    assert r["netop"].get(name="cluster").spec.defaultNetwork.type == "OVNKubernetes"
    assert apps.read_namespaced_daemon_set("sdn", "openshift-sdn"), "the old plugin is left for the migration to delete"
