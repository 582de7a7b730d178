#!/usr/bin/env bash
# Benchmark of ovs-vswitchd restart methods (see bench.py). Needs root.
#   bench/ovs_restart/run.sh [--runs N] [--pps N] [--filler N] [--restore-sizes 10000,100000]
set -euo pipefail
cd "$(dirname "$0")"
exec /usr/bin/python3 bench.py "$@"
