#!/usr/bin/env bash
# The local lab: a real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler built from the Go module proxy) whose nodes
# lab-node-1..N are played by KWOK, plus the objects of one CNI.  See docs/lab.md.
#
#   bash lab/lab.sh up       start (or check) the lab; idempotent
#   bash lab/lab.sh status   components, nodes, pods
#   bash lab/lab.sh down     stop everything it started and remove lab/.state
#   bash lab/lab.sh env      print shell exports (KUBECONFIG, ...) for the running lab
# Environment: NODES (1..200, default 3), CNI (kube-ovn|nsx|openshift-sdn, default kube-ovn),
# LAB_NODE_HOSTS=0 to skip the node-host containers (lab/nodes/): KWOK-only nodes.
# Ports and the state directory: see lab/lib/paths.sh (LAB_STATE, LAB_API_PORT, ...).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/lib/paths.sh
. "$HERE/lib/paths.sh"
# shellcheck source=lab/lib/proc.sh
. "$HERE/lib/proc.sh"
# shellcheck source=lab/lib/pki.sh
. "$HERE/lib/pki.sh"

NODES=${NODES:-3}
CNI=${CNI:-kube-ovn}
CNIS=(kube-ovn nsx openshift-sdn)
# kwok: every node's kubelet is KWOK (on the node host or in the control plane);
# real: the node hosts run a real kubelet + containerd (lab/nodes/nodes.sh, docs/lab.md).
LAB_KUBELET=${LAB_KUBELET:-kwok}
export LAB_KUBELET
MAX_NODES=200
# Components in start order; down stops them in reverse.
COMPONENTS=(etcd kube-apiserver apiserver-forwarder kube-controller-manager kube-scheduler kwok)
SIM_COMPONENTS=(openshift-sim nsx-operator-sim)
T0=$(date +%s.%N)

say() { printf '[lab] %s\n' "$*"; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

validate() {
  if ! [[ $NODES =~ ^[0-9]+$ ]] || ((10#$NODES < 1 || 10#$NODES > MAX_NODES)); then
    die "NODES='$NODES' is not a node count: use an integer from 1 to $MAX_NODES. Nothing was started."
  fi
  NODES=$((10#$NODES))
  local c ok=0; for c in "${CNIS[@]}"; do [ "$CNI" = "$c" ] && ok=1; done
  ((ok)) || die "CNI='$CNI' is not one of: ${CNIS[*]}. Nothing was started."
  case $LAB_KUBELET in kwok|real) ;; *) die "LAB_KUBELET='$LAB_KUBELET' is not one of: kwok real. Nothing was started." ;; esac
  if [ "$CNI" = kube-ovn ] && ((NODES < 3)); then
    say "note: kube-ovn labels kube-ovn/role=master on the first 3 nodes; with NODES=$NODES only $NODES"
  fi
}

all_components() {
  printf '%s\n' "${COMPONENTS[@]}"
  [ -f "$LAB_STATE/config" ] || return 0
  grep -q '^CNI=openshift-sdn$' "$LAB_STATE/config" && echo openshift-sim
  grep -q '^CNI=nsx$' "$LAB_STATE/config" && echo nsx-operator-sim
  return 0
}

py() { "$LAB_PYTHON" "$@"; }
labctl() { py "$LAB_ROOT/lib/labctl.py" --kubeconfig "$KUBECONFIG_LAB" "$@"; }

api_curl() {
  curl -fsS --max-time 5 --cacert "$LAB_PKI/ca.crt" --cert "$LAB_PKI/admin.crt" \
    --key "$LAB_PKI/admin.key" "https://127.0.0.1:$LAB_API_PORT$1"
}

wait_for() {
  # wait_for <what> <timeout-s> <component> <cmd...>: poll until cmd succeeds; fail early
  # with the component's log tail if the component died.
  local what=$1 timeout=$2 comp=$3 i; shift 3
  for ((i = 0; i < timeout * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    if ! proc_alive "$comp"; then
      tail -n 20 "$LAB_LOGS/$comp.log" >&2 || true
      die "$comp exited while waiting for $what (log: $LAB_LOGS/$comp.log). Run 'make lab-down' to clean up."
    fi
    sleep 0.2
  done
  tail -n 20 "$LAB_LOGS/$comp.log" >&2 || true
  die "$what not reached after ${timeout}s (log: $LAB_LOGS/$comp.log). Run 'make lab-down' to clean up."
}

# ---------------------------------------------------------------- state checks
# Prints the state of the lab: none | running | partial:<dead components>
lab_state() {
  # lab/.state is shared with the node hosts (lab/nodes/ keeps its own files there):
  # only our config and pid files say whether the control plane was started.
  [ -f "$LAB_STATE/config" ] || [ -d "$LAB_PIDS" ] || { echo none; return; }
  local c dead=()
  while read -r c; do
    if [ -f "$LAB_PIDS/$c.pid" ]; then proc_alive "$c" || dead+=("$c"); else dead+=("$c"); fi
  done < <(all_components)
  if ((${#dead[@]} == 0)); then echo running; else echo "partial:${dead[*]}"; fi
}

check_ports() {
  local p owner busy=()
  for p in "$LAB_ETCD_PORT" "$LAB_ETCD_PEER_PORT" "$LAB_API_PORT" "$LAB_KCM_PORT" \
           "$LAB_SCHED_PORT" "$LAB_KWOK_PORT"; do
    owner=$(port_owner "$p")
    [ -n "$owner" ] && busy+=("port $p in use by: $owner")
  done
  if ((${#busy[@]})); then
    printf '[lab] %s\n' "${busy[@]}" >&2
    die "lab ports are taken (override with LAB_API_PORT, LAB_ETCD_PORT, ...; see lab/lib/paths.sh). Nothing was started."
  fi
}

# ---------------------------------------------------------------- start
start_etcd() {
  mkdir -p "$LAB_STATE/etcd" && chmod 700 "$LAB_STATE/etcd"
  proc_start etcd "--name=cni-ovs-lab" "$ETCD_BIN" --name=cni-ovs-lab \
    --data-dir="$LAB_STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$LAB_ETCD_PORT" \
    --advertise-client-urls="http://127.0.0.1:$LAB_ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$LAB_ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$LAB_ETCD_PEER_PORT" \
    --initial-cluster="cni-ovs-lab=http://127.0.0.1:$LAB_ETCD_PEER_PORT" \
    --unsafe-no-fsync --quota-backend-bytes=4294967296 --log-level=warn
  wait_for "etcd health" 30 etcd curl -fsS --max-time 2 "http://127.0.0.1:$LAB_ETCD_PORT/health"
}

start_apiserver() {
  local pki=$LAB_PKI
  proc_start kube-apiserver "--secure-port=$LAB_API_PORT" "$K8S_BIN_DIR/kube-apiserver" \
    --bind-address=127.0.0.1 --secure-port="$LAB_API_PORT" \
    --advertise-address="$LAB_GATEWAY" \
    --etcd-servers="http://127.0.0.1:$LAB_ETCD_PORT" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$pki/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$LAB_SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --allow-privileged=true \
    --enable-admission-plugins=NodeRestriction \
    --profiling=false --event-ttl=1h --max-requests-inflight=800 \
    --max-mutating-requests-inflight=400
  wait_for "kube-apiserver /readyz" 90 kube-apiserver api_curl /readyz
}

start_forwarder() {
  proc_start apiserver-forwarder "$LAB_ROOT/lib/forward.py" "$LAB_PYTHON" \
    "$LAB_ROOT/lib/forward.py" "$LAB_GATEWAY" "$LAB_API_PORT" 127.0.0.1 "$LAB_API_PORT"
  wait_for "forwarder listening on $LAB_GATEWAY:$LAB_API_PORT" 10 apiserver-forwarder \
    bash -c "ss -Hltn 'sport = :$LAB_API_PORT' | grep -qF '$LAB_GATEWAY:'"
}

start_controller_manager() {
  local pki=$LAB_PKI kc=$LAB_STATE/controller-manager.kubeconfig
  kubeconfig_write "$kc" "https://127.0.0.1:$LAB_API_PORT" controller-manager
  proc_start kube-controller-manager "--secure-port=$LAB_KCM_PORT" \
    "$K8S_BIN_DIR/kube-controller-manager" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$LAB_KCM_PORT" \
    --tls-cert-file="$pki/serving.crt" --tls-private-key-file="$pki/serving.key" \
    --client-ca-file="$pki/ca.crt" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --service-account-private-key-file="$pki/sa.key" --use-service-account-credentials=true \
    --service-cluster-ip-range="$LAB_SERVICE_CIDR" \
    --leader-elect=false --controllers='*,-cloud-node-lifecycle-controller' \
    --node-monitor-period=2s --node-monitor-grace-period="${LAB_NODE_GRACE_SECONDS}s" \
    --kube-api-qps=100 --kube-api-burst=200 --profiling=false
  wait_for "kube-controller-manager /healthz" 60 kube-controller-manager \
    curl -fsS --max-time 2 --cacert "$pki/ca.crt" "https://127.0.0.1:$LAB_KCM_PORT/healthz"
}

start_scheduler() {
  local pki=$LAB_PKI kc=$LAB_STATE/scheduler.kubeconfig
  kubeconfig_write "$kc" "https://127.0.0.1:$LAB_API_PORT" scheduler
  proc_start kube-scheduler "--secure-port=$LAB_SCHED_PORT" "$K8S_BIN_DIR/kube-scheduler" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$LAB_SCHED_PORT" \
    --tls-cert-file="$pki/serving.crt" --tls-private-key-file="$pki/serving.key" \
    --client-ca-file="$pki/ca.crt" --leader-elect=false --profiling=false \
    --kube-api-qps=100 --kube-api-burst=200
  wait_for "kube-scheduler /healthz" 60 kube-scheduler \
    curl -fsS --max-time 2 --cacert "$pki/ca.crt" "https://127.0.0.1:$LAB_SCHED_PORT/healthz"
}

start_kwok() {
  # The kwok configuration of the whole lab (see KWOK_CONFIG in paths.sh).
  # One YAML document per file in the repo (ansible-test's yamllint wants single
  # documents); kwok reads them as one multi-document stream.
  local parts=("$KWOK_CONFIG_BASE"/*.yaml) f
  [ "$CNI" = openshift-sdn ] && parts+=("$LAB_ROOT"/sim/mcd-stages.d/*.yaml)
  for f in "${parts[@]}"; do cat "$f"; done >"$LAB_STATE/kwok.yaml"
  KWOK_CONFIG=$LAB_STATE/kwok.yaml
  local cfg=(--config="$KWOK_CONFIG")
  # Manages every node except those whose "kubelet" runs on a node host (lab/nodes/),
  # labelled cni-ovs.lab/kubelet=host: each of those has its own kwok --manage-single-node.
  proc_start kwok "--server-address=127.0.0.1:$LAB_KWOK_PORT" "$KWOK_BIN" \
    --kubeconfig="$KUBECONFIG_LAB" "${cfg[@]}" \
    --manage-all-nodes=false \
    --manage-nodes-with-label-selector='cni-ovs.lab/kubelet!=host' \
    --node-lease-duration-seconds="$LAB_NODE_LEASE_SECONDS" \
    --cidr="$LAB_POD_CIDR" --node-ip="${LAB_NODE_IP_BASE}10" \
    --server-address="127.0.0.1:$LAB_KWOK_PORT" \
    --tls-cert-file="$LAB_PKI/serving.crt" --tls-private-key-file="$LAB_PKI/serving.key"
  wait_for "kwok /healthz" 60 kwok \
    curl -fsS --max-time 2 -k "https://127.0.0.1:$LAB_KWOK_PORT/healthz"
}

start_sim() {
  local name script
  case $CNI in
    openshift-sdn) name=openshift-sim script=openshift_sim.py ;;
    nsx) name=nsx-operator-sim script=nsx_operator_sim.py ;;
    *) return 0 ;;
  esac
  proc_start "$name" "$LAB_ROOT/sim/$script" "$LAB_PYTHON" "$LAB_ROOT/sim/$script" --kubeconfig "$KUBECONFIG_LAB"
  wait_for "$name started" 20 "$name" grep -q "$name: running" "$LAB_LOGS/$name.log"
}

manifests() {
  local files=("$LAB_ROOT"/manifests/common/*.yaml "$LAB_ROOT/manifests/$CNI"/*.yaml)
  printf '%s\n' "${files[@]}"
}

ensure_objects() {
  # One Python process (importing the kubernetes client costs seconds on a busy machine).
  local files; mapfile -t files < <(manifests)
  local real=0
  # LAB_KUBELET=real: the node hosts' real kubelets register and run lab-node-1..min(N,50);
  # lab/nodes/nodes.sh waits for them.
  if [ "$LAB_KUBELET" = real ] && [ "${LAB_NODE_HOSTS:-1}" != 0 ]; then real=$((NODES < 50 ? NODES : 50)); fi
  labctl ensure "$NODES" "$CNI" "$((60 + NODES))" "${files[@]}" --real-kubelets "$real"
}

nodes_hook() {
  local action=$1
  if [ "${LAB_NODE_HOSTS:-1}" = 0 ]; then
    [ "$action" = status ] || say "node hosts skipped (LAB_NODE_HOSTS=0): every node is KWOK-only"
    return 0
  fi
  if [ -f "$LAB_ROOT/nodes/nodes.sh" ]; then
    say "node hosts: bash lab/nodes/nodes.sh $action"
    NODES=$NODES CNI=$CNI bash "$LAB_ROOT/nodes/nodes.sh" "$action"
  fi
}

cmd_up() {
  validate
  local st; st=$(lab_state)
  case $st in
    running)
      local run_nodes run_cni run_kubelet; run_nodes=$(sed -n 's/^NODES=//p' "$LAB_STATE/config")
      run_cni=$(sed -n 's/^CNI=//p' "$LAB_STATE/config")
      run_kubelet=$(sed -n 's/^LAB_KUBELET=//p' "$LAB_STATE/config"); run_kubelet=${run_kubelet:-kwok}
      if [ "$run_nodes" != "$NODES" ] || [ "$run_cni" != "$CNI" ] || [ "$run_kubelet" != "$LAB_KUBELET" ]; then
        die "the lab runs with NODES=$run_nodes CNI=$run_cni LAB_KUBELET=$run_kubelet, not NODES=$NODES CNI=$CNI LAB_KUBELET=$LAB_KUBELET; run 'make lab-down' first (nothing was changed)."
      fi
      api_curl /readyz >/dev/null || die "components run but the API server is not ready; see $LAB_LOGS, or 'make lab-down'."
      say "already running (NODES=$NODES CNI=$CNI); checking objects"
      ensure_objects
      nodes_hook up
      say "up in $(elapsed)s; export KUBECONFIG=$KUBECONFIG_LAB"
      return 0 ;;
    partial:*)
      die "a half-started or crashed lab is in $LAB_STATE (not running: ${st#partial:}); run 'make lab-down' to clean it up, then 'make lab-up'." ;;
  esac
  check_ports
  if ! bash "$LAB_ROOT/k8s/build.sh" check 2>/dev/null; then
    say "binaries missing from $CNI_OVS_CACHE: building them (once)"
    bash "$LAB_ROOT/k8s/build.sh" all
  fi
  command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"
  [ -x "$LAB_PYTHON" ] || die "$LAB_PYTHON is missing: run 'make setup' first"
  mkdir -p "$LAB_STATE" "$LAB_PIDS" "$LAB_LOGS"
  printf 'NODES=%s\nCNI=%s\nLAB_KUBELET=%s\nSTARTED=%s\n' "$NODES" "$CNI" "$LAB_KUBELET" "$(date -u +%FT%TZ)" >"$LAB_STATE/config"
  say "starting control plane (Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
  pki_create
  kubeconfig_write "$KUBECONFIG_LAB" "https://127.0.0.1:$LAB_API_PORT" admin
  kubeconfig_write "$KUBECONFIG_NODES" "https://$LAB_GATEWAY:$LAB_API_PORT" admin
  start_etcd
  start_apiserver
  start_forwarder
  start_controller_manager
  start_scheduler
  say "control plane ready after $(elapsed)s"
  start_kwok
  ensure_objects
  start_sim
  say "lab ready after $(elapsed)s: $NODES nodes, CNI=$CNI"
  nodes_hook up
  say "up in $(elapsed)s; export KUBECONFIG=$KUBECONFIG_LAB"
}

cmd_down() {
  if [ -d "$LAB_STATE" ] && [ -f "$LAB_STATE/config" ]; then
    NODES=$(sed -n 's/^NODES=//p' "$LAB_STATE/config"); CNI=$(sed -n 's/^CNI=//p' "$LAB_STATE/config")
    LAB_KUBELET=$(sed -n 's/^LAB_KUBELET=//p' "$LAB_STATE/config"); LAB_KUBELET=${LAB_KUBELET:-kwok}
  fi
  nodes_hook down || say "warning: lab/nodes/nodes.sh down failed; continuing"
  local comps=() c i
  mapfile -t comps < <(all_components; printf '%s\n' "${SIM_COMPONENTS[@]}")
  for ((i = ${#comps[@]} - 1; i >= 0; i--)); do
    c=${comps[i]}
    [ -f "$LAB_PIDS/$c.pid" ] || continue
    proc_alive "$c" && say "stopping $c (pid $(proc_pid "$c"))"
    proc_stop "$c"
  done
  # Report whatever still holds a lab port (another program, or a process whose pid file
  # was lost): it is not ours to kill.
  local left=()
  for c in "$LAB_ETCD_PORT" "$LAB_API_PORT" "$LAB_KCM_PORT" "$LAB_SCHED_PORT" "$LAB_KWOK_PORT"; do
    local owner; owner=$(port_owner "$c")
    [ -n "$owner" ] && left+=("port $c: $owner")
  done
  # Our own files only: lab/nodes/ keeps its state in the same directory and removes it
  # in its own 'down'.
  rm -rf "$LAB_STATE/config" "$LAB_PIDS" "$LAB_LOGS" "$LAB_PKI" "$LAB_STATE/etcd" \
    "$KUBECONFIG_LAB" "$KUBECONFIG_NODES" "$LAB_STATE"/*.kubeconfig "$LAB_STATE/kwok.yaml"
  rmdir "$LAB_STATE" 2>/dev/null || [ ! -d "$LAB_STATE" ] ||
    say "left in $LAB_STATE (not the control plane's): $(cd "$LAB_STATE" && echo *)"
  if ((${#left[@]})); then
    printf '[lab] still listening (not started by this lab state, left alone): %s\n' "${left[@]}" >&2
  fi
  say "down in $(elapsed)s"
}

cmd_status() {
  local st; st=$(lab_state)
  case $st in
    none) say "not running (no $LAB_STATE)"; nodes_hook status || true; return 3 ;;
  esac
  say "state: $st ($(tr '\n' ' ' <"$LAB_STATE/config"))"
  local c
  while read -r c; do
    if proc_alive "$c"; then
      printf '  %-24s running  pid %-8s rss %s\n' "$c" "$(proc_pid "$c")" \
        "$(awk '/VmRSS/{printf "%d MiB", $2/1024}' "/proc/$(proc_pid "$c")/status" 2>/dev/null)"
    else
      printf '  %-24s STOPPED  (log %s)\n' "$c" "$LAB_LOGS/$c.log"
    fi
  done < <(all_components)
  echo "  API: https://127.0.0.1:$LAB_API_PORT (nodes: https://$LAB_GATEWAY:$LAB_API_PORT)  KUBECONFIG=$KUBECONFIG_LAB"
  if api_curl /readyz >/dev/null 2>&1; then labctl status; else say "API server not ready"; fi
  nodes_hook status || true
  [ "$st" = running ]
}

# `lab.sh api-outage SECONDS`: the API server is down for SECONDS (stopped, then started again
# with the same flags), as when a small cluster's masters reboot together; tests use it.
cmd_api_outage() {
  local secs=${1:-}
  if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ] || [ "$secs" -gt 600 ]; then
    die "api-outage SECONDS: SECONDS must be a whole number 1..600, not '$secs'. Nothing was changed."
  fi
  [ "$(lab_state)" = running ] || die "the lab is not running. Nothing was changed."
  say "API server down for ${secs}s"
  proc_stop kube-apiserver
  sleep "$secs"
  start_apiserver
  say "API server back after $(elapsed)s"
}

cmd_env() {
  echo "export KUBECONFIG=$KUBECONFIG_LAB"
  echo "export PATH=$K8S_BIN_DIR:\$PATH   # kubectl $K8S_VERSION, built for people"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  api-outage) cmd_api_outage "${2:-}" ;;
  *) echo "usage: $0 up|down|status|env|api-outage SECONDS   (env NODES=1..$MAX_NODES CNI=${CNIS[*]// /|})" >&2; exit 2 ;;
esac
