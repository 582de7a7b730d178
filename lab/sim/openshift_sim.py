# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SIMULATION of the OpenShift operators that the SDN -> OVN-Kubernetes migration relies on.

OpenShift's cluster-network-operator (CNO) and machine-config-operator (MCO) cannot run
in the lab.  This small controller plays the part of them that the migration observes,
against the real OpenShift CRDs on the real API server; the per-node machine-config
daemon is played by KWOK stages (lab/sim/mcd-stages.d/) on the nodes KWOK runs, and by this
controller (mcd_patch) on the nodes a real kubelet runs (LAB_KUBELET=real, label
cni-ovs.lab/kubelet=host), which KWOK leaves alone. Either way: Working at once, Done ~3 s later.

MCO (controller part):
  * the network type a rendered MachineConfig is made for is the operator Network's
    spec.migration.networkType when set, else Network.config spec.networkType;
  * for each pool it renders MachineConfig rendered-<pool>-<suffix> whose
    ovs-configuration.service runs `/usr/local/bin/configure-ovs.sh <networkType>`, and
    points the pool's spec.configuration at it;
  * unless the pool is spec.paused, it moves nodes of the pool (nodeSelector) to that
    config, maxUnavailable (default 1) at a time, by setting the node annotation
    machineconfiguration.openshift.io/desiredConfig;
  * pool status (machine counts, Updated/Updating/Degraded, status.configuration)
    follows the node annotations currentConfig/desiredConfig/state.
CNO:
  * Network.config status.networkType follows spec.networkType once the multus
    DaemonSet has rolled out with the new network type (the change is written into its
    pod template, so the real DaemonSet controller performs a real rollout);
  * the operator Network's spec.defaultNetwork.type follows status.networkType;
  * the plugin of status.networkType runs: namespace openshift-sdn with DaemonSet sdn
    (OpenShiftSDN) or openshift-ovn-kubernetes with DaemonSet ovnkube-node
    (OVNKubernetes) is created when missing; its pods run the lab's image
    (localhost/cni-ovs-lab/openshift-sim:4.18, lab/nodes/pod-images/openshift) on real
    kubelets.  The other plugin's namespace is left alone, as the real operator leaves it:
    deleting it is the migration's last step.

Pure decision functions are at the top (tested in tests/lab/test_openshift_sim.py); the
loop at the bottom only reads objects, calls them, and writes differences.
Run: python openshift_sim.py --kubeconfig FILE [--interval 1.0] [--once]
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import sys
import time

import simloop  # lab/sim/simloop.py: the loop every lab simulation runs

ANN = "machineconfiguration.openshift.io/"
CURRENT, DESIRED, STATE = ANN + "currentConfig", ANN + "desiredConfig", ANN + "state"
SDN, OVN = "OpenShiftSDN", "OVNKubernetes"
MULTUS_ANNOTATION = "networkoperator.openshift.io/default-network-type"
# Nodes run by a real kubelet (lab/lib/labctl.py HOST_LABEL): the MCD of this controller plays them.
HOST_LABEL = "cni-ovs.lab/kubelet"
MCD_APPLY_SECONDS = 3.0  # Working -> Done, as the KWOK stage's delay
# The lab's image of OpenShift's network pods, in place of the release images (no registry).
LAB_IMAGE = "localhost/cni-ovs-lab/openshift-sim:4.18"

OVS_UNIT = """[Unit]
Description=Configures OVS with proper host networking configuration
Requires=openvswitch.service
Wants=NetworkManager-wait-online.service
After=firstboot-osupdate.target
After=NetworkManager-wait-online.service openvswitch.service network.service nodeip-configuration.service
Before=kubelet-dependencies.target node-valid-hostname.service

[Service]
Type=oneshot
ExecStart=/usr/local/bin/configure-ovs.sh {network_type}
StandardOutput=journal+console
StandardError=journal+console

[Install]
RequiredBy=kubelet-dependencies.target
"""


# ------------------------------------------------------------------ pure functions
def target_network_type(config_spec: dict, operator_spec: dict) -> str:
    """Network type the MCO renders configure-ovs.sh for."""
    migration = (operator_spec or {}).get("migration") or {}
    return migration.get("networkType") or (config_spec or {}).get("networkType") or SDN


def rendered_name(pool: str, network_type: str) -> str:
    """Rendered config name; the lab starts with rendered-<pool>-0sdn for OpenShiftSDN."""
    if network_type == SDN:
        return f"rendered-{pool}-0sdn"
    digest = hashlib.sha256(f"{pool}/{network_type}".encode()).hexdigest()[:10]
    return f"rendered-{pool}-{digest}"


def rendered_machineconfig(pool: str, network_type: str) -> dict:
    return {
        "apiVersion": "machineconfiguration.openshift.io/v1",
        "kind": "MachineConfig",
        "metadata": {
            "name": rendered_name(pool, network_type),
            "labels": {ANN + "role": pool},
            "annotations": {ANN + "generated-by-controller-version": "cni-ovs-lab-sim"},
        },
        "spec": {
            "config": {
                "ignition": {"version": "3.4.0"},
                "systemd": {"units": [{
                    "name": "ovs-configuration.service",
                    "enabled": True,
                    "contents": OVS_UNIT.format(network_type=network_type),
                }]},
            },
            "extensions": [],
            "fips": False,
            "kernelArguments": [],
            "kernelType": "default",
        },
    }


def selector_matches(selector: dict, labels: dict) -> bool:
    """matchLabels/matchExpressions (In, NotIn, Exists, DoesNotExist) against labels."""
    selector = selector or {}
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _max_unavailable(pool_spec: dict, count: int) -> int:
    value = pool_spec.get("maxUnavailable", 1)
    if isinstance(value, str) and value.endswith("%"):
        return max(1, int(count * int(value[:-1]) / 100))
    return max(1, int(value))


def nodes_to_advance(pool_spec: dict, nodes: list[dict]) -> list[str]:
    """Names of pool nodes whose desiredConfig the MCO sets to the pool's config now."""
    target = (pool_spec.get("configuration") or {}).get("name")
    if not target or pool_spec.get("paused"):
        return []
    busy = 0
    waiting = []
    for node in sorted(nodes, key=lambda n: n["name"]):
        ann = node["annotations"]
        if ann.get(DESIRED) != ann.get(CURRENT) or ann.get(STATE) == "Working":
            busy += 1
        elif ann.get(DESIRED) != target:
            waiting.append(node["name"])
    room = _max_unavailable(pool_spec, len(nodes)) - busy
    return waiting[:max(0, room)]


def _condition(ctype: str, status: bool, now: str, old: list, message: str = "") -> dict:
    text = "True" if status else "False"
    for c in old or []:
        if c.get("type") == ctype and c.get("status") == text:
            return dict(c, message=message)
    return {"type": ctype, "status": text, "lastTransitionTime": now, "reason": "", "message": message}


def pool_status(pool: dict, nodes: list[dict], now: str) -> dict:
    """MachineConfigPool status the MCO would report for these nodes."""
    spec, old = pool.get("spec") or {}, pool.get("status") or {}
    target = (spec.get("configuration") or {}).get("name", "")
    updated = [n for n in nodes if n["annotations"].get(CURRENT) == target
               and n["annotations"].get(DESIRED) == target
               and n["annotations"].get(STATE, "Done") == "Done"]
    degraded = [n for n in nodes if n["annotations"].get(STATE) == "Degraded"]
    ready = [n for n in updated if n["ready"]]
    unavailable = [n for n in nodes if not n["ready"] or n["annotations"].get(STATE) == "Working"
                   or n["annotations"].get(DESIRED) != n["annotations"].get(CURRENT)]
    all_updated = len(updated) == len(nodes)
    conds = old.get("conditions") or []
    if all_updated:
        msg = f"All nodes are updated with {target}"
    elif spec.get("paused"):
        msg = "Pool is paused; nodes are not updated"
    else:
        msg = f"All nodes are updating to {target}"
    configuration = old.get("configuration") or {}
    if all_updated:
        configuration = copy.deepcopy(spec.get("configuration") or {})
    return {
        "observedGeneration": pool["metadata"].get("generation", 1),
        "configuration": configuration,
        "machineCount": len(nodes),
        "updatedMachineCount": len(updated),
        "readyMachineCount": len(ready),
        "unavailableMachineCount": len(unavailable),
        "degradedMachineCount": len(degraded),
        "conditions": [
            _condition("Updated", all_updated, now, conds, msg if all_updated else ""),
            _condition("Updating", not all_updated and not spec.get("paused"), now, conds,
                       "" if all_updated or spec.get("paused") else msg),
            _condition("Degraded", bool(degraded), now, conds),
            _condition("NodeDegraded", bool(degraded), now, conds),
            _condition("RenderDegraded", False, now, conds),
        ],
    }


def mcd_patch(annotations: dict, working_seconds: float | None) -> dict | None:
    """Annotations the machine-config daemon of a node writes next, or None (nothing to do).

    working_seconds: how long the node has been Working in this controller's view (None: not
    seen Working). As the KWOK stages (lab/sim/mcd-stages.d/): a node whose desiredConfig
    differs from its currentConfig goes Working at once, and Done with currentConfig =
    desiredConfig after MCD_APPLY_SECONDS."""
    ann = annotations or {}
    desired = ann.get(DESIRED)
    if not desired or desired == ann.get(CURRENT):
        return None
    if ann.get(STATE) != "Working":
        return {STATE: "Working", ANN + "reason": ""}
    if working_seconds is not None and working_seconds >= MCD_APPLY_SECONDS:
        return {CURRENT: desired, STATE: "Done"}
    return None


def status_differs(old: dict, new: dict) -> bool:
    """Compare statuses ignoring lastTransitionTime of unchanged conditions."""
    return (old or {}) != new


def daemonset_rolled_out(ds: dict) -> bool:
    st, meta = ds.get("status") or {}, ds.get("metadata") or {}
    want = st.get("desiredNumberScheduled", 0)
    return (st.get("observedGeneration", 0) >= meta.get("generation", 1)
            and st.get("updatedNumberScheduled", 0) >= want
            and st.get("numberAvailable", 0) >= want)


def network_status(config: dict, multus: dict | None) -> tuple[dict | None, str | None]:
    """(new Network.config status or None, multus network type to roll out or None).

    status.networkType starts as spec.networkType; after a spec change it follows only
    once multus carries the new type in its pod template and has rolled out."""
    spec, status = config.get("spec") or {}, dict(config.get("status") or {})
    want = spec.get("networkType") or SDN
    base = {
        "clusterNetwork": spec.get("clusterNetwork") or [],
        "serviceNetwork": spec.get("serviceNetwork") or [],
    }
    if not status.get("networkType"):
        new = dict(status, **base, networkType=want, clusterNetworkMTU=1450 if want == SDN else 1400)
        return (new if new != status else None), None
    if status["networkType"] == want:
        return None, None
    if multus is None:
        return None, None
    tmpl_ann = ((multus.get("spec") or {}).get("template") or {}).get("metadata", {}).get("annotations") or {}
    if tmpl_ann.get(MULTUS_ANNOTATION) != want:
        return None, want
    if not daemonset_rolled_out(multus):
        return None, None
    new = dict(status, networkType=want, clusterNetworkMTU=1450 if want == SDN else 1400)
    return new, None


# (namespace, DaemonSet) of each plugin; OpenShift's images are quay.io/openshift/origin-sdn and
# origin-ovn-kubernetes, the lab runs LAB_IMAGE (SIMULATION: the pod logs and waits).
PLUGIN = {
    SDN: ("openshift-sdn", "sdn"),
    OVN: ("openshift-ovn-kubernetes", "ovnkube-node"),
}


def plugin_objects(network_type: str) -> tuple[dict, dict]:
    """(Namespace, DaemonSet) the CNO runs for network_type (trimmed)."""
    namespace, name = PLUGIN[network_type]
    ns = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": namespace, "labels": {"openshift.io/run-level": "0"}}}
    ds = {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace,
                     "annotations": {"kubernetes.io/description": f"SIMULATION: {network_type} node agent (cni-ovs lab)"}},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name, "component": "network"}},
                "spec": {"hostNetwork": True, "tolerations": [{"operator": "Exists"}],
                         "nodeSelector": {"kubernetes.io/os": "linux"},
                         "containers": [{"name": name, "image": LAB_IMAGE, "imagePullPolicy": "Never",
                                         "command": ["openshift-sim-pod", name]}]},
            },
        },
    }
    return ns, ds


# ------------------------------------------------------------------ the loop
class Sim:
    def __init__(self, api_client):
        from kubernetes import client, dynamic  # pylint: disable=import-outside-toplevel
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.dyn = dynamic.DynamicClient(api_client)
        self.mcp = self.dyn.resources.get(api_version="machineconfiguration.openshift.io/v1",
                                          kind="MachineConfigPool")
        self.mc = self.dyn.resources.get(api_version="machineconfiguration.openshift.io/v1",
                                         kind="MachineConfig")
        self.netcfg = self.dyn.resources.get(api_version="config.openshift.io/v1", kind="Network")
        self.netop = self.dyn.resources.get(api_version="operator.openshift.io/v1", kind="Network")
        self.api_exception = client.rest.ApiException
        self.working_since: dict[str, float] = {}  # node -> monotonic time this MCD saw it Working

    def _get(self, res, name):
        try:
            return res.get(name=name).to_dict()
        except self.api_exception as e:
            if e.status == 404:
                return None
            raise

    def step(self) -> list[str]:
        """One reconcile pass; returns what it changed (for the log)."""
        did = []
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        config = self._get(self.netcfg, "cluster")
        operator = self._get(self.netop, "cluster")
        if config is None:
            return did
        did += self._network(config)
        network_type = target_network_type(config.get("spec"), (operator or {}).get("spec"))
        nodes = []
        for n in self.core.list_node().items:
            ready = any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))
            nodes.append({"name": n.metadata.name, "labels": n.metadata.labels or {},
                          "annotations": n.metadata.annotations or {}, "ready": ready})
        for pool in self.mcp.get().to_dict().get("items", []):
            did += self._pool(pool, network_type, nodes, now)
        did += self._mcd(nodes)
        return did

    def _mcd(self, nodes: list[dict]) -> list[str]:
        """SIMULATION of the machine-config daemon on the nodes real kubelets run."""
        did = []
        for node in nodes:
            if node["labels"].get(HOST_LABEL) != "host":
                continue
            name, ann = node["name"], node["annotations"]
            if ann.get(STATE) == "Working":  # timed from when this MCD wrote (or first saw) Working
                since = self.working_since.setdefault(name, time.monotonic())
                patch = mcd_patch(ann, time.monotonic() - since)
            else:
                self.working_since.pop(name, None)
                patch = mcd_patch(ann, None)
            if not patch:
                continue
            self.core.patch_node(name, {"metadata": {"annotations": patch}})
            if patch[STATE] == "Working":
                self.working_since[name] = time.monotonic()
            did.append(f"node/{name}: mcd {patch[STATE]}" + (f" currentConfig={patch[CURRENT]}" if CURRENT in patch else ""))
        return did

    def _network(self, config: dict) -> list[str]:
        try:
            multus = self.apps.read_namespaced_daemon_set("multus", "openshift-multus")
            multus = self.apps.api_client.sanitize_for_serialization(multus)
        except self.api_exception as e:
            if e.status != 404:
                raise
            multus = None
        new_status, rollout = network_status(config, multus)
        did = []
        if rollout:
            patch = {"spec": {"template": {
                "metadata": {"annotations": {MULTUS_ANNOTATION: rollout}},
                "spec": {"containers": [{"name": "kube-multus",
                                         "env": [{"name": "DEFAULT_NETWORK", "value": rollout}]}]},
            }}}
            self.apps.patch_namespaced_daemon_set("multus", "openshift-multus", patch,
                                                  _content_type="application/strategic-merge-patch+json")
            did.append(f"multus: rolling out for {rollout}")
        if new_status is not None:
            self.netcfg.status.patch(name="cluster", body={"status": new_status},
                                     content_type="application/merge-patch+json")
            did.append(f"network.config/cluster: status.networkType={new_status.get('networkType')}")
        active = (new_status or config.get("status") or {}).get("networkType")
        if active in PLUGIN:
            did += self._plugin(active)
        return did

    def _plugin(self, network_type: str) -> list[str]:
        did = []
        operator = self._get(self.netop, "cluster")
        if operator is not None and ((operator.get("spec") or {}).get("defaultNetwork") or {}).get("type") != network_type:
            self.netop.patch(name="cluster", body={"spec": {"defaultNetwork": {"type": network_type}}},
                             content_type="application/merge-patch+json")
            did.append(f"network.operator/cluster: spec.defaultNetwork.type={network_type}")
        ns, ds = plugin_objects(network_type)
        try:
            self.core.read_namespace(ns["metadata"]["name"])
        except self.api_exception as e:
            if e.status != 404:
                raise
            self.core.create_namespace(ns)
            did.append(f"namespace/{ns['metadata']['name']}: created for {network_type}")
        try:
            self.apps.read_namespaced_daemon_set(ds["metadata"]["name"], ds["metadata"]["namespace"])
        except self.api_exception as e:
            if e.status != 404:
                raise
            try:
                self.apps.create_namespaced_daemon_set(ds["metadata"]["namespace"], ds)
                did.append(f"daemonset/{ds['metadata']['namespace']}/{ds['metadata']['name']}: created")
            except self.api_exception as e2:
                if e2.status != 409 and "being terminated" not in str(e2.body):
                    raise
        return did

    def _pool(self, pool: dict, network_type: str, nodes: list[dict], now: str) -> list[str]:
        did = []
        name = pool["metadata"]["name"]
        spec = pool.get("spec") or {}
        want = rendered_name(name, network_type)
        if self._get(self.mc, want) is None:
            self.mc.create(body=rendered_machineconfig(name, network_type))
            did.append(f"machineconfig/{want}: rendered for {network_type}")
        if (spec.get("configuration") or {}).get("name") != want:
            source = (spec.get("configuration") or {}).get("source") or []
            self.mcp.patch(name=name, body={"spec": {"configuration": {"name": want, "source": source}}},
                           content_type="application/merge-patch+json")
            spec = dict(spec, configuration={"name": want, "source": source})
            pool = dict(pool, spec=spec)
            did.append(f"machineconfigpool/{name}: spec.configuration={want}")
        members = [n for n in nodes if selector_matches(spec.get("nodeSelector"), n["labels"])]
        for node in nodes_to_advance(spec, members):
            self.core.patch_node(node, {"metadata": {"annotations": {DESIRED: want}}})
            did.append(f"node/{node}: desiredConfig={want}")
        status = pool_status(pool, members, now)
        if status_differs(pool.get("status"), status):
            self.mcp.status.patch(name=name, body={"status": status},
                                  content_type="application/merge-patch+json")
        return did


def main(argv: list[str]) -> int:
    return simloop.run(argv, 'openshift_sim.py', 'openshift-sim', 'OpenShift CNO/MCO', Sim)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
