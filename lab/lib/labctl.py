# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kubernetes-side steps of the lab, with the kubernetes Python client (no kubectl).

  labctl.py --kubeconfig K nodes N CNI        create lab-node-1..N (existing ones untouched)
  labctl.py --kubeconfig K apply FILE...      create missing objects (CRDs first, wait Established)
  labctl.py --kubeconfig K wait-nodes N SECS  wait until lab-node-1..N are Ready
  labctl.py --kubeconfig K wait-rollouts SECS wait until every Deployment/DaemonSet rolled out
  labctl.py --kubeconfig K status             nodes and pods, one line each
  labctl.py --kubeconfig K ensure N CNI SECS FILE...   nodes + apply + wait-nodes, one process

Everything is idempotent: objects and nodes are only created when missing, so a second
run changes nothing, and keeps what tests or roles changed on the lab since.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

import yaml
from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

FIELD_MANAGER = "cni-ovs-lab"
NODE_IP_BASE = "198.18.0."
KUBE_VERSION = os.environ.get("K8S_VERSION", "v1.36.3")


def node_name(i: int) -> str:
    return f"lab-node-{i}"


def node_object(i: int, cni: str, kube_version: str = KUBE_VERSION) -> dict:
    """The Node lab-node-<i> as a kubelet of that CNI's distribution would register it."""
    name = node_name(i)
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
    }
    annotations = {"node.alpha.kubernetes.io/ttl": "0"}
    os_image = "Debian GNU/Linux 12 (bookworm)"
    runtime = "containerd://1.7.24"
    if i == 1:
        labels["node-role.kubernetes.io/control-plane"] = ""
    if cni == "kube-ovn" and i <= 3:
        labels["kube-ovn/role"] = "master"
    if cni == "openshift-sdn":
        os_image = "Red Hat Enterprise Linux CoreOS 418.94.202501221327-0"
        runtime = "cri-o://1.31.4-3.rhaos4.18.gitd5bf1a8.el9"
        pool = "master" if i == 1 else "worker"
        labels[f"node-role.kubernetes.io/{pool}"] = ""
        rendered = f"rendered-{pool}-{SDN_RENDERED_SUFFIX}"
        annotations.update({
            "machineconfiguration.openshift.io/currentConfig": rendered,
            "machineconfiguration.openshift.io/desiredConfig": rendered,
            "machineconfiguration.openshift.io/state": "Done",
        })
    resources = {"cpu": "4", "memory": "8148204Ki", "pods": "110", "ephemeral-storage": "51175Mi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "spec": {},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": f"{NODE_IP_BASE}{10 + i}"},
                {"type": "Hostname", "address": name},
            ],
            "capacity": dict(resources),
            "allocatable": dict(resources),
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "osImage": os_image,
                "kernelVersion": "6.1.0-28-amd64",
                "containerRuntimeVersion": runtime,
                "kubeletVersion": kube_version,
                "kubeProxyVersion": kube_version,
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
        },
    }


# Name suffix of the rendered MachineConfigs that the OpenShiftSDN cluster starts with;
# lab/manifests/openshift-sdn creates them, lab/sim/openshift_sim.py renders new ones.
SDN_RENDERED_SUFFIX = "0sdn"


def node_ready(node) -> bool:
    for cond in (node.status.conditions or []) if node.status else []:
        if cond.type == "Ready":
            return cond.status == "True"
    return False


HOST_LABEL = "cni-ovs.lab/kubelet"


def cmd_nodes(api: client.ApiClient, count: int, cni: str, real_kubelets: int = 0) -> int:
    """Create the missing Nodes. The first `real_kubelets` are run by a real kubelet on a node
    host (LAB_KUBELET=real): labelled for it from the start, so that KWOK never plays them."""
    core = client.CoreV1Api(api)
    existing = {n.metadata.name for n in core.list_node().items}
    created = 0
    for i in range(1, count + 1):
        if node_name(i) in existing:
            continue
        obj = node_object(i, cni)
        if i <= real_kubelets:
            obj["metadata"]["labels"][HOST_LABEL] = "host"
            del obj["status"]  # the kubelet reports it
        core.create_node(obj, field_manager=FIELD_MANAGER)
        created += 1
    print(f"nodes: {created} created, {count - created} already present")
    return 0


def cmd_wait_nodes(api: client.ApiClient, count: int, timeout: float, first: int = 1) -> int:
    core = client.CoreV1Api(api)
    want = {node_name(i) for i in range(first, count + 1)}
    deadline = time.monotonic() + timeout
    while True:
        ready = {n.metadata.name for n in core.list_node().items if node_ready(n)}
        missing = sorted(want - ready, key=lambda s: int(s.rsplit("-", 1)[1]))
        if not missing:
            print(f"nodes: all {len(want)} Ready")
            return 0
        if time.monotonic() > deadline:
            print(f"nodes: not Ready after {timeout:.0f}s: {', '.join(missing[:10])}"
                  f"{' ...' if len(missing) > 10 else ''}", file=sys.stderr)
            return 1
        time.sleep(0.5)


def load_docs(paths: list[str]) -> list[dict]:
    docs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            docs.extend(d for d in yaml.safe_load_all(f) if d)
    return docs


def _apply_one(dyn: dynamic.DynamicClient, doc: dict) -> str:
    """Create the object if it does not exist; an existing one is left as it is, so a
    second lab-up keeps what tests, simulators or roles changed since."""
    res = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    meta = doc["metadata"]
    ns = (meta.get("namespace") or "default") if res.namespaced else None
    try:
        res.get(name=meta["name"], namespace=ns)
        return "present"
    except ApiException as e:
        if e.status != 404:
            raise
    res.server_side_apply(body=doc, name=meta["name"], namespace=ns, field_manager=FIELD_MANAGER)
    return "created"


def _wait_crds(api: client.ApiClient, names: list[str], timeout: float = 60) -> None:
    ext = client.ApiextensionsV1Api(api)
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            crd = ext.read_custom_resource_definition(name)
            conds = (crd.status.conditions or []) if crd.status else []
            if any(c.type == "Established" and c.status == "True" for c in conds):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"CRD {name} not Established after {timeout:.0f}s")
            time.sleep(0.2)


APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def apparmor_enabled(path: str = "/sys/module/apparmor/parameters/enabled") -> bool:
    """What a kubelet checks before it runs a pod that asks for an AppArmor profile."""
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip().upper().startswith("Y")
    except OSError:
        return False


def drop_apparmor(docs: list[dict]) -> list[str]:
    """Remove the AppArmor annotations of pod templates; return what was removed.

    A real kubelet rejects a pod that asks for an AppArmor profile on a host without AppArmor
    (this kernel has none): with LAB_KUBELET=real such pods could never run. The KWOK lab keeps
    them (NCP's nsx-node-agent names its profile there, and nsx_node_prep reads it)."""
    removed = []
    for doc in docs:
        ann = (((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {}
        for key in [k for k in ann if k.startswith(APPARMOR_ANNOTATION)]:
            del ann[key]
            removed.append(f"{doc['kind']} {doc['metadata']['name']}: {key}")
    return removed


def cmd_apply(api: client.ApiClient, paths: list[str], real_kubelets: int = 0) -> int:
    docs = load_docs(paths)
    if real_kubelets and not apparmor_enabled():
        for what in drop_apparmor(docs):
            print(f"apply: no AppArmor on this host, real kubelets: dropped {what}")
    crds = [d for d in docs if d["kind"] == "CustomResourceDefinition"]
    namespaces = [d for d in docs if d["kind"] == "Namespace"]
    rest = [d for d in docs if d not in crds and d not in namespaces]
    dyn = dynamic.DynamicClient(api)
    counts: dict[str, int] = {}
    for doc in crds + namespaces:
        r = _apply_one(dyn, doc)
        counts[r] = counts.get(r, 0) + 1
    if crds:
        _wait_crds(api, [d["metadata"]["name"] for d in crds])
        dyn = dynamic.DynamicClient(api)  # fresh discovery sees the new kinds
        dyn.resources.invalidate_cache()
    for doc in rest:
        r = _apply_one(dyn, doc)
        counts[r] = counts.get(r, 0) + 1
    print("apply: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 0


def rollout_done(obj) -> bool:
    """Deployment/DaemonSet rolled out, as `kubectl rollout status` decides it."""
    st = obj.status
    if st is None or (st.observed_generation or 0) < obj.metadata.generation:
        return False
    if obj.kind == "DaemonSet" or hasattr(st, "desired_number_scheduled"):
        want = st.desired_number_scheduled or 0
        return (st.updated_number_scheduled or 0) >= want and (st.number_available or 0) >= want
    want = obj.spec.replicas if obj.spec.replicas is not None else 1
    return ((st.updated_replicas or 0) >= want and (st.available_replicas or 0) >= want
            and (st.replicas or 0) == (st.updated_replicas or 0))


def cmd_wait_rollouts(api: client.ApiClient, timeout: float) -> int:
    apps = client.AppsV1Api(api)
    deadline = time.monotonic() + timeout
    while True:
        pending = []
        for d in apps.list_deployment_for_all_namespaces().items:
            d.kind = "Deployment"
            if not rollout_done(d):
                pending.append(f"deployment {d.metadata.namespace}/{d.metadata.name}")
        for d in apps.list_daemon_set_for_all_namespaces().items:
            d.kind = "DaemonSet"
            if not rollout_done(d):
                pending.append(f"daemonset {d.metadata.namespace}/{d.metadata.name}")
        if not pending:
            print("rollouts: all complete")
            return 0
        if time.monotonic() > deadline:
            print(f"rollouts: not complete after {timeout:.0f}s: {', '.join(pending)}", file=sys.stderr)
            return 1
        time.sleep(0.5)


def cmd_status(api: client.ApiClient) -> int:
    core = client.CoreV1Api(api)
    nodes = core.list_node().items
    ready = sum(1 for n in nodes if node_ready(n))
    print(f"nodes: {len(nodes)} ({ready} Ready)")
    for n in sorted(nodes, key=lambda n: n.metadata.name):
        roles = ",".join(sorted(k.split("/", 1)[1] for k in (n.metadata.labels or {})
                                if k.startswith("node-role.kubernetes.io/"))) or "-"
        ip = next((a.address for a in (n.status.addresses or []) if a.type == "InternalIP"), "-")
        kubelet = (n.metadata.labels or {}).get("cni-ovs.lab/kubelet", "kwok")
        taints = ",".join(f"{t.key}:{t.effect}" for t in (n.spec.taints or [])) or "-"
        print(f"  {n.metadata.name:14} {'Ready' if node_ready(n) else 'NotReady':9} {ip:15} "
              f"roles={roles} kubelet={kubelet} taints={taints}")
    pods = core.list_pod_for_all_namespaces().items
    print(f"pods: {len(pods)}")
    for p in sorted(pods, key=lambda p: (p.metadata.namespace, p.metadata.name)):
        print(f"  {p.metadata.namespace + '/' + p.metadata.name:60} {p.status.phase or '-':9} "
              f"{p.spec.node_name or '-'}")
    return 0


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `labctl.py status | head` ends quietly
    ap = argparse.ArgumentParser(prog="labctl.py")
    ap.add_argument("--kubeconfig", required=True)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("nodes")
    p.add_argument("count", type=int)
    p.add_argument("cni")
    p = sub.add_parser("apply")
    p.add_argument("files", nargs="+")
    p = sub.add_parser("wait-nodes")
    p.add_argument("count", type=int)
    p.add_argument("timeout", type=float)
    p = sub.add_parser("wait-rollouts")
    p.add_argument("timeout", type=float)
    sub.add_parser("status")
    p = sub.add_parser("ensure")
    p.add_argument("count", type=int)
    p.add_argument("cni")
    p.add_argument("timeout", type=float)
    p.add_argument("files", nargs="+")
    p.add_argument("--real-kubelets", type=int, default=0,
                   help="the first N nodes run a real kubelet: not waited for here")
    args = ap.parse_args(argv)
    api = config.new_client_from_config(config_file=args.kubeconfig)
    if args.cmd == "ensure":
        return (cmd_nodes(api, args.count, args.cni, args.real_kubelets)
                or cmd_apply(api, args.files, args.real_kubelets)
                or (args.real_kubelets < args.count
                    and cmd_wait_nodes(api, args.count, args.timeout, first=args.real_kubelets + 1)))
    if args.cmd == "nodes":
        return cmd_nodes(api, args.count, args.cni)
    if args.cmd == "apply":
        return cmd_apply(api, args.files)
    if args.cmd == "wait-nodes":
        return cmd_wait_nodes(api, args.count, args.timeout)
    if args.cmd == "wait-rollouts":
        return cmd_wait_rollouts(api, args.timeout)
    return cmd_status(api)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
