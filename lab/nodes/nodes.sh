#!/usr/bin/env bash
# Lab node hosts: one Podman container per Kubernetes Node, with real OVS/OVN inside.
#
#   bash lab/nodes/nodes.sh up|down|status
#
# Environment:
#   NODES=3              number of nodes (lab-node-1 .. lab-node-N at 198.18.0.(10+i))
#   CNI=kube-ovn         kube-ovn | nsx | openshift-sdn (per-CNI host set-up)
#   LAB_KUBELET=kwok     kwok: the node's "kubelet" is KWOK managing only this node (pods are
#                        API objects); real: a real kubelet + containerd run this node's pods
#                        (privileged node container, images from lab/nodes/pod-images/)
#   KWOK_BIN             kwok binary for the per-node kubelet (default from lab/lib/paths.sh)
#   KUBECONFIG_NODES     kubeconfig the kubelets use (default lab/.state/kubeconfig-nodes)
#   CONTAINERS_CONF      default lab/nodes/containers.conf (runc, ulimits; see ENVIRONMENT.md)
#
# up is idempotent: running containers whose configuration did not change are kept.
# See docs/lab-nodes.md.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STATE=$ROOT/lab/.state
NSTATE=$STATE/nodes
NODES=${NODES:-3}
CNI=${CNI:-kube-ovn}
NET=${LAB_NETWORK:-cni-ovs-lab}
SUBNET=198.18.0.0/24
GATEWAY=198.18.0.1
PREFIX=lab-node-
LABEL=cni-ovs.lab.node
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/containers.conf}
# shellcheck disable=SC1091
[ -f "$ROOT/lab/lib/paths.sh" ] && . "$ROOT/lab/lib/paths.sh"
# shellcheck source=lab/lib/pki.sh
. "$ROOT/lab/lib/pki.sh"
KWOK_BIN=${KWOK_BIN:-}
LAB_KUBELET=${LAB_KUBELET:-kwok}
KUBELET_BIN=${K8S_BIN_DIR:+$K8S_BIN_DIR/kubelet}
KUBECONFIG_NODES=${KUBECONFIG_NODES:-$STATE/kubeconfig-nodes}
ADMIN_KUBECONFIG=${KUBECONFIG_LAB:-$STATE/kubeconfig}
KWOK_CONFIG=${KWOK_CONFIG:-}
NODE_LEASE_SECONDS=${LAB_NODE_LEASE_SECONDS:-40}

log() { printf '== nodes: %s\n' "$*" >&2; }
die() { printf '== nodes: ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

case $CNI in kube-ovn|nsx|openshift-sdn) ;; *) die "CNI=$CNI: expected kube-ovn, nsx or openshift-sdn" ;; esac
case $LAB_KUBELET in kwok|real) ;; *) die "LAB_KUBELET=$LAB_KUBELET: expected kwok or real" ;; esac
if ! [[ $NODES =~ ^[1-9][0-9]?$ ]] || ((NODES > 50)); then die "NODES=$NODES: expected 1..50"; fi

node_name() { echo "$PREFIX$1"; }
node_ip() { echo "198.18.0.$((10 + $1))"; }
masters() { local n=$((NODES < 3 ? NODES : 3)); seq 1 "$n"; }
master_ips() { local i out=""; for i in $(masters); do out+="$(node_ip "$i"),"; done; echo "${out%,}"; }
is_master() { (($1 <= 3)); }

kubelet_inputs() {  # prints what the node's kubelet needs when it all exists, else nothing
  if [ "$LAB_KUBELET" = real ]; then
    # A real kubelet: its binary, the lab CA (node certificates are signed at up) and images.
    if [ -n "$KUBELET_BIN" ] && [ -x "$KUBELET_BIN" ] && [ -s "${LAB_PKI:-/nonexistent}/ca.key" ]; then
      echo "real $KUBELET_BIN $LAB_PKI"
    fi
  elif [ -n "$KWOK_BIN" ] && [ -x "$KWOK_BIN" ] && [ -s "$KUBECONFIG_NODES" ]; then
    echo "$KWOK_BIN $KUBECONFIG_NODES"
  fi
}

ensure_network() {
  if podman network exists "$NET"; then
    local subnet
    subnet=$(podman network inspect "$NET" --format '{{range .Subnets}}{{.Subnet}} {{end}}' 2>/dev/null || true)
    [[ " $subnet " == *" $SUBNET "* ]] || die "network $NET exists with subnet '$subnet', want $SUBNET; remove it first"
    return 0
  fi
  if podman network create --subnet "$SUBNET" --gateway "$GATEWAY" "$NET" >/dev/null 2>&1; then
    mkdir -p "$NSTATE"; touch "$NSTATE/network-created"
    log "created podman network $NET ($SUBNET, gateway $GATEWAY)"
  else
    podman network exists "$NET" || die "cannot create podman network $NET"
  fi
}

labels_for() {  # node labels applied at registration
  local i=$1 l="node-role.kubernetes.io/worker="
  # A real kubelet may not set node-role.kubernetes.io/* itself (NodeRestriction): the lab
  # control plane's labctl creates the Node with them, as an installer labels real nodes.
  [ "$LAB_KUBELET" = real ] && l=""
  [ "$LAB_KUBELET" != real ] && is_master "$i" && l+=",node-role.kubernetes.io/control-plane="
  [ "$CNI" = kube-ovn ] && is_master "$i" && l+="${l:+,}kube-ovn/role=master"
  echo "$l"
}

env_file() {  # /etc/default/cni-ovs-lab for node i
  local i=$1
  cat <<EOF
# Written by lab/nodes/nodes.sh: this lab node's identity.
NODE_NAME=$(node_name "$i")
NODE_INDEX=$i
NODE_IP=$(node_ip "$i")
CNI=$CNI
NODE_LABELS="$(labels_for "$i")"
NODE_LEASE_SECONDS=$NODE_LEASE_SECONDS
# Pods of this node: KWOK's fake pod IPs in the lower half, the netns pods in the upper.
KWOK_POD_CIDR=198.19.$((128 + i)).0/25
POD_PREFIX=198.19.$((128 + i))
EOF
}

config_hash() {  # what a running container must match to be kept by `up`
  local i=$1 image=$2 k
  k=$(kubelet_inputs)
  { echo "$image $CNI $(node_ip "$i")"; env_file "$i"
    if [ "$LAB_KUBELET" = real ] && [ -n "$k" ]; then
      echo "real $(stat -c '%s %Y' "$KUBELET_BIN") $POD_IMAGES"; sha256sum "$LAB_PKI/ca.crt" | cut -d' ' -f1
    elif [ -n "$k" ]; then
      echo "$KWOK_BIN"; sha256sum "$KUBECONFIG_NODES" | cut -d' ' -f1
      [ -f "${KWOK_CONFIG:-}" ] && sha256sum "$KWOK_CONFIG" | cut -d' ' -f1
    fi
  } | sha256sum | cut -c1-12
}

create_node() {
  local i=$1 image=$2 hash=$3 name ip k args
  name=$(node_name "$i"); ip=$(node_ip "$i"); k=$(kubelet_inputs)
  args=(--name "$name" --hostname "$name" --network "$NET" --ip "$ip"
        --systemd=always --restart=always
        --cap-add NET_ADMIN --cap-add SYS_ADMIN --device /dev/net/tun
        --label "$LABEL=$name" --label "cni-ovs.lab.config=$hash" --label "cni-ovs.lab.cni=$CNI")
  if [ "$LAB_KUBELET" = real ] && [ -n "$k" ]; then
    # A real kubelet + containerd: privileged, the host's cgroup namespace (cni-ovs-lab-init
    # fixes the tree), containerd's and the kubelet's state on host directories (overlayfs
    # snapshots cannot sit on Podman's overlay), the node's own credentials, the pod images.
    local d=$NSTATE/$name
    rm -rf "$d"; mkdir -p "$d/containerd" "$d/kubelet"
    pki_node "$name" "$ip"
    args+=(--privileged --cgroupns=host -e CNI_OVS_LAB_KUBELET=real
           -v "$KUBELET_BIN:/usr/local/bin/kubelet:ro"
           -v "$LAB_PKI/nodes/$name:/etc/kubernetes/pki:ro"
           -v "$LAB_PKI/nodes/$name/kubelet.conf:/etc/kubernetes/kubelet.conf:ro"
           -v "$d/containerd:/var/lib/containerd" -v "$d/kubelet:/var/lib/kubelet"
           -v "$POD_IMAGES:/var/lib/cni-ovs-lab/images:ro")
  elif [ -n "$k" ]; then
    args+=(-v "$KWOK_BIN:/usr/local/bin/kwok:ro" -v "$KUBECONFIG_NODES:/etc/kubernetes/kubelet.conf:ro")
    [ -f "$KWOK_CONFIG" ] && args+=(-v "$KWOK_CONFIG:/etc/kwok/kwok.yaml:ro")
  fi
  podman create -q "${args[@]}" "$image" >/dev/null
  local tmp; tmp=$(mktemp)
  env_file "$i" > "$tmp"
  podman cp "$tmp" "$name:/etc/default/cni-ovs-lab"
  rm -f "$tmp"
  if ovs_in_pods && [ -n "$k" ]; then
    # Open vSwitch and ovn-central run in the CNI's pods: the node host's own units stay off.
    local mdir; mdir=$(mktemp -d); mkdir -p "$mdir/cni-ovs-lab"
    echo "written by lab/nodes/nodes.sh (LAB_KUBELET=real)" > "$mdir/cni-ovs-lab/ovs-in-pods"
    podman cp "$mdir/cni-ovs-lab" "$name:/etc/"
    rm -rf "$mdir"
  fi
  podman start "$name" >/dev/null
}

wait_booted() {  # wait until systemd in the container finished booting
  local name=$1 state=""
  for _ in $(seq 300); do
    state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
    case $state in running|degraded) echo "$state"; return 0 ;; esac
    sleep 0.1
  done
  echo "${state:-unknown}"; return 1
}

# The operator key of inventory-ssh.yml: made once per lab state, installed on every up.
SSH_KEY=$STATE/ssh/id_ed25519
ensure_ssh_key() {
  [ -s "$SSH_KEY" ] && [ -s "$SSH_KEY.pub" ] && return 0
  mkdir -p "$(dirname "$SSH_KEY")"; chmod 0700 "$(dirname "$SSH_KEY")"
  rm -f "$SSH_KEY" "$SSH_KEY.pub"
  ssh-keygen -q -t ed25519 -N '' -C "cni-ovs-lab-operator" -f "$SSH_KEY"
}

install_ssh_key() {  # authorized_keys of the node's normal user cniops (image: sudo NOPASSWD)
  local name=$1
  podman exec -i "$name" sh -c 'umask 077; d=/home/cniops/.ssh; mkdir -p "$d" &&
    cat > "$d/authorized_keys.tmp" && mv -f "$d/authorized_keys.tmp" "$d/authorized_keys" &&
    chown -R cniops:cniops "$d"' < "$SSH_KEY.pub"
}

# write_inventory [ssh]: inventory.yml (podman connection, root) or inventory-ssh.yml (SSH
# as the normal user cniops with become), the way operators and AWX reach real nodes.
write_inventory() {
  local i name inv=$STATE/inventory.yml tmp mode=${1:-podman}
  [ "$mode" = ssh ] && inv=$STATE/inventory-ssh.yml
  mkdir -p "$STATE"; tmp=$(mktemp "$STATE/.inventory.XXXXXX")
  {
    echo "# Written by lab/nodes/nodes.sh up (CNI=$CNI NODES=$NODES). Regenerated on every up."
    echo "all:"
    echo "  vars:"
    if [ "$mode" != ssh ]; then
      echo "    # The nodes are Podman containers; Ansible reaches them with containers.podman.podman."
      echo "    ansible_connection: containers.podman.podman"
    fi
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "    cni_ovs_lab_cni: $CNI"
    echo "    cni_ovs_kubeconfig: $ADMIN_KUBECONFIG"
    echo "    cni_ovs_lab_kubeconfig_nodes: $KUBECONFIG_NODES"
    echo "    cni_ovs_lab_reboot_delegate: podman"
    if [ "$LAB_KUBELET" != real ]; then
      echo "    # KWOK plays the kubelet: containerd is installed (for LAB_KUBELET=real) but kept from"
      echo "    # starting by a start condition, so the nsx_kmod_switch reboots check kubelet only."
      echo "    nsx_kmod_switch_runtime_services: []"
    fi
    echo "  hosts:"
    for i in $(seq 1 "$NODES"); do
      name=$(node_name "$i")
      echo "    $name:"
      [ "$mode" = ssh ] && echo "      ansible_host: $(node_ip "$i")"
      echo "      node_ip: $(node_ip "$i")"
      echo "      cni_ovs_node_name: $name"
    done
    echo "  children:"
    echo "    kube_control_plane:"
    echo "      hosts:"
    for i in $(masters); do echo "        $(node_name "$i"):"; done
    echo "    kube_node:"
    if [ "$mode" = ssh ]; then
      echo "      # SSH as the normal user cniops (key only), root through sudo: the shape of real"
      echo "      # nodes and of an AWX machine credential with privilege escalation. On the node"
      echo "      # group, so delegated (localhost) tasks do not escalate (docs/awx.md, Privileges)."
      echo "      vars:"
      echo "        ansible_connection: ssh"
      echo "        ansible_user: cniops"
      echo "        ansible_ssh_private_key_file: $SSH_KEY"
      echo "        ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
      echo "        ansible_become: true"
      echo "        ansible_become_method: sudo"
    fi
    echo "      hosts:"
    for i in $(seq 1 "$NODES"); do echo "        $(node_name "$i"):"; done
    echo "    ovn_central:"
    if [ "$CNI" = kube-ovn ]; then
      echo "      hosts:"
      for i in $(masters); do echo "        $(node_name "$i"):"; done
    else
      echo "      hosts: {}"
    fi
  } > "$tmp"
  mv "$tmp" "$inv"
  log "wrote $inv"
}

# Does Open vSwitch run in the CNI's pods? With real kubelets, Kube-OVN's ovs-ovn and NCP's
# nsx-ovs run it; OpenShift 4.x runs it on the host (systemd), as the lab does for openshift-sdn.
ovs_in_pods() { [ "$LAB_KUBELET" = real ] && [ "$CNI" != openshift-sdn ]; }

cni_setup() {
  local i=$1 name; name=$(node_name "$i")
  local master=0; is_master "$i" && master=1
  local in_pods=0; ovs_in_pods && in_pods=1
  if ((in_pods)); then
    # Open vSwitch runs in the CNI's pod (ovs-ovn, nsx-node-agent's nsx-ovs), which the node's
    # kubelet may just have started: wait for both daemons through the hostPath sockets.
    # shellcheck disable=SC2016  # expanded in the node
    podman exec "$name" sh -c 'for _ in $(seq 600); do
        p=$(cat /var/run/openvswitch/ovs-vswitchd.pid 2>/dev/null)
        [ -n "$p" ] && kill -0 "$p" 2>/dev/null && ovs-vsctl --timeout=2 show >/dev/null 2>&1 && exit 0
        sleep 0.2; done; exit 1' ||
      { echo "$name: the Open vSwitch of its $CNI pod did not come up in 120 s" >&2; return 1; }
  fi
  if [ "$CNI" = nsx ]; then  # the simulated NSX bootstrap, the same script as the lab's NCP image's
    podman cp "$HERE/pod-images/nsx/nsx-bootstrap" "$name:/usr/local/lib/cni-ovs-lab/nsx-bootstrap"
  fi
  podman exec -i -e NODE_IP="$(node_ip "$i")" -e MASTER_IPS="$(master_ips)" -e IS_MASTER=$master \
    -e DAEMONS_IN_PODS=$in_pods \
    "$name" bash -s < "$HERE/cni/$CNI.sh"
}

# The short traffic probe of `up` (300 packets pod-a -> pod-b through br-int).
PROBE=(cni-ovs-lab-probe --pps 1000 --duration 0.3 --grace 0.2)
# probe_node NODE: one short traffic probe on the node; sets the caller's out (the probe's
# output), recv and sent (its packet counts, empty when it printed none)
probe_node() {
  out=$(podman exec "$1" "${PROBE[@]}" 2>&1) || true
  probe_counts
}
probe_counts() {
  recv=$(sed -n 's/.*"received": \([0-9]*\).*/\1/p' <<<"$out")
  sent=$(sed -n 's/.*"sent": \([0-9]*\).*/\1/p' <<<"$out")
}

traffic_check() {  # short probe on every node (all at once); fails when a node passes no traffic
  local i name out recv sent rc=0 dir
  dir=$(mktemp -d)
  for i in $(seq 1 "$NODES"); do
    name=$(node_name "$i")
    { podman exec "$name" "${PROBE[@]}" >"$dir/$name" 2>&1 || true; } &
  done
  wait
  for i in $(seq 1 "$NODES"); do
    name=$(node_name "$i")
    out=$(cat "$dir/$name"); probe_counts
    if [ -z "$recv" ] || ((recv == 0)); then
      # Seen once in CI after a reboot of the node (nsx lab): no traffic, the node otherwise up.
      # Print what the lab's pods look like, re-run the controller stand-in, probe again.
      log "$name traffic pod-a -> pod-b failed: $out"
      log "$name diagnostics: $(podman exec "$name" sh -c 'systemctl is-active ovs-vswitchd cni-ovs-lab-pods | tr "\n" " ";
        ovs-ofctl dump-flows br-int --no-stats 2>&1 | grep -c cookie=0x1ab; ovs-vsctl list-ports br-int 2>&1 | tr "\n" " ";
        ip netns list 2>&1 | tr "\n" " "; ip netns exec pod-a ip -br addr 2>&1 | tr "\n" " "' 2>&1)"
      podman exec "$name" systemctl restart cni-ovs-lab-pods.service >/dev/null 2>&1 || true
      probe_node "$name"
      if [ -n "$recv" ] && ((recv > 0)); then log "$name: traffic back after re-running cni-ovs-lab-pods (lab stand-in; see the diagnostics above)"; fi
    fi
    if [ -n "$recv" ] && ((recv > 0)); then
      log "$name traffic pod-a -> pod-b: $recv/$sent packets"
    else
      log "$name traffic pod-a -> pod-b FAILED: $out"; rc=1
    fi
  done
  rm -rf "$dir"
  return $rc
}

cmd_up() {
  local t0 image i name hash cur k
  t0=$(now_ms)
  image=$(bash "$HERE/image/build.sh")
  log "image $image ($(( $(now_ms) - t0 )) ms)"
  POD_IMAGES=""
  if [ "$LAB_KUBELET" = real ]; then
    POD_IMAGES=$(bash "$HERE/pod-images/build.sh")
    log "pod images $POD_IMAGES ($(( $(now_ms) - t0 )) ms)"
  fi
  ensure_network
  mkdir -p "$NSTATE"
  echo "$CNI" > "$NSTATE/cni"; echo "$NODES" > "$NSTATE/nodes"
  k=$(kubelet_inputs)
  if [ -z "$k" ]; then
    log "kubelet: skipped on every node (need an executable KWOK_BIN='${KWOK_BIN}' from lab/lib/paths.sh" \
        "and $KUBECONFIG_NODES; start the control plane with lab/lab.sh). The unit stays inactive (condition)."
  fi
  # Remove nodes beyond NODES and nodes whose configuration changed.
  for name in $(podman ps -a --filter "label=$LABEL" --format '{{.Names}}'); do
    i=${name#"$PREFIX"}
    if ! [[ $i =~ ^[0-9]+$ ]] || ((i > NODES)); then
      log "removing $name (beyond NODES=$NODES)"; podman rm -f -t 0 "$name" >/dev/null
    fi
  done
  for i in $(seq 1 "$NODES"); do
    name=$(node_name "$i"); hash=$(config_hash "$i" "$image")
    if podman container exists "$name"; then
      cur=$(podman inspect -f '{{index .Config.Labels "cni-ovs.lab.config"}}' "$name")
      if [ "$cur" = "$hash" ]; then
        [ "$(podman inspect -f '{{.State.Running}}' "$name")" = true ] || podman start "$name" >/dev/null
        log "$name: kept (configuration unchanged)"
        continue
      fi
      log "$name: configuration changed, recreating"
      podman rm -f -t 0 "$name" >/dev/null
    fi
    create_node "$i" "$image" "$hash"
    log "$name: started at $(node_ip "$i")"
  done
  for i in $(seq 1 "$NODES"); do
    name=$(node_name "$i")
    local st; st=$(wait_booted "$name") || die "$name: systemd did not finish booting (state $st); see: podman exec $name systemctl --failed"
    [ "$st" = running ] || log "$name: systemd state $st: $(podman exec "$name" systemctl --failed --plain --no-legend | awk '{print $1}' | paste -sd' ')"
  done
  log "nodes booted ($(( $(now_ms) - t0 )) ms)"
  if [ "$LAB_KUBELET" = real ] && [ -n "$k" ]; then
    # The real kubelets register their Nodes and start the pods scheduled there (the CNI's
    # DaemonSets and Deployments, lab/manifests/): wait for both before the host set-up.
    local labctl=("${LAB_PYTHON:-$ROOT/.venv/bin/python}" "$ROOT/lab/lib/labctl.py" --kubeconfig "$ADMIN_KUBECONFIG")
    "${labctl[@]}" wait-nodes "$NODES" 120 >&2 || die "the real kubelets did not make their Nodes Ready; see: podman exec $(node_name 1) journalctl -u kubelet"
    "${labctl[@]}" wait-rollouts 240 >&2 || die "pods did not start; see: KUBECONFIG=$ADMIN_KUBECONFIG kubectl get pods -A -o wide"
    log "kubelets Ready, rollouts complete ($(( $(now_ms) - t0 )) ms)"
  fi
  # Per-CNI host set-up. Kube-OVN: the first master creates the raft clusters, the others join.
  for i in $(seq 1 "$NODES"); do cni_setup "$i" >&2 || die "$(node_name "$i"): $CNI set-up failed"; done
  log "$CNI host set-up done ($(( $(now_ms) - t0 )) ms)"
  traffic_check || die "traffic check failed"
  ensure_ssh_key
  for i in $(seq 1 "$NODES"); do install_ssh_key "$(node_name "$i")" || die "$(node_name "$i"): cannot install the SSH key"; done
  write_inventory
  write_inventory ssh
  # What each node host costs (with LAB_KUBELET=real: kubelet, containerd and the pods).
  local rss="" dir
  dir=$(mktemp -d)
  for i in $(seq 1 "$NODES"); do
    { podman exec "$(node_name "$i")" ps -eo rss= 2>/dev/null | awk '{s+=$1} END {printf "%d", s/1024}' >"$dir/$i"; } &
  done
  wait
  for i in $(seq 1 "$NODES"); do rss+="$(node_name "$i") $(cat "$dir/$i") MiB; "; done
  rm -rf "$dir"
  log "RSS per node host (sum over its processes): $rss"
  log "up in $(( $(now_ms) - t0 )) ms"
}

cmd_down() {
  local t0 names; t0=$(now_ms)
  names=$(podman ps -a --filter "label=$LABEL" --format '{{.Names}}')
  if [ -n "$names" ]; then
    # shellcheck disable=SC2086
    podman rm -f -t 2 $names >/dev/null
    log "removed containers: $(paste -sd" " <<<"$names")"
  fi
  if [ -f "$NSTATE/network-created" ] && podman network exists "$NET"; then
    if [ -z "$(podman ps -a --filter "network=$NET" --format '{{.Names}}')" ]; then
      podman network rm "$NET" >/dev/null && log "removed podman network $NET"
    else
      log "network $NET still has containers; left in place"
    fi
  fi
  rm -rf "$NSTATE"
  # Real kubelets (LAB_KUBELET=real) leave their empty cgroup trees in the hierarchies the
  # node hosts share with this host (cgroupRoot /cni-ovs-lab/<node>): remove them.
  local cg
  for cg in /sys/fs/cgroup/*/cni-ovs-lab; do
    [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -f "$STATE/inventory.yml" "$STATE/inventory-ssh.yml"; rm -rf "$STATE/ssh"
  log "down in $(( $(now_ms) - t0 )) ms"
}

cmd_status() {
  local name rc=0
  podman ps -a --filter "label=$LABEL" --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}'
  for name in $(podman ps --filter "label=$LABEL" --format '{{.Names}}' | sort); do
    echo "--- $name"
    podman exec "$name" sh -c '
      for s in ovsdb-server ovs-vswitchd ovn-ovsdb-server-nb ovn-ovsdb-server-sb ovn-northd kubelet cni-ovs-lab-pods; do
        printf "  %-22s %s\n" "$s" "$(systemctl is-active $s)"; done
      if [ -S /var/run/ovn/ovnnb_db.ctl ]; then
        for db in nb:OVN_Northbound sb:OVN_Southbound; do
          ovn-appctl -t /var/run/ovn/ovn${db%%:*}_db.ctl cluster/status ${db#*:} 2>/dev/null |
            awk -v d=${db%%:*} "/^Status:/{s=\$0} /^Role:/{r=\$2} /^Servers:/{n=1;next} n&&/^    /{m++} n&&!/^    /{n=0} END{printf \"  %s raft: %s, role %s, %d servers\n\", d, s, r, m}"
        done
      fi' || rc=1
  done
  return $rc
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status   (env NODES=$NODES CNI=$CNI)" >&2; exit 2 ;;
esac
