# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/lab.sh refuses bad input and unsafe starts before it starts anything.

The refusal tests run lab.sh on a private, empty state directory and private ports, so
they neither need nor touch a running lab.  The last two re-run `up` on the running lab
and check that it changed nothing.
"""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from conftest import ROOT

LAB_SH = os.path.join(ROOT, "lab", "lab.sh")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def lab_env(tmp_path):
    names = ("LAB_API_PORT", "LAB_ETCD_PORT", "LAB_ETCD_PEER_PORT", "LAB_KCM_PORT", "LAB_SCHED_PORT",
             "LAB_KWOK_PORT")
    ports = {k: str(_free_port()) for k in names}
    env = dict(os.environ, LAB_STATE=str(tmp_path / "state"), LAB_NODE_HOSTS="0", **ports)
    yield env
    # Safety net: a test that fails after lab.sh started something must not leak a lab.
    if os.path.exists(os.path.join(env["LAB_STATE"], "pids")):
        _lab(env, "down")


def _lab(env, *args, **extra):
    return subprocess.run(["bash", LAB_SH, *args], env=dict(env, **extra), capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize("nodes, cni, message", [
    ("0", "kube-ovn", "NODES='0' is not a node count"),
    ("abc", "kube-ovn", "NODES='abc' is not a node count"),
    ("201", "kube-ovn", "NODES='201' is not a node count"),
    ("-3", "kube-ovn", "NODES='-3' is not a node count"),
    ("3", "calico", "CNI='calico' is not one of: kube-ovn nsx openshift-sdn"),
    ("3", "Kube-OVN", "CNI='Kube-OVN' is not one of"),
])
def test_invalid_nodes_or_cni_fail_before_anything_starts(lab_env, nodes, cni, message):
    res = _lab(lab_env, "up", NODES=nodes, CNI=cni)
    assert res.returncode != 0
    assert message in res.stderr
    assert "Nothing was started" in res.stderr
    assert not os.path.exists(lab_env["LAB_STATE"])


def test_port_in_use_is_reported(lab_env):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(lab_env["LAB_API_PORT"])))
        s.listen(1)
        res = _lab(lab_env, "up", NODES="1", CNI="kube-ovn")
    assert res.returncode != 0
    assert f"port {lab_env['LAB_API_PORT']} in use" in res.stderr
    assert "Nothing was started" in res.stderr
    assert not os.path.exists(os.path.join(lab_env["LAB_STATE"], "config"))


def test_half_started_lab_is_detected_and_cleaned_by_down(lab_env):
    state = lab_env["LAB_STATE"]
    os.makedirs(os.path.join(state, "pids"))
    with open(os.path.join(state, "config"), "w", encoding="utf-8") as f:
        f.write("NODES=3\nCNI=kube-ovn\n")
    # A component that crashed: its pid file names a process that no longer exists.
    with open(os.path.join(state, "pids", "etcd.pid"), "w", encoding="utf-8") as f:
        f.write("999999999 --name=cni-ovs-lab\n")
    res = _lab(lab_env, "up", NODES="3", CNI="kube-ovn")
    assert res.returncode != 0
    assert "half-started or crashed lab" in res.stderr and "make lab-down" in res.stderr
    status = _lab(lab_env, "status")
    assert status.returncode != 0 and "STOPPED" in status.stdout
    down = _lab(lab_env, "down")
    assert down.returncode == 0, down.stderr
    assert not os.path.exists(state)
    assert _lab(lab_env, "status").returncode == 3, "no lab after down"


def _snapshot(k8s_api):
    """uid/generation/resourceVersion of what lab-up creates, and the component pids."""
    from kubernetes import client, dynamic  # pylint: disable=import-outside-toplevel
    import yaml  # pylint: disable=import-outside-toplevel
    from conftest import LAB_STATE, lab_config  # pylint: disable=import-outside-toplevel
    cni = lab_config()["CNI"]
    dyn = dynamic.DynamicClient(k8s_api)
    snap = {}
    for d in ("common", cni):
        folder = os.path.join(ROOT, "lab", "manifests", d)
        for fn in sorted(os.listdir(folder)):
            with open(os.path.join(folder, fn), encoding="utf-8") as f:
                for doc in yaml.safe_load_all(f):
                    res = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
                    ns = doc["metadata"].get("namespace") if res.namespaced else None
                    o = res.get(name=doc["metadata"]["name"], namespace=ns).metadata
                    key = (doc["kind"], ns, o.name)
                    # Controllers keep writing status (e.g. Deployments); spec changes move generation.
                    snap[key] = (o.uid, o.generation) if o.generation else (o.uid, o.resourceVersion)
    for n in client.CoreV1Api(k8s_api).list_node().items:
        snap[("Node", None, n.metadata.name)] = (n.metadata.uid, sorted((n.metadata.labels or {}).items()))
    pids = {}
    for fn in sorted(os.listdir(os.path.join(LAB_STATE, "pids"))):
        with open(os.path.join(LAB_STATE, "pids", fn), encoding="utf-8") as f:
            pids[fn] = f.read()
    return snap, pids


def test_second_lab_up_changes_nothing(k8s_api):
    from conftest import LAB_STATE, lab_config  # pylint: disable=import-outside-toplevel
    cfg = lab_config()
    before = _snapshot(k8s_api)
    # LAB_NODE_HOSTS=0: this checks the control plane's part; lab/nodes/ has its own tests.
    res = _lab(dict(os.environ, LAB_STATE=LAB_STATE), "up", NODES=cfg["NODES"], CNI=cfg["CNI"],
               LAB_NODE_HOSTS="0")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "already running" in res.stdout
    assert f"nodes: 0 created, {cfg['NODES']} already present" in res.stdout
    assert "created" not in res.stdout.split("apply:", 1)[1].splitlines()[0]
    after = _snapshot(k8s_api)
    assert after == before


def test_lab_up_with_other_settings_refuses_to_touch_running_lab(k8s_api):  # pylint: disable=unused-argument
    from conftest import LAB_STATE, lab_config  # pylint: disable=import-outside-toplevel
    cfg = lab_config()
    other = "nsx" if cfg["CNI"] != "nsx" else "kube-ovn"
    res = _lab(dict(os.environ, LAB_STATE=LAB_STATE), "up", NODES=cfg["NODES"], CNI=other,
               LAB_NODE_HOSTS="0")
    assert res.returncode != 0
    assert f"the lab runs with NODES={cfg['NODES']} CNI={cfg['CNI']}" in res.stderr
