#!/usr/bin/env bash
# `make demo`: the main job on the embedded default.
# Today: real OVN NB/SB raft clusters on loopback and the raft health playbook
# (cni.ovs.raft_status on real cluster/status output).  When the lab's node hosts
# exist, this becomes: lab up, then the OVS hot upgrade across all nodes with
# traffic flowing (see README "What is coming").
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH ANSIBLE_CONFIG=$PWD/ansible.cfg
trap 'bash scripts/local_raft.sh down' EXIT
bash scripts/local_raft.sh up
ansible-playbook -i .cache/local-raft/inventory.yml playbooks/ovn_raft_health.yml
