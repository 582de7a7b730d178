# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node hosts of a LAB_KUBELET=real lab: real kubelet and containerd, OVS in the pod."""


def test_kubelet_and_containerd_run(host):
    assert host.service("containerd").is_running
    assert host.service("kubelet").is_running
    assert host.process.filter(comm="kubelet"), "no kubelet process"
    assert host.file("/usr/local/bin/kubelet").exists
    assert not host.file("/usr/local/bin/kwok").exists


def test_ovs_runs_in_the_pod_not_in_a_host_unit(host):
    assert not host.service("ovs-vswitchd").is_running
    assert not host.service("ovsdb-server").is_running
    pid = host.file("/var/run/openvswitch/ovs-vswitchd.pid").content_string.strip()
    cgroups = host.file(f"/proc/{pid}/cgroup").content_string
    # The pod's container cgroup under the kubelet's root, not system.slice of the host.
    assert "/kubepods" in cgroups, cgroups
    assert "ovs-vswitchd.service" not in cgroups, cgroups


def test_node_credentials_are_the_nodes_own(host):
    out = host.check_output("openssl x509 -noout -subject -in /etc/kubernetes/pki/kubelet-client.crt")
    name = host.check_output("hostname")
    assert f"CN = system:node:{name}" in out, out
    assert "O = system:nodes" in out, out
