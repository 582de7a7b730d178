# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the lab node host tests (tests/lab/test_nodes*.py).

They talk to the running lab (`bash lab/nodes/nodes.sh up`) through podman and the
inventory it wrote; nothing here starts a lab on its own except scratch containers that
the nsx/openshift-sdn layout tests create from the lab image and remove again.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
STATE = os.path.join(ROOT, "lab", ".state")
INVENTORY = os.path.join(STATE, "inventory.yml")
# the same nodes over SSH as the normal user cniops with sudo (become), as `make demo` reaches them
SSH_INVENTORY = os.path.join(STATE, "inventory-ssh.yml")
NODES_DIR = os.path.join(ROOT, "lab", "nodes")
CONTAINERS_CONF = os.environ.get("CONTAINERS_CONF", os.path.join(NODES_DIR, "containers.conf"))
ENV = dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF, LANG="C")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")


def run(argv, check=True, timeout=120, env=None, **kw):
    """Run argv (no shell) and return the CompletedProcess with text output."""
    res = subprocess.run(argv, capture_output=True, text=True, env=env or ENV, timeout=timeout, check=False, **kw)
    if check and res.returncode != 0:
        raise AssertionError("%s failed (rc %s):\nstdout: %s\nstderr: %s"
                             % (" ".join(argv), res.returncode, res.stdout, res.stderr))
    return res


def podman_exec(node, *argv, check=True, timeout=120):
    return run(["podman", "exec", node, *argv], check=check, timeout=timeout)


def sh(node, script, check=True, timeout=120):
    return podman_exec(node, "bash", "-c", script, check=check, timeout=timeout)


def inventory():
    with open(INVENTORY, encoding="utf-8") as f:
        return yaml.safe_load(f)


def group_hosts(inv, group):
    hosts = (inv["all"]["children"].get(group) or {}).get("hosts") or {}
    return sorted(hosts)


def lab_cni(inv):
    return inv["all"]["vars"]["cni_ovs_lab_cni"]


def cluster_status(node, db):
    """cluster/status text of NB ('nb') or SB ('sb') on node, parsed into a dict."""
    name = {"nb": "OVN_Northbound", "sb": "OVN_Southbound"}[db]
    out = podman_exec(node, "ovn-appctl", "-t", "/var/run/ovn/ovn%s_db.ctl" % db, "cluster/status", name).stdout
    info = {"servers": []}
    in_servers = False
    for line in out.splitlines():
        if in_servers and line.startswith("    "):
            info["servers"].append(line.strip())
            continue
        in_servers = False
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower().replace(" ", "_")
        if key == "servers":
            in_servers = True
        else:
            info[key] = value.strip()
    return info


def wait_for(predicate, timeout, interval=0.5, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


def probe(node, *args, timeout=600):
    """Run the traffic probe on node and return its JSON result."""
    res = podman_exec(node, "cni-ovs-lab-probe", *args, timeout=timeout)
    return json.loads(res.stdout)


def probe_start(node, *args):
    """Start the probe in the background; returns (Popen, ready_file)."""
    ready = "/tmp/probe-ready-%s" % uuid.uuid4().hex[:8]
    proc = subprocess.Popen(["podman", "exec", node, "cni-ovs-lab-probe", "--ready-file", ready, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    wait_for(lambda: podman_exec(node, "test", "-e", ready, check=False).returncode == 0,
             30, 0.1, "probe on %s to be ready" % node)
    return proc


def probe_result(proc, timeout=600):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, "probe failed: %s %s" % (out, err)
    return json.loads(out)


def ansible(*args, timeout=300):
    return run([os.path.join(VENV_BIN, "ansible"), "-i", INVENTORY, *args], check=False, timeout=timeout,
               cwd=ROOT)


def ansible_playbook(playbook_text, tmp_path, *args, timeout=600):
    pb = tmp_path / "play.yml"
    pb.write_text(playbook_text, encoding="utf-8")
    return run([os.path.join(VENV_BIN, "ansible-playbook"), "-i", INVENTORY, str(pb), *args],
               check=False, timeout=timeout, cwd=ROOT)


def node_image(node):
    return run(["podman", "inspect", "-f", "{{.ImageName}}", node]).stdout.strip()


class ScratchNode:
    """A throw-away container from the lab image (no lab network) for layout checks."""

    def __init__(self, image, cni):
        self.image = image
        self.cni = cni
        self.name = "lab-scratch-%s-%s" % (cni, uuid.uuid4().hex[:6])

    def __enter__(self):
        try:
            return self._start()
        except BaseException:  # a failed set-up leaves no container behind
            self.__exit__()
            raise

    def _start(self):
        run(["podman", "run", "-d", "--name", self.name, "--hostname", self.name, "--network", "none",
             "--systemd=always", "--cap-add", "NET_ADMIN", "--cap-add", "SYS_ADMIN",
             "--device", "/dev/net/tun", "--label", "cni-ovs.lab.scratch=1", self.image])
        wait_for(lambda: podman_exec(self.name, "systemctl", "is-system-running", check=False).stdout.strip()
                 in ("running", "degraded"), 60, 0.2, "%s to boot" % self.name)
        if self.cni == "nsx":  # as nodes.sh does: the simulated NSX bootstrap, shared with the lab's NCP image
            run(["podman", "cp", os.path.join(NODES_DIR, "pod-images", "nsx", "nsx-bootstrap"),
                 self.name + ":/usr/local/lib/cni-ovs-lab/nsx-bootstrap"])
        with open(os.path.join(NODES_DIR, "cni", self.cni + ".sh"), encoding="utf-8") as f:
            script = f.read()
        res = subprocess.run(["podman", "exec", "-i", "-e", "NODE_IP=198.18.0.99", "-e", "MASTER_IPS=198.18.0.99",
                              "-e", "IS_MASTER=0", self.name, "bash", "-s"], input=script, text=True,
                             capture_output=True, env=ENV, timeout=120, check=False)
        assert res.returncode == 0, "%s set-up failed: %s %s" % (self.cni, res.stdout, res.stderr)
        return self.name

    def __exit__(self, *exc):
        run(["podman", "rm", "-f", "-t", "0", self.name], check=False)
