# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for tests against the lab's real Kubernetes control plane.

The lab is found through LAB_STATE (default lab/.state): its kubeconfig and config file.
tests/lab/run.sh starts the lab when it is not running; tests that need it skip when run
directly without one.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAB_STATE = os.environ.get("LAB_STATE", os.path.join(ROOT, "lab", ".state"))
KUBECONFIG = os.path.join(LAB_STATE, "kubeconfig")


def lab_paths() -> dict:
    """Variables of lab/lib/paths.sh, as the lab scripts see them."""
    out = subprocess.run(
        ["bash", "-c", '. "$0"; for v in KWOK_BIN KWOK_CONFIG LAB_NODE_LEASE_SECONDS '
         'LAB_NODE_GRACE_SECONDS LAB_API_PORT LAB_STATE K8S_VERSION; do echo "$v=${!v}"; done',
         os.path.join(ROOT, "lab", "lib", "paths.sh")],
        check=True, capture_output=True, text=True, env=dict(os.environ, LAB_STATE=LAB_STATE)).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def lab_config() -> dict:
    path = os.path.join(LAB_STATE, "config")
    with open(path, encoding="utf-8") as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line)


def wait_until(what: str, fn, timeout: float = 60, interval: float = 0.5):
    """Poll fn() until it returns a truthy value; fail naming `what` after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")
    return None


def wait_for(what: str, getter, predicate, timeout: float = 60, interval: float = 0.5):
    """Poll getter() until predicate(value) holds; return that value."""
    box = []

    def probe():
        box[:] = [getter()]
        return predicate(box[0])

    wait_until(what, probe, timeout=timeout, interval=interval)
    return box[0]


@pytest.fixture(scope="session")
def k8s_api():
    if not os.path.exists(KUBECONFIG):
        pytest.skip(f"no lab: {KUBECONFIG} missing (run `make lab-up` or tests/lab/run.sh)")
    from kubernetes import config  # pylint: disable=import-outside-toplevel
    return config.new_client_from_config(config_file=KUBECONFIG)


@pytest.fixture(scope="session")
def core(k8s_api):
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    return client.CoreV1Api(k8s_api)


@pytest.fixture(scope="session")
def apps(k8s_api):
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    return client.AppsV1Api(k8s_api)


@pytest.fixture(scope="session")
def _namespaces_to_reap(core):
    """Namespaces deleted by tests; the session waits once, at its end, until the real
    namespace controller has finished deleting them all (each takes ~10 s)."""
    names: list[str] = []
    yield names
    wait_until(f"namespaces {names} deleted", lambda: not set(names) & {
        n.metadata.name for n in core.list_namespace().items}, timeout=180, interval=1)


@pytest.fixture()
def namespace(core, _namespaces_to_reap):
    """A fresh namespace, deleted afterwards."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    name = "labtest-" + uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)
    _namespaces_to_reap.append(name)


def node_ready_status(node) -> str:
    for c in (node.status.conditions or []) if node.status else []:
        if c.type == "Ready":
            return c.status
    return "None"


def ready_schedulable_nodes(core) -> list:
    return [n for n in core.list_node().items
            if node_ready_status(n) == "True" and not n.spec.unschedulable
            and not any(t.effect in ("NoSchedule", "NoExecute") for t in (n.spec.taints or []))]
