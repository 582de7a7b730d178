#!/usr/bin/env bash
# Host-side entry to the traffic probe inside a lab node (for benchmarks and scripts):
#   bash lab/nodes/probe.sh lab-node-1 --pps 1000 --duration 10 [--output /tmp/x.json]
# Prints the probe's JSON (see docs/lab-nodes.md). --output paths are inside the node.
set -euo pipefail
node=${1:?usage: $0 NODE [cni-ovs-lab-probe options]}; shift
exec podman exec "$node" cni-ovs-lab-probe "$@"
