#!/usr/bin/env bash
# Builds the pod images of the lab's real kubelets (LAB_KUBELET=real) without a registry and
# prints the directory holding their archives (docker-archive, for `ctr images import` at node
# boot, see cni-ovs-lab-images.service):
#   localhost/cni-ovs-lab/pause:3.10            the sandbox image (pause/, static Go binary)
#   localhost/cni-ovs-lab/kube-ovn:v1.13.2      Kube-OVN layout on the lab's Debian base
#   localhost/cni-ovs-lab/kube-ovn:v1.13.3      (kube-ovn/): start-ovs.sh, start-db.sh; the
#   localhost/cni-ovs-lab/debian:bookworm       same image under each tag
#   localhost/cni-ovs-lab/kube-ovn:v1.11-flag     the same with start-ovs.sh of Kube-OVN's
#   localhost/cni-ovs-lab/kube-ovn:v1.12-restart  designs before v1.12 and from v1.12 on
#                                                 (kube-ovn/designs/flag.sh, restart.sh)
#   localhost/cni-ovs-lab/nsx-ncp-ubuntu:4.1.2.1.23315412  NCP's commands on the lab's Debian
#                                                 base (nsx/): nsx-ovs, nsx-ncp-bootstrap
#   localhost/cni-ovs-lab/openshift-sim:4.18      OpenShift's network pods (openshift/,
#                                                 SIMULATION: openshift-sim-pod logs and waits)
# Cached under ${CNI_OVS_CACHE:-~/.cache/cni-ovs}/lab-images/<hash of the inputs>; older
# hashes are removed. Needs the node base image (lab/nodes/image/build.sh) and Go.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/../containers.conf}
CACHE=${CNI_OVS_CACHE:-$HOME/.cache/cni-ovs}/lab-images
log() { printf '== pod images: %s\n' "$*" >&2; }

base=$(bash "$HERE/../image/build.sh" --base)
KUBE_OVN_TAGS=(localhost/cni-ovs-lab/kube-ovn:v1.13.2 localhost/cni-ovs-lab/kube-ovn:v1.13.3
               localhost/cni-ovs-lab/debian:bookworm)
PAUSE=localhost/cni-ovs-lab/pause:3.10
NSX=localhost/cni-ovs-lab/nsx-ncp-ubuntu:4.1.2.1.23315412
OPENSHIFT=localhost/cni-ovs-lab/openshift-sim:4.18
declare -A DESIGN_TAGS=([flag]=localhost/cni-ovs-lab/kube-ovn:v1.11-flag
                        [restart]=localhost/cni-ovs-lab/kube-ovn:v1.12-restart)
hash=$( { echo "$base ${KUBE_OVN_TAGS[*]} ${DESIGN_TAGS[*]} $PAUSE $NSX $OPENSHIFT"; go env GOVERSION 2>/dev/null;
          cd "$HERE" && find pause kube-ovn nsx openshift ../image/rootfs/usr/local/lib/cni-ovs-lab/mkko -type f -print0 |
            sort -z | xargs -0 sha256sum; } |
        sha256sum | cut -c1-12)
out=$CACHE/$hash
if [ -s "$out/pause.tar" ] && [ -s "$out/kube-ovn.tar" ]; then echo "$out"; exit 0; fi

t0=$(date +%s)
tmp=$(mktemp -d "$CACHE.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE"; mktemp -d "$CACHE.tmp.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
command -v go >/dev/null || { log "ERROR: go is needed to build the pause binary"; exit 3; }
cp -r "$HERE/pause" "$tmp/pause"
(cd "$tmp/pause" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags '-s -w' -o pause .)
podman build -q -f "$tmp/pause/Containerfile" -t "$PAUSE" "$tmp/pause" >/dev/null
args=(); for t in "${KUBE_OVN_TAGS[@]}"; do args+=(-t "$t"); done
podman build -q --build-arg "BASE=$base" -f "$HERE/kube-ovn/Containerfile" "${args[@]}" "$HERE/kube-ovn" >/dev/null
for d in "${!DESIGN_TAGS[@]}"; do
  podman build -q --build-arg "BASE=$base" --build-arg "START_OVS=$d" -f "$HERE/kube-ovn/Containerfile" \
    -t "${DESIGN_TAGS[$d]}" "$HERE/kube-ovn" >/dev/null
done
# NCP's image: its Containerfile takes files of the node image and of the Kube-OVN image. It is
# saved with the Kube-OVN images (one archive: the base layer once), as is OpenShift's.
podman build -q --build-arg "BASE=$base" -f "$HERE/nsx/Containerfile" -t "$NSX" "$HERE/.." >/dev/null
podman build -q --build-arg "BASE=$base" -f "$HERE/openshift/Containerfile" -t "$OPENSHIFT" "$HERE/openshift" >/dev/null
podman save -q --format docker-archive -o "$tmp/pause.tar" "$PAUSE"
podman save -q --format docker-archive -m -o "$tmp/kube-ovn.tar" "${KUBE_OVN_TAGS[@]}" "${DESIGN_TAGS[@]}" "$NSX" "$OPENSHIFT"
mkdir -p "$CACHE"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
chmod 0755 "$out"
for d in "$CACHE"/*; do [ "$d" = "$out" ] || rm -rf "$d"; done
log "built in $(( $(date +%s) - t0 )) s: $(cd "$out" && du -sh -- *.tar | awk '{printf "%s %s  ", $2, $1}')"
echo "$out"
