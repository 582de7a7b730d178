# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TCP forwarder of the lab: LISTEN_ADDR:PORT -> TARGET_ADDR:PORT.

kube-apiserver binds one address (127.0.0.1).  Node-host containers reach it at the lab
bridge's host address (198.18.0.1), which exists only while the podman network has a
container attached.  The listening socket uses IP_FREEBIND, so it can be bound before the
bridge exists and starts receiving once it does.  TLS passes through untouched (the API
server's certificate carries 198.18.0.1 as a SAN).

Usage: python forward.py LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT
"""

from __future__ import annotations

import asyncio
import ipaddress
import signal
import socket
import sys

IP_FREEBIND = getattr(socket, "IP_FREEBIND", 15)
ALLOWED = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("198.18.0.0/15"))


def check_address(addr: str) -> None:
    """Refuse listen addresses outside loopback and the lab range 198.18.0.0/15."""
    ip = ipaddress.ip_address(addr)
    if not any(ip in net for net in ALLOWED):
        raise ValueError(f"refusing to listen on {addr}: only 127.0.0.0/8 or 198.18.0.0/15")


def listening_socket(addr: str, port: int) -> socket.socket:
    check_address(addr)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
    sock.bind((addr, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


async def serve(listen: socket.socket, target: tuple[str, int]) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            t_reader, t_writer = await asyncio.open_connection(*target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, t_writer), _pipe(t_reader, writer))

    server = await asyncio.start_server(handle, sock=listen)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    listen = listening_socket(argv[0], int(argv[1]))
    asyncio.run(serve(listen, (argv[2], int(argv[3]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
