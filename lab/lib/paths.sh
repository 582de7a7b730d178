# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the scripts that source this file
# Paths, versions and ports of the local lab.  Source it:  . lab/lib/paths.sh
# Everything can be overridden from the environment before sourcing.
LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LAB_STATE=${LAB_STATE:-$LAB_ROOT/.state}
# shellcheck source=lab/k8s/versions.sh
. "$LAB_ROOT/k8s/versions.sh"
CNI_OVS_CACHE=${CNI_OVS_CACHE:-$HOME/.cache/cni-ovs}
K8S_BIN_DIR=$CNI_OVS_CACHE/k8s/$K8S_VERSION
ETCD_BIN=$CNI_OVS_CACHE/etcd/$ETCD_VERSION/etcd
KWOK_BIN=$CNI_OVS_CACHE/kwok/$KWOK_VERSION/kwok
KWOKCTL_BIN=$CNI_OVS_CACHE/kwok/$KWOK_VERSION/kwokctl
KUBECTL_BIN=$K8S_BIN_DIR/kubectl            # built for people; the lab never uses it
# KWOK configuration for every kwok process of the lab, including the per-node
# "kubelet" kwok of the node hosts: the standard node/pod stages, plus the simulation's
# stages for the CNI (openshift-sdn: machine-config daemon).  lab-up writes the combined
# file into the state dir; before that, the standard stages alone.
KWOK_CONFIG_BASE=$LAB_ROOT/k8s/kwok/config.d
# Written by lab.sh (start_kwok) from $KWOK_CONFIG_BASE/*.yaml (+ the OpenShift MCD stages).
KWOK_CONFIG=$LAB_STATE/kwok.yaml
# Node lease duration the kwok processes use (kubelet renews every duration/4) and the
# controller-manager's grace period after which a node without a renewal is NotReady.
LAB_NODE_LEASE_SECONDS=${LAB_NODE_LEASE_SECONDS:-8}
LAB_NODE_GRACE_SECONDS=${LAB_NODE_GRACE_SECONDS:-20}

# Ports, all bound on 127.0.0.1 (the API server also through a forwarder on the lab
# network's host address once that bridge exists).
LAB_API_PORT=${LAB_API_PORT:-16443}
LAB_ETCD_PORT=${LAB_ETCD_PORT:-16379}
LAB_ETCD_PEER_PORT=${LAB_ETCD_PEER_PORT:-16380}
LAB_KCM_PORT=${LAB_KCM_PORT:-16257}
LAB_SCHED_PORT=${LAB_SCHED_PORT:-16259}
LAB_KWOK_PORT=${LAB_KWOK_PORT:-16247}
API_PORT=$LAB_API_PORT

# Lab network (created by the node hosts, lab/nodes/): podman bridge, host gateway.
LAB_NETWORK=${LAB_NETWORK:-cni-ovs-lab}
LAB_SUBNET=198.18.0.0/24
LAB_GATEWAY=198.18.0.1
LAB_NODE_IP_BASE=198.18.0.     # node i has ${LAB_NODE_IP_BASE}$((10 + i))
# Virtual ranges (nothing listens there): Service and Pod addresses.
LAB_SERVICE_CIDR=198.19.0.0/20
LAB_POD_CIDR=198.19.128.0/17

KUBECONFIG_LAB=$LAB_STATE/kubeconfig              # https://127.0.0.1:$LAB_API_PORT
KUBECONFIG_NODES=$LAB_STATE/kubeconfig-nodes      # https://198.18.0.1:$LAB_API_PORT
KUBECONFIG=$KUBECONFIG_LAB
LAB_PKI=$LAB_STATE/pki
LAB_PIDS=$LAB_STATE/pids
LAB_LOGS=$LAB_STATE/logs
LAB_PYTHON=${LAB_PYTHON:-$(cd "$LAB_ROOT/.." && pwd)/.venv/bin/python}
export LAB_ROOT LAB_STATE K8S_VERSION ETCD_VERSION KWOK_VERSION KWOK_BIN KWOK_CONFIG \
  KUBECONFIG_LAB KUBECONFIG_NODES LAB_API_PORT API_PORT LAB_NETWORK LAB_SUBNET LAB_GATEWAY \
  LAB_NODE_LEASE_SECONDS LAB_NODE_IP_BASE
