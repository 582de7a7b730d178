#!/usr/bin/env bash
# Builds the lab's binaries from the Go module proxy, once, cached by version under
# ${CNI_OVS_CACHE:-~/.cache/cni-ovs}:
#   k8s/<K8S_VERSION>/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl,kubelet}
#     (kubelet: run by the lab node hosts, lab/nodes/, next to containerd)
#   etcd/<ETCD_VERSION>/etcd
#   kwok/<KWOK_VERSION>/{kwok,kwokctl}
# Usage: lab/k8s/build.sh [all|k8s|etcd|kwok|check]   (check: exit 1 if anything is missing)
# Parallelism stays at 2 (GOMAXPROCS=2, go build -p 2): the machine is shared.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/k8s/versions.sh
. "$HERE/versions.sh"
CACHE=${CNI_OVS_CACHE:-$HOME/.cache/cni-ovs}
K8S_DIR=$CACHE/k8s/$K8S_VERSION
ETCD_DIR=$CACHE/etcd/$ETCD_VERSION
KWOK_DIR=$CACHE/kwok/$KWOK_VERSION
K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet)

log() { printf '[lab build] %s\n' "$*" >&2; }

missing() {
  local what=$1 f
  case $what in
    k8s) for f in "${K8S_CMDS[@]}"; do [ -x "$K8S_DIR/$f" ] || return 0; done ;;
    etcd) [ -x "$ETCD_DIR/etcd" ] || return 0 ;;
    kwok) for f in kwok kwokctl; do [ -x "$KWOK_DIR/$f" ] || return 0; done ;;
  esac
  return 1
}

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    log "ERROR: 'go' is not on PATH; the lab builds Kubernetes, etcd and KWOK from the Go"
    log "module proxy and needs Go >= 1.26 (install it, e.g. into /usr/local/go)."
    exit 3
  fi
  local v; v=$(go env GOVERSION); v=${v#go}
  local major=${v%%.*} rest=${v#*.}; local minor=${rest%%.*}
  if (( major < 1 || (major == 1 && minor < 26) )); then
    log "ERROR: Go $v is too old: Kubernetes ${K8S_VERSION} needs Go >= 1.26."
    exit 3
  fi
  local proxy; proxy=$(go env GOPROXY)
  if [ "$proxy" = off ]; then
    log "ERROR: GOPROXY=off: the lab needs the Go module proxy to fetch sources."
    exit 3
  fi
}

gobuild() {
  # gobuild <module dir> <out dir> <ldflags> <pkg>...
  local mod=$1 out=$2 ldflags=$3; shift 3
  mkdir -p "$(dirname "$out")"
  local tmp; tmp=$(mktemp -d "$out.tmp.XXXXXX")
  (cd "$mod" && GOMAXPROCS=2 CGO_ENABLED=0 GOFLAGS=-mod=readonly \
     go build -p 2 -trimpath -tags selinux,notest,grpcnotrace \
       -ldflags "-s -w $ldflags" -o "$tmp/" "$@") || {
    log "ERROR: go build failed in $mod for $*; nothing was installed into $out"
    log "(if the error above is a network one, the Go module proxy is unreachable)"
    rm -rf "$tmp"; return 1
  }
  mkdir -p "$out"
  local f; for f in "$tmp"/*; do mv -f "$f" "$out/"; done
  rm -rf "$tmp"
}

build_k8s() {
  missing k8s || { log "k8s $K8S_VERSION cached in $K8S_DIR"; return 0; }
  need_go
  local v=${K8S_VERSION#v} date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local major=${v%%.*} rest=${v#*.}; local minor=${rest%%.*}
  local ld="" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=$date -X $p.gitCommit=module-proxy"
  done
  log "building Kubernetes $K8S_VERSION (${K8S_CMDS[*]}) into $K8S_DIR (cold: 10-20 min)"
  local pkgs=(); for p in "${K8S_CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$p"); done
  gobuild "$HERE/kubernetes" "$K8S_DIR" "$ld" "${pkgs[@]}"
}

build_etcd() {
  missing etcd || { log "etcd $ETCD_VERSION cached in $ETCD_DIR"; return 0; }
  need_go
  log "building etcd $ETCD_VERSION into $ETCD_DIR"
  local tmpd; tmpd=$(mktemp -d)
  gobuild "$HERE/etcd" "$tmpd/out" \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=module-proxy" go.etcd.io/etcd/server/v3
  # go names the binary after the path element before /v3 ("server").
  mkdir -p "$ETCD_DIR" && mv -f "$tmpd"/out/* "$ETCD_DIR/etcd" && rm -rf "$tmpd"
}

build_kwok() {
  missing kwok || { log "kwok $KWOK_VERSION cached in $KWOK_DIR"; return 0; }
  need_go
  log "building kwok/kwokctl $KWOK_VERSION into $KWOK_DIR"
  local ld="-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
  ld+=" -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${K8S_VERSION#v}"
  gobuild "$HERE/kwok" "$KWOK_DIR" "$ld" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
}

what=${1:-all}
case $what in
  check) rc=0; for w in k8s etcd kwok; do missing $w && { log "missing: $w"; rc=1; }; done; exit $rc ;;
  all) build_etcd; build_kwok; build_k8s ;;
  k8s) build_k8s ;;
  etcd) build_etcd ;;
  kwok) build_kwok ;;
  *) log "usage: $0 [all|k8s|etcd|kwok|check]"; exit 2 ;;
esac
