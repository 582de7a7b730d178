#!/usr/bin/env bash
# OpenShift SDN host set-up, run inside a lab node by nodes.sh (bash -s).
# Minimal: what the SDN -> OVN-Kubernetes migration looks at on a host: OVS running, the
# SDN bridge br0, the CNI config directory Multus uses, and no ovn-k bridges yet.
set -euo pipefail
ovs-vsctl --timeout=10 --may-exist add-br br0 -- set bridge br0 datapath_type=netdev fail-mode=secure \
  protocols=OpenFlow13
mkdir -p /etc/kubernetes/cni/net.d /var/lib/cni/bin /var/run/multus/cni/net.d
cat > /etc/kubernetes/cni/net.d/80-openshift-network.conf <<'CONF'
{"cniVersion": "0.3.1", "name": "openshift-sdn", "type": "openshift-sdn"}
CONF
ovs-vsctl --timeout=10 set open_vswitch . "external_ids:hostname=$(hostname)"
echo "$(hostname): openshift-sdn layout (br0, /etc/kubernetes/cni/net.d)"
