#!/usr/bin/env bash
# Lab tests: pytest with the kubernetes client against the lab's real control plane.
#   bash tests/lab/run.sh [pytest args]
# Starts the lab (bash lab/lab.sh up; NODES/CNI from the environment) when it is not
# running and stops it again at the end, so the lab is left as it was found.  The
# OpenShift migration flow runs on a second, private and disposable KWOK-only lab
# (CNI=openshift-sdn, own state dir and ports) that is removed afterwards.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || { echo "run 'make setup' first (.venv missing)"; exit 2; }
export LANG=C.UTF-8

started=0 private="" rc=0
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ -n "$private" ]; then
    LAB_STATE=$private/state LAB_NODE_HOSTS=0 "${PRIVATE_PORTS[@]}" bash lab/lab.sh down >/dev/null 2>&1 ||
      echo "lab-tests: could not stop the private lab in $private" >&2
    # lab-down must leave no process and no state behind.
    local left; left=$(pgrep -af -- "$private/state" || true)
    if [ -n "$left" ] || [ -e "$private/state" ]; then
      echo "lab-tests: FAIL: lab-down left processes or state behind: ${left:-$private/state}" >&2
      rc=1
    else
      echo "lab-tests: private lab down: no process or state left"
    fi
    rm -rf "$private"
  fi
  if ((started)); then
    echo "lab-tests: stopping the lab this run started"
    bash lab/lab.sh down || rc=1
  fi
}
trap 'cleanup; exit $rc' EXIT

bash lab/lab.sh status >/dev/null 2>&1; st=$?
case $st in
  0) echo "lab-tests: using the running lab ($(tr '\n' ' ' <lab/.state/config))" ;;
  3) echo "lab-tests: no lab running; starting one (bash lab/lab.sh up)"
     started=1
     bash lab/lab.sh up || { echo "lab-tests: lab-up failed"; rc=1; exit 1; } ;;
  *) echo "lab-tests: the lab is half-started or broken (bash lab/lab.sh status); run 'make lab-down' first"
     bash lab/lab.sh status; rc=1; exit 1 ;;
esac

"$PY" -m pytest -q -p no:cacheprovider --durations=12 tests/lab "$@" || rc=1

# The OpenShift flow changes the cluster (migrates it): private disposable lab.
free_port() {
  local p=$1
  while [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; do p=$((p + 1)); done
  echo "$p"
}
base=27443
PRIVATE_PORTS=()
for v in LAB_API_PORT LAB_ETCD_PORT LAB_ETCD_PEER_PORT LAB_KCM_PORT LAB_SCHED_PORT LAB_KWOK_PORT; do
  base=$(free_port "$base"); PRIVATE_PORTS+=("$v=$base"); base=$((base + 1))
done
PRIVATE_PORTS=(env "${PRIVATE_PORTS[@]}")
private=$(mktemp -d /tmp/cni-ovs-lab-tests.XXXXXX)
echo "lab-tests: private CNI=openshift-sdn lab for the migration flow (${PRIVATE_PORTS[*]:1})"
if LAB_STATE=$private/state LAB_NODE_HOSTS=0 NODES=3 CNI=openshift-sdn "${PRIVATE_PORTS[@]}" \
     bash lab/lab.sh up >"$private/up.log" 2>&1; then
  LAB_STATE=$private/state LAB_DISPOSABLE=1 "$PY" -m pytest -q -p no:cacheprovider \
    tests/lab/test_openshift_sim.py -k openshift_migration_flow "$@" || rc=1
else
  echo "lab-tests: private openshift-sdn lab failed to start:"; cat "$private/up.log"; rc=1
fi
exit $rc
