# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`nodes.sh down` removes everything it created and `up` brings the nodes back.

Destructive for a running lab (the nodes are removed and recreated), so opt-in:
  CNI_OVS_LAB_LIFECYCLE=1 .venv/bin/pytest tests/lab/test_nodes_lifecycle.py
It leaves the node hosts up again (with the CNI and NODES they had).
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nodes"))
import lab_nodes as L  # noqa: E402  pylint: disable=wrong-import-position

if os.environ.get("CNI_OVS_LAB_LIFECYCLE") != "1":
    pytest.skip("destructive: set CNI_OVS_LAB_LIFECYCLE=1", allow_module_level=True)

NODES_SH = os.path.join(L.NODES_DIR, "nodes.sh")


def _mounts():
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        return f.read()


def test_down_cleans_and_up_restores():
    env = {}
    if os.path.exists(L.INVENTORY):
        inv = L.inventory()
        env = {"CNI": L.lab_cni(inv), "NODES": str(len(L.group_hosts(inv, "kube_node")))}
    ids = L.run(["podman", "ps", "-a", "--filter", "label=cni-ovs.lab.node", "--format", "{{.ID}}"]).stdout.split()
    L.run(["bash", NODES_SH, "down"], timeout=300)
    assert L.run(["podman", "ps", "-a", "--filter", "label=cni-ovs.lab.node", "-q"]).stdout.strip() == ""
    assert L.run(["podman", "network", "exists", "cni-ovs-lab"], check=False).returncode != 0
    assert not os.path.exists(L.INVENTORY)
    assert not os.path.exists(os.path.join(L.STATE, "nodes"))
    mounts = _mounts()
    for cid in ids:
        assert cid not in mounts  # no overlay/shm mounts of removed containers
    assert "lab-node-" not in L.run(["ip", "netns", "list"]).stdout
    res = L.run(["env", *("%s=%s" % kv for kv in env.items()), "bash", NODES_SH, "up"], timeout=900)
    assert "up in" in res.stderr
    inv = L.inventory()
    for node in L.group_hosts(inv, "kube_node"):
        assert L.probe(node, "--duration", "0.5")["lost"] <= 5
