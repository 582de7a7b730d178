# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kube_ovn_central, seed 002: the scale-down after a member's removal must take the departing
node's ovn-central pod. The role pins the choice with controller.kubernetes.io/pod-deletion-cost and
then proves it; this is the failure branch of that proof, on the lab's real ReplicaSet controller.

The Molecule scenario kube_ovn_central_pod passes the check on every removal (real pods). Here the
ReplicaSet is made to choose another pod: one pod of the Deployment cannot be scheduled (required
anti-affinity, one pod per node, two labelled nodes for three replicas), and an unscheduled pod is
deleted before any deletion cost applies. The role's Kubernetes step (tasks/k8s_members.yml, run
as the role runs it) must stop before NODE_IPS changes, naming the pods.
"""
from __future__ import annotations

import json
import os
import subprocess

from conftest import KUBECONFIG, ROOT, ready_schedulable_nodes, wait_until

PLAYBOOK = """
- name: The Kubernetes step of a member's removal (kube_ovn_central, tasks/k8s_members.yml)
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/cni.ovs.k8s:
      kubeconfig: {kubeconfig}
  tasks:
    - name: The ovn-central Deployment, as the role reads it
      kubernetes.core.k8s_info:
        kind: Deployment
        namespace: {namespace}
        name: ovn-central
      register: objs

    - name: Remove the departing node's member on the Kubernetes side
      ansible.builtin.include_role:
        name: cni.ovs.kube_ovn_central
        tasks_from: k8s_members.yml
      vars:
        kube_ovn_central__objs: {{results: ["{{{{ objs }}}}"]}}
        kube_ovn_central_namespace: {namespace}
        kube_ovn_central_deployment: ovn-central
        kube_ovn_central_role_label: {label}
        kube_ovn_central__label_node: {departing}
        kube_ovn_central__label_value: null
        kube_ovn_central__new_node_ips: ["198.18.0.250", "198.18.0.251"]
        kube_ovn_central_pod_timeout: 30
"""


def _pods(core, namespace):
    return core.list_namespaced_pod(namespace, label_selector="app=ovn-central-t").items


def test_scale_down_that_takes_another_pod_stops_before_node_ips(core, apps, namespace, tmp_path):
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    nodes = [n.metadata.name for n in ready_schedulable_nodes(core)][:2]
    assert len(nodes) == 2, "the lab needs two Ready schedulable nodes"
    label = "cni-ovs-test/central-" + namespace
    for n in nodes:
        core.patch_node(n, {"metadata": {"labels": {label: "true"}}})
    try:
        selector = {"app": "ovn-central-t"}
        apps.create_namespaced_deployment(namespace, client.V1Deployment(
            metadata=client.V1ObjectMeta(name="ovn-central"),
            spec=client.V1DeploymentSpec(
                replicas=3, selector=client.V1LabelSelector(match_labels=selector),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=selector),
                    spec=client.V1PodSpec(
                        node_selector={label: "true"},
                        affinity=client.V1Affinity(pod_anti_affinity=client.V1PodAntiAffinity(
                            required_during_scheduling_ignored_during_execution=[client.V1PodAffinityTerm(
                                label_selector=client.V1LabelSelector(match_labels=selector),
                                topology_key="kubernetes.io/hostname")])),
                        containers=[client.V1Container(name="ovn-central", image="registry.invalid/ovn-central:lab")])))))

        def placed():
            pods = _pods(core, namespace)
            running = [p for p in pods if p.spec.node_name and p.status.phase == "Running"]
            pending = [p for p in pods if not p.spec.node_name]
            return (running, pending) if len(running) == 2 and len(pending) == 1 else None
        running, pending = wait_until("two ovn-central pods Running, one unscheduled", placed, timeout=60)
        departing = running[0].spec.node_name
        departing_pod = running[0].metadata.name

        book = tmp_path / "k8s_members.yml"
        book.write_text(PLAYBOOK.format(kubeconfig=KUBECONFIG, namespace=namespace, label=label, departing=departing))
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0", CNI_OVS_REPORT_DIR=str(tmp_path / "reports"))
        out = subprocess.run([os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", "localhost,", "-c", "local",
                              "-e", "ansible_python_interpreter=" + os.path.join(ROOT, ".venv", "bin", "python"),
                              str(book)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)
        text = " ".join(out.stdout.split())
        assert out.returncode != 0, out.stdout[-3000:]
        assert ("The ReplicaSet scaled ovn-central down by deleting ['%s'] and kept the departing node's pod ['%s']"
                % (pending[0].metadata.name, departing_pod)) in text, out.stdout[-3000:]
        assert "NODE_IPS was not changed: do not go on" in text
        # the check stopped the run before NODE_IPS: the template has no NODE_IPS, the pod of the departing
        # node carries the deletion cost and still runs
        dep = apps.read_namespaced_deployment("ovn-central", namespace)
        env_names = [e.name for c in dep.spec.template.spec.containers for e in (c.env or [])]
        assert "NODE_IPS" not in env_names and dep.spec.replicas == 2
        pod = core.read_namespaced_pod(departing_pod, namespace)
        assert pod.metadata.deletion_timestamp is None
        assert pod.metadata.annotations["controller.kubernetes.io/pod-deletion-cost"] == "-2147483648"
        assert "Set NODE_IPS" not in out.stdout, json.dumps(out.stdout[-2000:])
    finally:
        for n in nodes:
            core.patch_node(n, {"metadata": {"labels": {label: None}}})
