# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/lib/forward.py: the API server as node hosts see it, at 198.18.0.1."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading

import pytest

from conftest import LAB_STATE, ROOT

sys.path.insert(0, os.path.join(ROOT, "lab", "lib"))
import forward  # noqa: E402  pylint: disable=wrong-import-position,import-error


@pytest.mark.parametrize("addr", ["127.0.0.1", "127.0.0.53", "198.18.0.1", "198.19.255.254"])
def test_allowed_listen_addresses(addr):
    forward.check_address(addr)


@pytest.mark.parametrize("addr", ["0.0.0.0", "10.0.0.1", "192.168.1.1", "172.16.0.1", "198.20.0.1", "8.8.8.8"])
def test_other_listen_addresses_are_refused(addr):
    with pytest.raises(ValueError, match="refusing to listen"):
        forward.check_address(addr)


def test_forwards_bytes_both_ways():
    """A real echo server behind a real forwarder, both on loopback."""
    echo = socket.socket()
    echo.bind(("127.0.0.1", 0))
    echo.listen(1)
    target_port = echo.getsockname()[1]

    def serve_echo():
        conn = echo.accept()[0]
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data.upper())

    threading.Thread(target=serve_echo, daemon=True).start()
    listen = forward.listening_socket("127.0.0.2", 0)
    port = listen.getsockname()[1]
    loop = asyncio.new_event_loop()
    task_holder = {}

    def run():
        asyncio.set_event_loop(loop)
        task_holder["t"] = loop.create_task(forward.serve(listen, ("127.0.0.1", target_port)))
        try:
            loop.run_until_complete(task_holder["t"])
        except asyncio.CancelledError:
            pass
        rest = asyncio.all_tasks(loop)
        for task in rest:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
        loop.close()

    # serve() installs signal handlers, which only the main thread may do: stub them here.
    loop.add_signal_handler = lambda *a, **k: None
    t = threading.Thread(target=run, daemon=True)
    t.start()
    with socket.create_connection(("127.0.0.2", port), timeout=5) as c:
        c.sendall(b"hello lab")
        got = b""
        while len(got) < 9:
            got += c.recv(100)
    assert got == b"HELLO LAB"
    loop.call_soon_threadsafe(task_holder["t"].cancel)
    t.join(timeout=5)
    echo.close()


def _has_address(addr: str) -> bool:
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=False).stdout
    return f" {addr}/" in out


def test_api_server_reachable_on_lab_network_address(k8s_api):  # pylint: disable=unused-argument
    """With the lab bridge up (node hosts), kubeconfig-nodes reaches the API server."""
    if not _has_address("198.18.0.1"):
        pytest.skip("the lab bridge (198.18.0.1) is not up: no node hosts running")
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    api = config.new_client_from_config(config_file=os.path.join(LAB_STATE, "kubeconfig-nodes"))
    assert api.configuration.host.startswith("https://198.18.0.1:")
    names = {n.metadata.name for n in client.CoreV1Api(api).list_node().items}
    assert "lab-node-1" in names
