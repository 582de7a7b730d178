#!/usr/bin/env bash
# Rolling hot upgrade of every lab node host with traffic flowing (see bench.py). Needs the lab
# with node hosts (make lab-up); changes the nodes' vswitchd (restarts, flows kept).
#   bash bench/rollout/run.sh [--mode host|daemonset] [--floor-runs N] [--json FILE] [--local-nodes N ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/lab/nodes/containers.conf}
exec .venv/bin/python bench/rollout/bench.py "$@"
