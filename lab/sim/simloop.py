# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The loop every lab SIMULATION (lab/sim/*_sim.py) runs: parse --kubeconfig/--interval/--once,
build the sim from an API client, call its step() until SIGTERM, print what it changed.

lab/lab.sh waits for the line "<name>: running" in the log before it goes on.
"""

from __future__ import annotations

import argparse
import signal
import time


def run(argv: list[str], prog: str, name: str, what: str, make_sim) -> int:
    ap = argparse.ArgumentParser(prog=prog)
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--once", action="store_true")
    args = ap.parse_args(argv)
    from kubernetes import config  # pylint: disable=import-outside-toplevel
    sim = make_sim(config.new_client_from_config(config_file=args.kubeconfig))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print(f"{name}: running (SIMULATION of {what})", flush=True)
    while not stop:
        try:
            for line in sim.step():
                print(f"{name}: {line}", flush=True)
        except Exception as e:  # pylint: disable=broad-exception-caught
            print(f"{name}: pass failed, retrying: {e}", flush=True)
        if args.once:
            break
        time.sleep(args.interval)
    return 0
