# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab node hosts are what they claim to be.

Run against a running lab:  bash lab/nodes/nodes.sh up  (or make lab-up), then
  .venv/bin/pytest tests/lab/test_nodes.py
Tests that need the Kubernetes side (Node Ready/NotReady) skip without lab/.state/kubeconfig.
Tests change state on purpose (stop vswitchd, reboot a node) and put it back.
"""
from __future__ import annotations

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nodes"))
import lab_nodes as L  # noqa: E402  pylint: disable=wrong-import-position

if not os.path.exists(L.INVENTORY):
    pytest.skip("no lab: run `bash lab/nodes/nodes.sh up` first (%s missing)" % L.INVENTORY,
                allow_module_level=True)

INV = L.inventory()
NODES = L.group_hosts(INV, "kube_node")
CNI = L.lab_cni(INV)
OVN_CENTRAL = L.group_hosts(INV, "ovn_central")


@pytest.fixture(scope="module")
def testinfra_hosts():
    import testinfra  # pylint: disable=import-outside-toplevel
    os.environ.setdefault("CONTAINERS_CONF", L.CONTAINERS_CONF)
    return {n: testinfra.get_host("podman://" + n) for n in NODES}


# --- inventory and Ansible ----------------------------------------------------------

def test_inventory_groups_and_connection():
    v = INV["all"]["vars"]
    assert v["ansible_connection"] == "containers.podman.podman"
    assert v["cni_ovs_kubeconfig"].endswith("kubeconfig")
    assert len(NODES) >= 1
    assert L.group_hosts(INV, "kube_control_plane")
    assert set(L.group_hosts(INV, "kube_control_plane")) <= set(NODES)
    if CNI == "kube-ovn":
        assert OVN_CENTRAL == NODES[:3]
    running = L.run(["podman", "ps", "--filter", "label=cni-ovs.lab.node", "--format", "{{.Names}}"]).stdout.split()
    assert sorted(running) == NODES


def test_ansible_ping_all_nodes():
    res = L.ansible("all", "-m", "ansible.builtin.ping", "-o")
    assert res.returncode == 0, res.stdout + res.stderr
    for n in NODES:
        assert "%s | SUCCESS" % n in res.stdout and '"pong"' in res.stdout.split(n, 1)[1].splitlines()[0]


def test_node_identity(testinfra_hosts):
    for i, n in enumerate(NODES, 1):
        h = testinfra_hosts[n]
        assert h.check_output("hostname") == n
        assert h.interface("eth0").addresses[0] == "198.18.0.%d" % (10 + i)
        assert "bookworm" in h.file("/etc/os-release").content_string
        env = h.file("/etc/default/cni-ovs-lab").content_string
        assert "NODE_NAME=%s\n" % n in env and "CNI=%s\n" % CNI in env


def test_every_node_keeps_its_own_eth0_mac(testinfra_hosts):
    # The node image has systemd-udevd (for systemd-networkd, which applies netplan files) and
    # one machine-id for all nodes: udev's default MACAddressPolicy=persistent would give every
    # node's eth0 the same MAC (seen: node-to-node traffic lost). The image masks 99-default.link.
    macs = [testinfra_hosts[n].file("/sys/class/net/eth0/address").content_string.strip() for n in NODES]
    assert len(set(macs)) == len(macs), dict(zip(NODES, macs))
    for n in NODES:
        h = testinfra_hosts[n]
        assert h.file("/etc/systemd/network/99-default.link").linked_to == "/dev/null"
        assert h.file("/sys/class/net/eth0/addr_assign_type").content_string.strip() != "3"  # not set by udev


# --- Open vSwitch -----------------------------------------------------------------

@pytest.mark.parametrize("node", NODES)
def test_ovs_running_userspace_br_int(testinfra_hosts, node):
    h = testinfra_hosts[node]
    for svc in ("ovsdb-server", "ovs-vswitchd", "cni-ovs-lab-pods"):
        assert h.service(svc).is_running or h.service(svc).is_enabled and svc == "cni-ovs-lab-pods"
    assert h.process.filter(comm="ovs-vswitchd") and h.process.filter(comm="ovsdb-server")
    assert h.file("/etc/openvswitch/conf.db").size > 0
    assert h.check_output("ovs-vsctl get bridge br-int datapath_type") == "netdev"
    assert h.check_output("ovs-vsctl get bridge br-int fail_mode") == "secure"
    ports = h.check_output("ovs-vsctl list-ports br-int").split()
    assert ports == ["veth-pod-a", "veth-pod-b"]
    flows = h.check_output("ovs-ofctl dump-flows br-int")
    assert flows.count("cookie=0x1ab") == 5, flows
    assert h.file("/run/netns/pod-a").exists and h.file("/run/netns/pod-b").exists


# --- Kube-OVN raft ----------------------------------------------------------------

def _kube_ovn_only():
    if CNI != "kube-ovn":
        pytest.skip("lab runs CNI=%s" % CNI)


@pytest.mark.parametrize("db", ["nb", "sb"])
def test_raft_cluster_healthy(db):
    _kube_ovn_only()
    statuses = {n: L.cluster_status(n, db) for n in OVN_CENTRAL}
    cids = {s["cluster_id"] for s in statuses.values()}
    assert len(cids) == 1, statuses
    leaders = [n for n, s in statuses.items() if s["role"] == "leader"]
    assert len(leaders) == 1, statuses
    leader_sid = statuses[leaders[0]]["server_id"].split()[0]
    port = {"nb": 6643, "sb": 6644}[db]
    for i, (n, s) in enumerate(sorted(statuses.items()), 1):
        assert s["status"] == "cluster member", (n, s)
        assert s["leader"] == ("self" if n == leaders[0] else leader_sid), (n, s)
        assert s["address"] == "tcp:198.18.0.%d:%d" % (10 + i, port)
        assert len(s["servers"]) == len(OVN_CENTRAL), s["servers"]
        assert s["entries_not_yet_committed"] == "0"


@pytest.mark.parametrize("node", OVN_CENTRAL or ["none"])
def test_kube_ovn_file_layout(testinfra_hosts, node):
    _kube_ovn_only()
    h = testinfra_hosts[node]
    for db in ("nb", "sb"):
        f = h.file("/etc/origin/ovn/ovn%s_db.db" % db)
        assert f.is_file and f.size > 0
        assert h.run("ovsdb-tool db-is-clustered /etc/origin/ovn/ovn%s_db.db" % db).rc == 0
        assert h.socket("unix:///var/run/ovn/ovn%s_db.ctl" % db).is_listening
    ip = h.interface("eth0").addresses[0]
    for port in (6641, 6642, 6643, 6644):
        assert h.socket("tcp://%s:%d" % (ip, port)).is_listening
        assert not h.socket("tcp://0.0.0.0:%d" % port).is_listening
    assert h.service("ovn-northd").is_running
    assert not h.service("ovn-controller").is_running  # the lab's controller stand-in owns br-int


def test_raft_replicates_writes():
    _kube_ovn_only()
    if len(OVN_CENTRAL) < 2:
        pytest.skip("one member")
    remotes = ",".join("tcp:198.18.0.%d:6641" % (10 + i) for i in range(1, len(OVN_CENTRAL) + 1))
    ls = "lab-test-%d" % os.getpid()
    L.podman_exec(OVN_CENTRAL[1], "ovn-nbctl", "--db=" + remotes, "ls-add", ls)
    try:
        out = L.wait_for(lambda: ls in L.podman_exec(OVN_CENTRAL[-1], "ovn-nbctl", "--no-leader-only",
                                                     "--db=unix:/var/run/ovn/ovnnb_db.sock", "ls-list").stdout,
                         10, 0.2, "replication of %s" % ls)
        assert out
    finally:
        L.podman_exec(OVN_CENTRAL[1], "ovn-nbctl", "--db=" + remotes, "--if-exists", "ls-del", ls)


def test_non_masters_run_no_ovn_central(testinfra_hosts):
    _kube_ovn_only()
    for n in NODES:
        if n not in OVN_CENTRAL:
            assert not testinfra_hosts[n].service("ovn-ovsdb-server-nb").is_running


# --- traffic ------------------------------------------------------------------------

@pytest.mark.parametrize("node", NODES)
def test_traffic_flows(node):
    r = L.probe(node, "--pps", "1000", "--duration", "2")
    assert r["sent"] == 2000
    # A shared 2-core machine may drop a stray packet; an outage would lose hundreds.
    assert r["lost"] <= 20, r
    assert r["longest_gap_ms"] < 200, r
    assert r["duplicates"] == 0


def test_probe_reports_gap_when_vswitchd_stopped():
    node = NODES[-1]
    proc = L.probe_start(node, "--pps", "1000", "--duration", "5")
    time.sleep(1.0)
    t0 = time.monotonic()
    L.podman_exec(node, "systemctl", "stop", "ovs-vswitchd")
    time.sleep(1.5)
    L.podman_exec(node, "systemctl", "start", "ovs-vswitchd")
    outage = time.monotonic() - t0
    r = L.probe_result(proc)
    assert r["lost"] >= 1000, r
    assert r["longest_gap_ms"] >= 1400, r
    assert r["longest_gap_ms"] <= (outage + 2.5) * 1000, r
    assert 0.8 <= r["longest_gap_from_s"] <= 2.5, r
    # Traffic came back after the restart: the last packets arrived.
    assert r["lost_ranges"] and r["lost_ranges"][-1][1] < r["sent"] - 100, r
    again = L.probe(node, "--duration", "1")
    assert again["lost"] <= 10, again


def test_probe_runs_until_the_stop_file_then_settles():
    """--stop-file: the probe outlives an event of any length (here 3 s, past a 1 s --duration
    would have ended), then sends --settle seconds more; --duration is only the upper bound."""
    node = NODES[-1]
    stop = "/tmp/probe-stop-%d" % os.getpid()
    L.podman_exec(node, "rm", "-f", stop)
    proc = L.probe_start(node, "--pps", "1000", "--duration", "120", "--stop-file", stop, "--settle", "0.5")
    time.sleep(3.0)
    t_stop = time.monotonic()
    L.podman_exec(node, "touch", stop)
    r = L.probe_result(proc)
    ended = time.monotonic() - t_stop
    assert r["ended_by"] == "stop_file", r
    assert r["settle_s"] == 0.5, r
    # ~3 s before the stop file + 0.5 s settle (at 1000 pps), far less than the 120 s bound
    assert 3000 <= r["sent"] <= 6000, r
    assert ended < 10, ended
    assert r["lost"] <= 20, r
    # a stale stop file is refused instead of ending the probe at once
    res = L.podman_exec(node, "cni-ovs-lab-probe", "--duration", "5", "--stop-file", stop, check=False)
    assert res.returncode == 2 and "exists already" in res.stderr, res
    L.podman_exec(node, "rm", "-f", stop)


def test_probe_reports_when_the_upper_bound_came_first():
    node = NODES[-1]
    r = L.probe(node, "--duration", "1", "--stop-file", "/tmp/probe-never-%d" % os.getpid())
    assert r["ended_by"] == "max_duration" and r["sent"] == 1000, r


def test_probe_no_traffic_without_flows():
    """fail-mode=secure: without the controller's flows nothing passes."""
    node = NODES[0]
    try:
        L.podman_exec(node, "ovs-ofctl", "del-flows", "br-int")
        r = L.probe(node, "--duration", "0.5", "--grace", "0.2")
        assert r["received"] == 0 and r["lost"] == r["sent"] == 500, r
        assert r["longest_gap_ms"] >= 490
    finally:
        L.podman_exec(node, "cni-ovs-lab-pods", "flows")
    r = L.probe(node, "--duration", "0.5")
    assert r["lost"] <= 5, r


# --- service management and reboot -------------------------------------------------

def test_ansible_service_module_drives_services(tmp_path, testinfra_hosts):
    node = NODES[-1]
    play = """
- hosts: %s
  gather_facts: false
  tasks:
    - {name: stop, ansible.builtin.service: {name: ovs-vswitchd, state: stopped}, register: a}
    - {name: stop again, ansible.builtin.service: {name: ovs-vswitchd, state: stopped}, register: b}
    - {name: start, ansible.builtin.systemd_service: {name: ovs-vswitchd, state: started}, register: c}
    - {name: start again, ansible.builtin.systemd_service: {name: ovs-vswitchd, state: started}, register: d}
    - ansible.builtin.assert:
        that: [a is changed, b is not changed, c is changed, d is not changed]
""" % node
    res = L.ansible_playbook(play, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    h = testinfra_hosts[node]
    assert h.service("ovs-vswitchd").is_running
    L.wait_for(lambda: h.check_output("ovs-ofctl dump-flows br-int").count("cookie=0x1ab") == 5, 10,
               what="flows re-installed after vswitchd start")
    assert L.probe(node, "--duration", "0.5")["lost"] <= 5


def test_ansible_reboot_over_podman_connection(tmp_path):
    node = NODES[-1]
    before = L.podman_exec(node, "cat", "/proc/sys/kernel/random/boot_id").stdout.strip()
    host_boot_id = open("/proc/sys/kernel/random/boot_id", encoding="utf-8").read().strip()
    assert before != host_boot_id  # each node boot has its own boot_id
    play = """
- hosts: %s
  gather_facts: false
  tasks:
    - {ansible.builtin.reboot: {reboot_timeout: 120}, register: r}
    - ansible.builtin.assert: {that: [r.rebooted]}
""" % node
    res = L.ansible_playbook(play, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    after = L.podman_exec(node, "cat", "/proc/sys/kernel/random/boot_id").stdout.strip()
    assert after != before
    L.wait_for(lambda: L.podman_exec(node, "systemctl", "is-system-running", check=False).stdout.strip()
               in ("running", "degraded"), 60, what="%s booted" % node)
    assert L.podman_exec(node, "systemctl", "is-active", "ovs-vswitchd", "cni-ovs-lab-pods").returncode == 0
    if node in OVN_CENTRAL:
        for db in ("nb", "sb"):
            L.wait_for(lambda db=db: L.cluster_status(node, db).get("status") == "cluster member", 30,
                       what="%s %s raft member after reboot" % (node, db))
    assert L.probe(node, "--duration", "1")["lost"] <= 10


# --- Kubernetes side: the node's kubelet ---------------------------------------------

def _k8s():
    kc = INV["all"]["vars"]["cni_ovs_kubeconfig"]
    if not os.path.exists(kc):
        pytest.skip("no Kubernetes control plane (%s missing)" % kc)
    running = L.podman_exec(NODES[0], "systemctl", "is-active", "kubelet", check=False).stdout.strip()
    if running != "active":
        pytest.skip("kubelet not active on %s (nodes started without kwok/kubeconfig-nodes)" % NODES[0])
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    return client.CoreV1Api(api_client=config.new_client_from_config(config_file=kc))


def _ready(api, name):
    node = api.read_node(name)
    for c in node.status.conditions or []:
        if c.type == "Ready":
            return c.status
    return None


def test_nodes_registered_by_their_kubelet():
    api = _k8s()
    for n in NODES:
        node = api.read_node(n)
        assert node.metadata.labels.get("cni-ovs.lab/kubelet") == "host"
        if CNI == "kube-ovn" and n in OVN_CENTRAL:
            assert node.metadata.labels.get("kube-ovn/role") == "master"
        L.wait_for(lambda n=n: _ready(api, n) == "True", 60, 1, "%s Ready" % n)


def test_kubelet_stop_and_container_stop_turn_nodes_notready_then_ready(tmp_path):
    """A node whose kubelet stops, and a node whose host (container) stops, turn NotReady, and
    Ready again once the kubelet / the host is started.  Both at once on two nodes: each has to
    wait out the controller-manager's grace period, side by side that is one wait, not two."""
    api = _k8s()
    if len(NODES) < 2:
        pytest.skip("needs two node hosts (NODES >= 2)")
    kubelet_node, host_node = NODES[-2], NODES[-1]
    for node in (kubelet_node, host_node):
        L.wait_for(lambda node=node: _ready(api, node) == "True", 60, 1, "%s Ready" % node)
    L.podman_exec(kubelet_node, "systemctl", "stop", "kubelet")
    try:
        L.run(["podman", "stop", "-t", "10", host_node])
        try:
            L.wait_for(lambda: _ready(api, kubelet_node) != "True", 120, 1,
                       "%s NotReady after kubelet stop" % kubelet_node)
            L.wait_for(lambda: _ready(api, host_node) != "True", 120, 1, "%s NotReady while stopped" % host_node)
        finally:
            L.run(["podman", "start", host_node])
    finally:
        play = "- hosts: %s\n  gather_facts: false\n  tasks:\n    - ansible.builtin.service: {name: kubelet, state: started}\n" % kubelet_node
        res = L.ansible_playbook(play, tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
    L.wait_for(lambda: _ready(api, kubelet_node) == "True", 90, 1, "%s Ready after kubelet start" % kubelet_node)
    L.wait_for(lambda: _ready(api, host_node) == "True", 120, 1, "%s Ready after start" % host_node)
    # Node Ready comes from the kubelet; the data plane (vswitchd, the pods' namespaces and
    # flows re-created at boot) may come up a little later: traffic must flow within 60 s.
    results = []

    def traffic_flows():
        try:
            results.append(L.probe(host_node, "--duration", "1"))
        except Exception as exc:  # pylint: disable=broad-exception-caught  # namespaces not back yet
            results.append({"lost": None, "error": str(exc)})
            return False
        return results[-1]["lost"] <= 10

    L.wait_for(traffic_flows, 60, 2, "%s traffic after start" % host_node)
    assert results and results[-1]["lost"] <= 10


# --- other CNIs' host layouts (scratch container from the lab image) -----------------

def _cni_host(cni):
    if CNI == cni:
        return None
    return L.ScratchNode(L.node_image(NODES[0]), cni)


def test_nsx_kernel_module_layout():
    scratch = _cni_host("nsx")
    name = scratch.__enter__() if scratch else NODES[0]
    try:
        rel = L.podman_exec(name, "uname", "-r").stdout.strip()
        base = "/lib/modules/%s" % rel
        mods = ["openvswitch", "vport-geneve", "vport-gre", "vport-lisp", "vport-stt", "vport-vxlan"]
        for m in mods:
            ko = "%s/weak-updates/openvswitch/%s.ko" % (base, m)
            info = L.podman_exec(name, "modinfo", ko).stdout
            assert "nsx" in L.podman_exec(name, "modinfo", "-F", "version", ko).stdout
            assert "vermagic:       %s " % rel in info
        backup = "%s/nsx/usr-ovs-kmod-backup" % base
        listing = L.podman_exec(name, "ls", backup).stdout.split()
        assert "INFO" in listing and "openvswitch.ko" in listing
        assert L.podman_exec(name, "modinfo", "-F", "intree", backup + "/openvswitch.ko").stdout.strip() == "Y"
        # INFO in the "<file> <original path>" format ovs_kmod_swap reads: the kernel's own modules
        # (kernel/net/openvswitch, now empty) moved aside by the simulated nsx-ncp-bootstrap.
        info_lines = [ln.split() for ln in L.podman_exec(name, "cat", backup + "/INFO").stdout.splitlines()
                      if ln.strip() and not ln.startswith("#")]
        assert sorted(info_lines) == sorted(
            [[m + ".ko", "%s/kernel/net/openvswitch/%s.ko" % (base, m)] for m in ("openvswitch", "vport-geneve", "vport-gre", "vport-vxlan")]
        ), info_lines
        assert L.podman_exec(name, "ls", "-A", base + "/kernel/net/openvswitch").stdout.strip() == ""
        # depmod ran: the kernel resolves openvswitch to the NSX-OVS build
        assert L.podman_exec(name, "modinfo", "-k", rel, "-F", "filename", "openvswitch").stdout.strip() == (
            base + "/weak-updates/openvswitch/openvswitch.ko")
        # the boot-time bootstrap (reads the ConfigMap) is enabled, and a second install changes nothing
        assert L.podman_exec(name, "test", "-L", "/etc/systemd/system/multi-user.target.wants/cni-ovs-lab-nsx-bootstrap.service",
                             check=False).returncode == 0
        again = L.podman_exec(name, "/usr/local/lib/cni-ovs-lab/nsx-bootstrap", "install").stdout
        assert "already installed" in again, again
        for path in ("/etc/openvswitch/conf.db", "/etc/apparmor.d", "/etc/cni/net.d/99-loopback.conf", "/opt/cni/bin"):
            assert L.podman_exec(name, "test", "-e", path, check=False).returncode == 0, path
        # The kernel has no module support: the files are data, never loaded.
        assert L.podman_exec(name, "test", "-e", "/proc/modules", check=False).returncode != 0
    finally:
        if scratch:
            scratch.__exit__(None, None, None)


def test_openshift_sdn_layout():
    scratch = _cni_host("openshift-sdn")
    name = scratch.__enter__() if scratch else NODES[0]
    try:
        assert L.podman_exec(name, "ovs-vsctl", "get", "bridge", "br0", "datapath_type").stdout.strip() == "netdev"
        assert L.podman_exec(name, "test", "-f", "/etc/kubernetes/cni/net.d/80-openshift-network.conf").returncode == 0
    finally:
        if scratch:
            scratch.__exit__(None, None, None)
