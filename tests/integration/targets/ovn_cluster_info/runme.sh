#!/usr/bin/env bash
# Integration test of cni.ovs.ovn_cluster_info on real ovsdb-server raft clusters (OVN NB/SB schemas)
# of 3 and 5 members on 127.0.0.1-6; every scenario gets its own temp dir and port, stopped at the end.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../../.. && pwd)
RL=$ROOT/tests/lib/rl.sh
export ANSIBLE_CONFIG=$ROOT/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$ROOT/.collections
PB=${ANSIBLE_PLAYBOOK:-$ROOT/.venv/bin/ansible-playbook}
# shellcheck source=../../../lib/raftlab.sh
source "$ROOT/tests/lib/raftlab.sh"
scenarios=${SCENARIOS:-"info"}
port=17331
for s in $scenarios; do
  rl_init
  echo "=== scenario $s (dir $RL_DIR, port $port)"
  rc=0
  "$PB" -i localhost, -c local -e ansible_python_interpreter=/usr/bin/python3 \
    -e "rl=$RL rl_dir=$RL_DIR port=$port" "playbooks/$s.yml" || rc=$?
  rl_cleanup
  [ $rc = 0 ] || { echo "=== scenario $s FAILED"; exit $rc; }
  port=$((port+1))
done
echo "=== all scenarios passed: $scenarios"
