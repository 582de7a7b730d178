# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Nodes reached as operators reach real ones: SSH as a normal user, root through sudo.

`nodes.sh up` writes lab/.state/inventory-ssh.yml beside inventory.yml: the same hosts and
groups, `ansible_connection: ssh` to each node's lab address as the normal user `cniops`
(key only; root cannot log in) with `ansible_become: true` (sudo), the shape of an AWX
machine credential with privilege escalation. These tests run the collection's playbook and
modules through it and show that become is what makes them work, not a root login.
"""
from __future__ import annotations

import json
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nodes"))
import lab_nodes as L  # noqa: E402  pylint: disable=wrong-import-position

SSH_INVENTORY = os.path.join(L.STATE, "inventory-ssh.yml")
if not os.path.exists(SSH_INVENTORY):
    pytest.skip("no lab: run `make lab-up` first (%s missing)" % SSH_INVENTORY, allow_module_level=True)

with open(SSH_INVENTORY, encoding="utf-8") as fh:
    INV = yaml.safe_load(fh)
NODES = L.group_hosts(INV, "kube_node")
CENTRAL = L.group_hosts(INV, "ovn_central")
PLAYBOOKS = os.path.join(L.ROOT, "playbooks")


def ansible(*args, timeout=300):
    return L.run([os.path.join(L.VENV_BIN, "ansible"), "-i", SSH_INVENTORY, *args],
                 check=False, timeout=timeout, cwd=L.ROOT)


def ansible_playbook(*args, timeout=600):
    return L.run([os.path.join(L.VENV_BIN, "ansible-playbook"), "-i", SSH_INVENTORY, *args],
                 check=False, timeout=timeout, cwd=L.ROOT)


def json_results(stdout):
    """host -> result of `ansible -o`-less JSON callback output."""
    data = json.loads(stdout)
    return {h: r for play in data["plays"] for task in play["tasks"] for h, r in task["hosts"].items()}


# Ad-hoc runs: JSON on stdout, and no run report (the collection's callback is a playbook tool).
JSON_ENV = {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json"}


def run_json(*args):
    res = L.run([os.path.join(L.VENV_BIN, "ansible"), "-i", SSH_INVENTORY, *args], check=False,
                timeout=300, cwd=L.ROOT, env=dict(L.ENV, **JSON_ENV))
    return res, json_results(res.stdout) if res.stdout.strip().startswith("{") else {}


def test_inventory_is_ssh_as_normal_user_with_become():
    assert "ansible_connection" not in INV["all"]["vars"] and "ansible_become" not in INV["all"]["vars"]
    v = INV["all"]["children"]["kube_node"]["vars"]
    assert v["ansible_connection"] == "ssh"
    assert v["ansible_user"] == "cniops"
    assert v["ansible_become"] is True and v["ansible_become_method"] == "sudo"
    assert os.path.exists(v["ansible_ssh_private_key_file"])
    for i, n in enumerate(NODES, 1):
        assert INV["all"]["hosts"][n]["ansible_host"] == "198.18.0.%d" % (10 + i)


def test_login_is_a_normal_user_and_become_gives_root():
    res, plain = run_json("all", "-m", "ansible.builtin.command", "-a", "id -u -n",
                          "-e", "ansible_become=false")
    assert res.returncode == 0, res.stdout + res.stderr
    assert sorted(plain) == NODES
    assert {r["stdout"] for r in plain.values()} == {"cniops"}
    res, become = run_json("all", "-m", "ansible.builtin.command", "-a", "id -u -n")
    assert res.returncode == 0, res.stdout + res.stderr
    assert sorted(become) == NODES
    assert {r["stdout"] for r in become.values()} == {"root"}


def test_root_cannot_log_in_over_ssh():
    node_ip = INV["all"]["hosts"][NODES[0]]["ansible_host"]
    key = INV["all"]["children"]["kube_node"]["vars"]["ansible_ssh_private_key_file"]
    res = L.run(["ssh", "-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                 "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
                 "root@" + node_ip, "true"], check=False, timeout=60)
    assert res.returncode == 255 and "Permission denied" in res.stderr, (res.returncode, res.stderr)


def test_collection_module_needs_become_and_works_with_it():
    """flow_restore_wait state=cleared reads the OVS database: refused to cniops, done as root.

    The lab's switches carry no stuck flag, so the run as root is a no-op (changed=false)."""
    args = ["kube_node", "-m", "cni.ovs.flow_restore_wait", "-a", "state=cleared", "-l", NODES[0]]
    res, plain = run_json(*args, "-e", "ansible_become=false")
    assert res.returncode != 0
    r = plain[NODES[0]]
    assert r.get("failed") is True and not r.get("changed"), r
    res, become = run_json(*args)
    assert res.returncode == 0, res.stdout + res.stderr
    r = become[NODES[0]]
    assert r["changed"] is False and not r.get("failed"), r


@pytest.mark.skipif(not CENTRAL, reason="no ovn_central members in this lab's CNI")
def test_ovn_raft_health_playbook_over_ssh_with_become():
    res = ansible_playbook(os.path.join(PLAYBOOKS, "ovn_raft_health.yml"))
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "members agree on leader" in res.stdout
    recap = res.stdout.split("PLAY RECAP", 1)[1]
    for n in CENTRAL:
        line = next(x for x in recap.splitlines() if x.startswith(n + " "))
        assert "unreachable=0" in line and "failed=0" in line, line
    # Without become the same playbook cannot read the control sockets: it is become that
    # makes it work, not a root login.
    res = ansible_playbook(os.path.join(PLAYBOOKS, "ovn_raft_health.yml"), "-e", "ansible_become=false")
    assert res.returncode != 0
    assert "Permission denied" in res.stdout or "permission denied" in res.stdout.lower(), res.stdout[-3000:]
