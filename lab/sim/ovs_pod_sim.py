# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SIMULATION (lab only): the container lifecycle of Kube-OVN's ovs-ovn DaemonSet pods.

The lab's ovs-ovn pods are KWOK pods: they run no process, while each node host (a Podman
container, lab/nodes/) runs the real ovs-vswitchd as a systemd service. On a real cluster the
kubelet stops the pod's vswitchd when the pod is deleted (its termination) and the new pod's
start-ovs.sh starts one. This process plays exactly those two edges and nothing else, so that
the role `cni.ovs.ovs_hot_upgrade` in DaemonSet mode runs unchanged (no lab-only task in it):

  * a node's pod the simulator knew gets a deletionTimestamp or disappears
      -> `systemctl stop ovs-vswitchd.service` on that node host ("terminated");
  * after that, a pod of the node is Running and not being deleted
      -> `systemctl start ovs-vswitchd.service` on that node host ("started").

A pod seen for the first time on a node without a termination before it is adopted without any
action (the lab starts vswitchd itself). Nodes without a node host (KWOK-only) are ignored.
The plain `systemctl stop` also stops the node host's ovsdb-server (Debian's
openvswitch-switch.service Requires= ovs-vswitchd and ovsdb-server is PartOf= it), and the
start brings it back: as the real pod's termination stops the ovsdb-server the ovs-ovn pod runs
too (its DB file is on the host, so flow-restore-wait set before survives). Real on a real
cluster, and NOT here: the container runtime, image pulls. docs/lab.md lists what is simulated.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

NAMESPACE = "kube-system"
SELECTOR = "app=ovs"
STOP = ["systemctl", "stop", "ovs-vswitchd.service"]
START = ["systemctl", "start", "ovs-vswitchd.service"]
TERMINATED = ""  # state of a node whose pod was terminated and has no successor yet


def plan(state: dict, pods: list[dict], hosts: set, names: dict | None = None) -> tuple[dict, list[tuple]]:
    """Pure decision: (new state, actions).

    state: node -> uid of the pod whose vswitchd runs, or TERMINATED.
    pods:  [{'uid', 'name', 'node', 'phase', 'deleting'}] of the DaemonSet.
    hosts: node names that have a node host.
    names: uid -> pod name of pods seen before (names a pod that is gone).
    actions: ('stop'|'start', node, pod name, reason).
    """
    new = dict(state)
    actions = []
    by_node: dict = {}
    for p in pods:
        if p.get("node") in hosts:
            by_node.setdefault(p["node"], []).append(p)
    for node in sorted(hosts):
        mine = by_node.get(node, [])
        known = new.get(node)
        if known:  # a pod runs this node's vswitchd: terminated when it goes or is being deleted
            cur = [p for p in mine if p["uid"] == known]
            if not cur or cur[0]["deleting"]:
                name = cur[0]["name"] if cur else (names or {}).get(known, known)
                actions.append(("stop", node, name, "deleted" if not cur else "terminating"))
                new[node] = TERMINATED
                known = TERMINATED
        live = [p for p in mine if not p["deleting"] and p["phase"] == "Running"]
        if known is None:
            if live:  # first sight: adopt, the node host started vswitchd itself
                new[node] = live[0]["uid"]
        elif known == TERMINATED and live:
            actions.append(("start", node, live[0]["name"], "running"))
            new[node] = live[0]["uid"]
    return new, actions


def _pod(obj) -> dict:
    return {"uid": obj.metadata.uid, "name": obj.metadata.name, "node": obj.spec.node_name,
            "phase": obj.status.phase if obj.status else None,
            "deleting": obj.metadata.deletion_timestamp is not None}


def _hosts(prefix: str) -> set:
    out = subprocess.run(["podman", "ps", "--format", "{{.Names}}"], capture_output=True, text=True, check=False)
    return {n for n in out.stdout.split() if n.startswith(prefix)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="ovs_pod_sim.py")
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--host-prefix", default="lab-node-")
    ap.add_argument("--interval", type=float, default=0.5)
    args = ap.parse_args(argv)
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    v1 = client.CoreV1Api(config.new_client_from_config(config_file=args.kubeconfig))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("ovs-pod-sim: running (SIMULATION of the ovs-ovn pods' container lifecycle)", flush=True)
    state: dict = {}
    names: dict = {}
    hosts: set = set()
    last_hosts = 0.0
    while not stop:
        try:
            if time.monotonic() - last_hosts > 10:
                hosts, last_hosts = _hosts(args.host_prefix), time.monotonic()
            pods = [_pod(p) for p in v1.list_namespaced_pod(NAMESPACE, label_selector=SELECTOR).items]
            state, actions = plan(state, pods, hosts, names)
            names = {uid: names[uid] for uid in state.values() if uid in names}
            names.update((p["uid"], p["name"]) for p in pods)
            for verb, node, pod, why in actions:
                argv_ = ["podman", "exec", node] + (STOP if verb == "stop" else START)
                r = subprocess.run(argv_, capture_output=True, text=True, check=False, timeout=120)
                print(f"ovs-pod-sim: {node}: pod {pod} {why}: {' '.join(argv_[3:])} -> rc {r.returncode}"
                      f"{(' ' + r.stderr.strip()) if r.returncode else ''}", flush=True)
        except Exception as e:  # pylint: disable=broad-exception-caught
            print(f"ovs-pod-sim: pass failed, retrying: {e}", flush=True)
        time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
