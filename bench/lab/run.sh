#!/usr/bin/env bash
# Lab scale benchmark: time-to-Ready and memory of the control plane for 3, 30 and 100
# KWOK nodes (CNI=kube-ovn objects, no node-host containers), measured side by side in
# ONE run on a private state dir and private ports (a running lab is not touched).
#   bash bench/lab/run.sh [node counts...]      default: 3 30 100
# Prints one line per size and ratios against the smallest.  Needs the cached build.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
sizes=("$@"); ((${#sizes[@]})) || sizes=(3 30 100)
bash lab/k8s/build.sh check || { echo "bench/lab: build the lab first (bash lab/k8s/build.sh)"; exit 2; }

free_port() { local p=$1; while [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; do p=$((p + 1)); done; echo "$p"; }
base=28443; ports=()
for v in LAB_API_PORT LAB_ETCD_PORT LAB_ETCD_PEER_PORT LAB_KCM_PORT LAB_SCHED_PORT LAB_KWOK_PORT; do
  base=$(free_port "$base"); ports+=("$v=$base"); base=$((base + 1))
done
work=$(mktemp -d /tmp/cni-ovs-bench-lab.XXXXXX)
export LAB_STATE=$work/state LAB_NODE_HOSTS=0
export "${ports[@]}"
trap 'bash lab/lab.sh down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

rss_mib() {  # sum of VmRSS of the lab's components, MiB
  local total=0 f pid kb
  for f in "$LAB_STATE"/pids/*.pid; do
    read -r pid _ <"$f"
    kb=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo $((total / 1024))
}
comp_rss() {  # name=MiB for each component
  local f pid out=""
  for f in "$LAB_STATE"/pids/*.pid; do
    read -r pid _ <"$f"
    out+="$(basename "$f" .pid)=$(awk '/VmRSS/{printf "%d", $2/1024}' "/proc/$pid/status" 2>/dev/null) "
  done
  echo "$out"
}

echo "bench/lab: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); Kubernetes $(sed -n 's/^K8S_VERSION=//p' lab/k8s/versions.sh), KWOK-only nodes"
declare -A UP READY RSS DOWN PODS
for n in "${sizes[@]}"; do
  t0=$(date +%s.%N)
  NODES=$n CNI=kube-ovn bash lab/lab.sh up >"$work/up-$n.log" 2>&1 || { cat "$work/up-$n.log"; exit 1; }
  t1=$(date +%s.%N)
  UP[$n]=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  READY[$n]=$(sed -n 's/.*lab ready after \([0-9.]*\)s.*/\1/p' "$work/up-$n.log")
  # Let the DaemonSets/Deployments settle, then measure memory.
  "$PWD/.venv/bin/python" lab/lib/labctl.py --kubeconfig "$LAB_STATE/kubeconfig" wait-rollouts 300 >/dev/null
  sleep 5
  RSS[$n]=$(rss_mib)
  PODS[$n]=$("$PWD/.venv/bin/python" lab/lib/labctl.py --kubeconfig "$LAB_STATE/kubeconfig" status | sed -n 's/^pods: //p')
  echo "NODES=$n: up ${UP[$n]} s (nodes Ready at ${READY[$n]} s), pods ${PODS[$n]}, RSS ${RSS[$n]} MiB: $(comp_rss)"
  t0=$(date +%s.%N)
  bash lab/lab.sh down >/dev/null
  DOWN[$n]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
done
s=${sizes[0]}
echo "size    up_s  ready_s  rss_mib  down_s  up_ratio  rss_ratio   (ratios vs NODES=$s)"
for n in "${sizes[@]}"; do
  awk -v n="$n" -v up="${UP[$n]}" -v r="${READY[$n]}" -v m="${RSS[$n]}" -v d="${DOWN[$n]}" \
      -v up0="${UP[$s]}" -v m0="${RSS[$s]}" \
      'BEGIN{printf "%-6s %6.1f %8.1f %8d %7.1f %9.2f %10.2f\n", n, up, r, m, d, up/up0, m/m0}'
done
