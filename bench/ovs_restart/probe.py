# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bounded UDP traffic probe with sequence numbers.

  probe.py send DST_IP PORT PPS MAX_SECONDS   sends until SIGTERM or MAX_SECONDS; prints {"sent": N}
  probe.py recv BIND_IP PORT MAX_SECONDS      receives until SIGTERM or MAX_SECONDS; prints
        {"received": N, "max_seq": S, "longest_gap_ms": G, "gap_start_seq": K}

The longest gap is the longest time between two consecutive arrivals; at 1000 pps a
healthy path shows about 1 ms.
"""
from __future__ import annotations

import json
import signal
import socket
import struct
import sys
import time

STOP = []


def _stop(*_args):
    STOP.append(1)


def send(dst, port, pps, max_seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    interval = 1.0 / pps
    start = time.monotonic()
    seq = 0
    while not STOP and time.monotonic() - start < max_seconds:
        try:
            sock.sendto(struct.pack('!Qd', seq, time.time()) + b'x' * 48, (dst, port))
        except OSError:
            pass  # no route / buffer full while the switch is down: counts as lost
        seq += 1
        delay = start + seq * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(json.dumps({'sent': seq}), flush=True)


def recv(bind, port, max_seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sock.bind((bind, port))
    sock.settimeout(0.05)
    seen = set()
    last = None
    longest = 0.0
    gap_seq = -1
    max_seq = -1
    start = time.monotonic()
    print(json.dumps({'ready': True}), flush=True)
    while not STOP and time.monotonic() - start < max_seconds:
        try:
            data = sock.recv(2048)
        except socket.timeout:
            continue
        now = time.monotonic()
        seq = struct.unpack('!Qd', data[:16])[0]
        seen.add(seq)
        max_seq = max(max_seq, seq)
        if last is not None and now - last > longest:
            longest = now - last
            gap_seq = seq
        last = now
    print(json.dumps({'received': len(seen), 'max_seq': max_seq, 'longest_gap_ms': round(longest * 1000, 1),
                      'gap_start_seq': gap_seq}), flush=True)


def main():
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    mode = sys.argv[1]
    if mode == 'send':
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif mode == 'recv':
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit('usage: probe.py send DST PORT PPS MAX_SECONDS | recv BIND PORT MAX_SECONDS')


if __name__ == '__main__':
    main()
