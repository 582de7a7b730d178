# shellcheck shell=bash
# shellcheck disable=SC2034  # sourced by lab/lib/paths.sh and lab/k8s/build.sh
# Versions of the lab's control-plane binaries.  KWOK v0.8 pairs with Kubernetes 1.36.
# Changing one here means regenerating the wrapper module (lab/k8s/*/go.mod, go.sum).
K8S_VERSION=v1.36.3
K8S_STAGING_VERSION=v0.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
