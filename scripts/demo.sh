#!/usr/bin/env bash
# `make demo`: the main job on the embedded default (the local lab), end to end:
#  1. the lab with CNI=kube-ovn (real control plane + KWOK kubelets, 3 Podman node hosts with real
#     OVS and real OVN NB/SB raft clusters, traffic between two netns "pods" per node);
#     built on first use (~10-16 min cold, cached in ~/.cache/cni-ovs), ~15 s when cached;
#  2. playbooks/ovn_raft_health.yml against the lab's ovn_central hosts (read-only);
#  3. playbooks/ovs_hot_upgrade.yml across all nodes, one at a time, with the lab's traffic probe
#     running through every restart (the same OVS version re-installed from .debs, see
#     playbooks/vars/ovs_hot_upgrade_lab_demo.yml); per-node progress, a summary table and the
#     run report (JSON + HTML) path at the end.
# The playbooks reach the node hosts as real nodes are reached: SSH as the normal user cniops with
# sudo (lab/.state/inventory-ssh.yml); lab/.state/inventory.yml (podman exec as root) is the lab's
# own plumbing.
# The lab is left running for a look around (make lab-status; make lab-down removes it).
# DEMO_LOCAL_RAFT=1 runs only the lab-free raft demo (3-member NB/SB clusters on 127.0.0.1-3).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH ANSIBLE_CONFIG=$PWD/ansible.cfg
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/lab/nodes/containers.conf}
say() { printf '\n===== demo: %s =====\n' "$*"; }

if [ -n "${DEMO_LOCAL_RAFT:-}" ]; then
  trap 'bash scripts/local_raft.sh down' EXIT
  bash scripts/local_raft.sh up
  ansible-playbook -i .cache/local-raft/inventory.yml playbooks/ovn_raft_health.yml
  exit 0
fi

running_cni=$(sed -n 's/^CNI=//p' lab/.state/config 2>/dev/null || true)
if [ -n "$running_cni" ] && { [ "$running_cni" != kube-ovn ] || [ "$(sed -n 's/^NODES=//p' lab/.state/config)" != 3 ]; }; then
  say "the lab runs CNI=$running_cni; restarting it with CNI=kube-ovn NODES=3"
  bash lab/lab.sh down
fi
say "lab up (CNI=kube-ovn NODES=3)"
NODES=3 CNI=kube-ovn bash lab/lab.sh up

say "OVN NB/SB raft health of the lab's ovn-central nodes"
ansible-playbook -i lab/.state/inventory-ssh.yml playbooks/ovn_raft_health.yml

say "Open vSwitch .deb files for the hot upgrade (apt-get download, cached)"
mkdir -p "$HOME/.cache/cni-ovs/debs"
if ! ls "$HOME"/.cache/cni-ovs/debs/openvswitch-switch_*.deb >/dev/null 2>&1; then
  (cd "$HOME/.cache/cni-ovs/debs" && apt-get download openvswitch-switch openvswitch-common) \
    || echo "apt-get download failed: the demo restarts vswitchd without a package step (force_restart)"
fi

say "OVS hot upgrade across all nodes, one at a time, with traffic flowing"
ansible-playbook -i lab/.state/inventory-ssh.yml playbooks/ovs_hot_upgrade.yml -e @playbooks/vars/ovs_hot_upgrade_lab_demo.yml

say "done; the lab keeps running: make lab-status, make lab-down"
