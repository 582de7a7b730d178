# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's Kubernetes controllers are the real ones, at work.

The tests only create objects and change specs; everything they assert on (ReplicaSets,
pods, node placement, evictions, NotReady, taints) is done by kube-controller-manager,
kube-scheduler and KWOK.  Each test uses its own namespace / nodes and removes them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import uuid

import pytest
from kubernetes import client

from conftest import lab_paths, node_ready_status, ready_schedulable_nodes, wait_for, wait_until

TOLERATE_ALL = [client.V1Toleration(operator="Exists")]


def _deployment(name: str, replicas: int, image: str) -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            strategy=client.V1DeploymentStrategy(
                type="RollingUpdate",
                rolling_update=client.V1RollingUpdateDeployment(max_surge=1, max_unavailable=0)),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="app", image=image)]))))


def _rolled_out(d: client.V1Deployment, replicas: int) -> bool:
    st = d.status
    return (st.observed_generation or 0) >= d.metadata.generation and \
        (st.updated_replicas or 0) == replicas and (st.available_replicas or 0) == replicas and \
        (st.replicas or 0) == replicas


def test_deployment_scales_and_completes_rollout(apps, core, namespace):
    apps.create_namespaced_deployment(namespace, _deployment("web", 2, "docker.io/library/nginx:1.27.3"))
    wait_until("2 replicas available", lambda: _rolled_out(
        apps.read_namespaced_deployment("web", namespace), 2))

    apps.patch_namespaced_deployment_scale("web", namespace, {"spec": {"replicas": 5}})
    wait_until("scale-out to 5", lambda: _rolled_out(apps.read_namespaced_deployment("web", namespace), 5))
    pods = core.list_namespaced_pod(namespace, label_selector="app=web").items
    assert len(pods) == 5
    assert all(p.spec.node_name for p in pods), "the scheduler bound every pod"
    assert all(p.status.phase == "Running" for p in pods)

    first_rs = {rs.metadata.name for rs in apps.list_namespaced_replica_set(namespace).items}
    apps.patch_namespaced_deployment("web", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": "docker.io/library/nginx:1.27.4"}]}}}})
    dep = wait_for("rollout of the new image", lambda: apps.read_namespaced_deployment("web", namespace),
                   lambda d: _rolled_out(d, 5) and d.metadata.generation == 3, timeout=120)
    conds = {c.type: c for c in dep.status.conditions}
    assert conds["Progressing"].reason == "NewReplicaSetAvailable"
    rsets = apps.list_namespaced_replica_set(namespace).items
    new = [rs for rs in rsets if rs.metadata.name not in first_rs]
    old = [rs for rs in rsets if rs.metadata.name in first_rs]
    assert len(new) == 1 and new[0].status.replicas == 5
    assert old and all(rs.spec.replicas == 0 for rs in old), "the old ReplicaSet was scaled down"
    images = {p.spec.containers[0].image for p in core.list_namespaced_pod(
        namespace, label_selector="app=web").items if p.metadata.deletion_timestamp is None}
    assert images == {"docker.io/library/nginx:1.27.4"}


def test_daemonset_one_pod_per_node_and_template_rollout(apps, core, namespace):
    labels = {"app": "agent"}
    ds = client.V1DaemonSet(
        metadata=client.V1ObjectMeta(name="agent"),
        spec=client.V1DaemonSetSpec(
            selector=client.V1LabelSelector(match_labels=labels),
            update_strategy=client.V1DaemonSetUpdateStrategy(
                type="RollingUpdate",
                rolling_update=client.V1RollingUpdateDaemonSet(max_unavailable=1)),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    tolerations=TOLERATE_ALL,
                    containers=[client.V1Container(name="agent", image="quay.io/example/agent:1.0")]))))
    apps.create_namespaced_daemon_set(namespace, ds)
    nodes = {n.metadata.name for n in core.list_node().items if node_ready_status(n) == "True"}

    def pods_by_node():
        out = {}
        for p in core.list_namespaced_pod(namespace, label_selector="app=agent").items:
            if p.metadata.deletion_timestamp is None and p.status.phase == "Running":
                out.setdefault(p.spec.node_name, []).append(p)
        return out

    placed = wait_for("one agent pod on every Ready node", pods_by_node, lambda m: set(m) >= nodes, timeout=90)
    assert all(len(v) == 1 for v in placed.values()), {k: len(v) for k, v in placed.items()}
    first_uids = {p.metadata.uid for v in placed.values() for p in v}

    apps.patch_namespaced_daemon_set("agent", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "agent", "image": "quay.io/example/agent:1.1"}]}}}})

    def rolled():
        d = apps.read_namespaced_daemon_set("agent", namespace)
        st = d.status
        if (st.observed_generation or 0) < 2 or st.updated_number_scheduled != st.desired_number_scheduled \
                or st.number_available != st.desired_number_scheduled:
            return None
        pods = [p for v in pods_by_node().values() for p in v]
        return pods if {p.spec.containers[0].image for p in pods} == {"quay.io/example/agent:1.1"} else None

    pods = wait_until("DaemonSet template rollout", rolled, timeout=120)
    assert len(pods) == len({p.spec.node_name for p in pods}) >= len(nodes)
    assert not first_uids & {p.metadata.uid for p in pods}, "every pod was replaced"


def _test_node(name: str, labels: dict | None = None) -> client.V1Node:
    labels = dict(labels or {}, **{"kubernetes.io/hostname": name, "cni-ovs.lab/test": "true"})
    return client.V1Node(metadata=client.V1ObjectMeta(name=name, labels=labels))


@pytest.fixture()
def scratch_node(core):
    """A Node of the test's own (managed by the lab's kwok), deleted afterwards."""
    created = []

    def make(labels=None):
        name = "labtest-node-" + uuid.uuid4().hex[:6]
        core.create_node(_test_node(name, labels))
        created.append(name)
        return name

    yield make
    for name in created:
        try:
            core.delete_node(name)
        except client.ApiException as e:
            if e.status != 404:
                raise


def test_noexecute_taint_evicts_only_pods_without_toleration(core, scratch_node, namespace):
    node = scratch_node()
    wait_until(f"{node} Ready", lambda: node_ready_status(core.read_node(node)) == "True")
    for name, tolerations in (("plain", None), ("tolerant", [client.V1Toleration(
            key="cni-ovs.lab/maintenance", operator="Exists", effect="NoExecute")])):
        core.create_namespaced_pod(namespace, client.V1Pod(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1PodSpec(node_name=node, tolerations=tolerations,
                                  containers=[client.V1Container(name="c", image="docker.io/library/busybox:1.36")])))
    wait_until("both pods Running", lambda: all(
        core.read_namespaced_pod(n, namespace).status.phase == "Running" for n in ("plain", "tolerant")))

    core.patch_node(node, {"spec": {"taints": [
        {"key": "cni-ovs.lab/maintenance", "value": "true", "effect": "NoExecute"}]}})

    def plain_gone():
        try:
            pod = core.read_namespaced_pod("plain", namespace)
        except client.ApiException as e:
            return e.status == 404
        return pod.metadata.deletion_timestamp is not None

    wait_until("the taint manager evicts the pod without toleration", plain_gone, timeout=60)
    events = core.list_namespaced_event(namespace, field_selector="involvedObject.name=plain").items
    assert any(e.reason == "TaintManagerEviction" for e in events), [e.reason for e in events]
    tolerant = core.read_namespaced_pod("tolerant", namespace)
    assert tolerant.metadata.deletion_timestamp is None
    assert tolerant.status.phase == "Running"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_node_turns_notready_when_its_kwok_stops(core, scratch_node):
    """A node whose 'kubelet' (its own kwok, as on a node host) stops turns NotReady."""
    paths = lab_paths()
    from conftest import KUBECONFIG  # pylint: disable=import-outside-toplevel
    node = scratch_node({"cni-ovs.lab/kubelet": "host"})  # the lab's own kwok leaves it alone
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [paths["KWOK_BIN"], f"--kubeconfig={KUBECONFIG}", f"--config={paths['KWOK_CONFIG']}",
             f"--manage-single-node={node}",
             f"--node-lease-duration-seconds={paths['LAB_NODE_LEASE_SECONDS']}",
             f"--server-address=127.0.0.1:{_free_port()}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(f"{node} Ready under its own kwok",
                       lambda: node_ready_status(core.read_node(node)) == "True", timeout=60)
            from kubernetes.client import CoordinationV1Api  # pylint: disable=import-outside-toplevel
            lease = CoordinationV1Api(core.api_client).read_namespaced_lease(node, "kube-node-lease")
            assert lease.spec.lease_duration_seconds == int(paths["LAB_NODE_LEASE_SECONDS"])
            assert lease.spec.renew_time is not None
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        grace = int(paths["LAB_NODE_GRACE_SECONDS"])
        wait_until(f"{node} NotReady after its kwok stopped",
                   lambda: node_ready_status(core.read_node(node)) == "Unknown", timeout=grace + 40)
    n = core.read_node(node)
    ready = next(c for c in n.status.conditions if c.type == "Ready")
    assert ready.reason == "NodeStatusUnknown", ready
    # The node lifecycle controller then taints it so its pods get evicted.
    wait_until("unreachable taint", lambda: any(
        t.key == "node.kubernetes.io/unreachable" and t.effect == "NoExecute"
        for t in (core.read_node(node).spec.taints or [])), timeout=30)


def test_scheduler_respects_node_selector(core, namespace):
    nodes = ready_schedulable_nodes(core)
    assert nodes, "the lab has schedulable Ready nodes"
    target = sorted(n.metadata.name for n in nodes)[-1]
    for name, selector in (("pinned", {"kubernetes.io/hostname": target}),
                           ("nowhere", {"cni-ovs.lab/no-such-label": "x"})):
        core.create_namespaced_pod(namespace, client.V1Pod(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1PodSpec(node_selector=selector,
                                  containers=[client.V1Container(name="c", image="docker.io/library/busybox:1.36")])))
    pinned = wait_for("pinned pod bound and Running", lambda: core.read_namespaced_pod("pinned", namespace),
                      lambda p: p.status.phase == "Running")
    assert pinned.spec.node_name == target

    def unschedulable():
        p = core.read_namespaced_pod("nowhere", namespace)
        return any(c.type == "PodScheduled" and c.status == "False" and c.reason == "Unschedulable"
                   for c in (p.status.conditions or []))

    wait_until("scheduler reports Unschedulable", unschedulable)
    assert core.read_namespaced_pod("nowhere", namespace).spec.node_name is None
