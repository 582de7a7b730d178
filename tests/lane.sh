#!/usr/bin/env bash
# A second lab lane: a copy of this checkout whose whole lab (control plane, forwarder, node
# hosts, and the Ansible runs against them) lives in a network namespace of its own, so it runs
# beside the main lab with the same addresses (198.18.0.0/24, 127.0.0.1 ports) and node names,
# and neither can reach the other. tests/run.sh runs the Molecule groups nsx and openshift-sdn
# in it while the main lab runs lab-tests and the kube-ovn groups (docs/development.md, "Two lab
# lanes").
#
#   bash tests/lane.sh check               exit 0 when a lane can run here (root, nsenter, ip, and
#                                          a network namespace can really be made)
#   bash tests/lane.sh dir                 print the lane's copy of the checkout
#   bash tests/lane.sh run CMD [ARG...]   set the lane up (fresh copy, netns), run CMD inside it
#                                          (cwd: the copy), exit with CMD's status
#   bash tests/lane.sh down                stop the lane's lab, remove its containers, network,
#                                          Podman storage, namespace and copy
#
# What is the lane's own (and why):
#   - a copy of the tracked and new files (lab/.state, Molecule's project directory and
#     ${MOLECULE_PROJECT_DIRECTORY}/lab/.state paths are per checkout); .venv and the dependency
#     collections are links to this checkout's;
#   - network namespace cni-ovs-lane-<name>-<hash of this checkout's path> (loopback only; the
#     lab's podman bridge is made in it);
#   - Podman storage and run directories (container names lab-node-N repeat), reading this
#     host's images (the lab node image) through additionalimagestores;
#   - Podman network name cni-ovs-lab-<name>-<hash> and CNI config dir: CNI's host-local IPAM keeps its
#     address leases per network name in /var/lib/cni/networks on the host's filesystem;
#   - TMPDIR (kubernetes.core caches API discovery in $TMPDIR/k8srcp-<host>.json, and both labs'
#     API servers are https://127.0.0.1:16443) and Ansible's SSH control sockets (their path
#     hashes host, port and user, the same in both lanes; a Unix socket crosses namespaces).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
NAME=${CNI_OVS_LANE:-b}
[[ $NAME =~ ^[a-z0-9]{1,8}$ ]] || { echo "lane: CNI_OVS_LANE=$NAME: expected 1-8 of [a-z0-9]" >&2; exit 2; }
LANE=$ROOT/tests/output/lane-$NAME
COPY=$LANE/cni-ovs-lane-$NAME
# Host-wide names carry a hash of this checkout's path: a lane of another checkout is left alone.
KEY=$(printf '%s' "$ROOT" | sha1sum | cut -c1-6)
NETNS=cni-ovs-lane-$NAME-$KEY
NET=cni-ovs-lab-$NAME-$KEY
P=$LANE/podman

log() { printf '== lane %s: %s\n' "$NAME" "$*" >&2; }

# The lane's environment, for every command in it (and for its Podman outside the namespace:
# storage is not bound to a network namespace).
lane_env=(CONTAINERS_CONF="$P/containers.conf" CONTAINERS_STORAGE_CONF="$P/storage.conf"
  LAB_NETWORK="$NET" TMPDIR="$LANE/tmp" ANSIBLE_SSH_CONTROL_PATH_DIR="$LANE/ssh-cp"
  ANSIBLE_CONFIG="$COPY/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$COPY/.collections"
  CNI_OVS_REPORT_DIR="$COPY/tests/output/reports"
  PATH="$COPY/.venv/bin:${PATH#"$ROOT/.venv/bin:"}")
# in_lane CMD...: run CMD in the lane's network namespace, from the copy, with lane_env.
in_lane() {
  # shellcheck disable=SC2016  # $0 and $@ are the inner shell's
  nsenter --net="/run/netns/$NETNS" -- env "${lane_env[@]}" bash -c 'cd "$0" && exec "$@"' "$COPY" "$@"
}
podman_b() { env "${lane_env[@]}" podman "$@"; }

cmd_down() {
  local rc=0
  if [ -e "/run/netns/$NETNS" ] && [ -d "$COPY/lab/.state" ]; then
    in_lane bash lab/lab.sh down >/dev/null 2>&1 || { log "lab-down in the lane failed"; rc=1; }
  fi
  if [ -f "$P/storage.conf" ]; then
    local names; names=$(podman_b ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -z "$names" ] || podman_b rm -f -t 0 $names >/dev/null 2>&1 || true
    podman_b network exists "$NET" 2>/dev/null && podman_b network rm -f "$NET" >/dev/null 2>&1
  fi
  # Anything still running from the copy (a lab daemon whose stop failed) is killed: nothing of
  # the lane may outlive it.
  local left; left=$(pgrep -f -- "$COPY/" || true)
  if [ -n "$left" ]; then
    log "killing processes left by the lane: $(paste -sd' ' <<<"$left")"; rc=1
    # shellcheck disable=SC2086
    kill -9 $left 2>/dev/null || true
  fi
  [ -e "/run/netns/$NETNS" ] && { ip netns del "$NETNS" || rc=1; }
  rm -rf "/var/lib/cni/networks/$NET"
  # Podman's overlay mounts under the lane's storage must go before the files.
  awk -v p="$LANE/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$LANE" || rc=1
  return $rc
}

cmd_check() {
  if ! command -v nsenter >/dev/null || ! command -v ip >/dev/null; then
    log "needs nsenter and ip (util-linux, iproute2)"; return 2
  fi
  [ "$(id -u)" = 0 ] || { log "needs root (network namespace, rootful Podman as the main lab)"; return 2; }
  local probe=cni-ovs-lane-probe-$$
  ip netns add "$probe" 2>/dev/null && ip netns del "$probe" && return 0
  log "cannot make a network namespace here"; return 2
}

cmd_setup() {
  cmd_check || return $?
  cmd_down >/dev/null 2>&1
  mkdir -p "$COPY" "$P/root" "$P/run" "$P/tmp" "$P/net" "$LANE/tmp" "$LANE/ssh-cp"
  git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ "$COPY/" || return 1
  ln -s "$ROOT/.venv" "$COPY/.venv"
  [ -d "$ROOT/.venv-dist" ] && ln -s "$ROOT/.venv-dist" "$COPY/.venv-dist"
  local c d=$COPY/.collections/ansible_collections
  mkdir -p "$d/cni"; ln -s ../../.. "$d/cni/ovs"
  for c in "$ROOT"/.collections/ansible_collections/*; do
    [ "$(basename "$c")" = cni ] || ln -s "$c" "$d/$(basename "$c")"
  done
  local graph; graph=$(podman info --format '{{.Store.GraphRoot}}') || return 1
  cat >"$P/storage.conf" <<EOF
# Written by tests/lane.sh: lane $NAME's own Podman storage; images are read from the host's.
[storage]
driver = "overlay"
graphroot = "$P/root"
runroot = "$P/run"
[storage.options]
additionalimagestores = ["$graph"]
EOF
  # The lab's containers.conf (lab/nodes/containers.conf), with the lane's own directories.
  sed -e "s|^\[engine\]$|[engine]\ntmp_dir = \"$P/tmp\"|" lab/nodes/containers.conf >"$P/containers.conf"
  printf '\n[network]\nnetwork_config_dir = "%s"\n' "$P/net" >>"$P/containers.conf"
  if ! ip netns add "$NETNS" || ! ip -n "$NETNS" link set lo up; then
    log "cannot create network namespace $NETNS"; return 1
  fi
  log "copy $COPY, network namespace $NETNS, Podman network $NET, storage $P"
}

case ${1:-} in
  run)
    shift; (($#)) || { echo "usage: $0 run CMD [ARG...]" >&2; exit 2; }
    cmd_setup || exit $?
    in_lane "$@"
    ;;
  down) cmd_down ;;
  check) cmd_check ;;
  dir) echo "$COPY" ;;
  *) echo "usage: $0 check | dir | run CMD [ARG...] | down" >&2; exit 2 ;;
esac
