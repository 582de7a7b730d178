#!/usr/bin/env bash
# Builds the lab node image locally (no registry) and prints its reference.
#
#   bash lab/nodes/image/build.sh            build if missing, print localhost/cni-ovs-lab-node:<hash>
#   FORCE=1 bash lab/nodes/image/build.sh    rebuild both layers
#   bash lab/nodes/image/build.sh --base     build the base if missing, print its reference
#
# Two cached layers, each tagged with a hash of the files that define it:
#   localhost/cni-ovs-lab-base:<hash(packages.txt, this script's BASE_* settings)>
#       debootstrap --variant=minbase bookworm with packages.txt, imported with podman import
#   localhost/cni-ovs-lab-node:<hash(base tag, Containerfile, rootfs/**)>
#       podman build: the lab's unit files, scripts and configuration on top
# An image is rebuilt only when its hash changes; older tags of the same name are removed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/../containers.conf}
BASE_SUITE=bookworm
BASE_MIRROR=${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_NAME=localhost/cni-ovs-lab-base
NODE_NAME=localhost/cni-ovs-lab-node
log() { printf '== image: %s\n' "$*" >&2; }

pkgs=$(grep -v '^\s*#' "$HERE/packages.txt" | grep -v '^\s*$' | sort | paste -sd, -)
base_hash=$( { echo "$BASE_SUITE minbase $pkgs"; } | sha256sum | cut -c1-12)
BASE_REF=$BASE_NAME:$base_hash

exists() { podman image exists "$1"; }
prune_other_tags() {  # remove older tags of image $1 except tag $2
  local name=$1 keep=$2 ref
  for ref in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep "^$name:"); do
    [ "$ref" = "$name:$keep" ] || podman rmi -f "$ref" >/dev/null 2>&1 || true
  done
}

if [ -n "${FORCE:-}" ] || ! exists "$BASE_REF"; then
  t0=$(date +%s)
  tmp=$(mktemp -d /var/tmp/cni-ovs-lab-rootfs.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  log "debootstrap $BASE_SUITE (minbase + $(echo "$pkgs" | tr , ' ')) into $tmp"
  debootstrap --variant=minbase --include="$pkgs" "$BASE_SUITE" "$tmp/root" "$BASE_MIRROR" \
    > "$tmp.log" 2>&1 || { tail -30 "$tmp.log" >&2; rm -f "$tmp.log"; exit 1; }
  rm -f "$tmp.log"
  # Slim the tree: package caches and lists are not needed at run time.
  rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
  log "podman import -> $BASE_REF"
  tar -C "$tmp/root" --numeric-owner -c . | podman import --quiet \
    --change 'CMD ["/sbin/init"]' - "$BASE_REF" >/dev/null
  rm -rf "$tmp"; trap - EXIT
  log "base image built in $(( $(date +%s) - t0 )) s"
  prune_other_tags "$BASE_NAME" "$base_hash"
fi
# --base: the base layer only (the lab's pod images, lab/nodes/pod-images/, build on it).
if [ "${1:-}" = --base ]; then echo "$BASE_REF"; exit 0; fi

node_hash=$( { echo "$BASE_REF"; cat "$HERE/Containerfile";
               (cd "$HERE/rootfs" && find . -type f -print0 | sort -z | xargs -0 sha256sum;
                find . -print0 | sort -z | xargs -0 stat -c '%n %a') ; } | sha256sum | cut -c1-12)
NODE_REF=$NODE_NAME:$node_hash
if [ -n "${FORCE:-}" ] || ! exists "$NODE_REF"; then
  t0=$(date +%s)
  log "podman build -> $NODE_REF"
  blog=$(mktemp)
  podman build --build-arg "BASE=$BASE_REF" -f "$HERE/Containerfile" -t "$NODE_REF" "$HERE" >"$blog" 2>&1 \
    || { tail -30 "$blog" >&2; rm -f "$blog"; exit 1; }
  rm -f "$blog"
  log "node image built in $(( $(date +%s) - t0 )) s"
  prune_other_tags "$NODE_NAME" "$node_hash"
fi
echo "$NODE_REF"
