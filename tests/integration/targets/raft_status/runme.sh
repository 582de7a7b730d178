#!/usr/bin/env bash
# cni.ovs.raft_status on the output of real OVN NB/SB raft clusters: the health
# playbook passes on a healthy cluster, and the filter's view follows a real kick.
set -euo pipefail
ROOT=$(cd ../../../.. && pwd)
export STATE=$ROOT/tests/output/integration/raft_status-state
trap 'bash "$ROOT/scripts/local_raft.sh" down >/dev/null' EXIT
bash "$ROOT/scripts/local_raft.sh" up
ansible-playbook -i "$STATE/inventory.yml" "$ROOT/playbooks/ovn_raft_health.yml"
ansible-playbook -i "$STATE/inventory.yml" -e "state_dir=$STATE" kick.yml
