#!/usr/bin/env bash
# Kube-OVN host set-up, run inside a lab node by nodes.sh (bash -s, with the env below).
#   NODE_IP, MASTER_IPS (comma separated, the kube-ovn/role=master nodes), IS_MASTER=0|1
# Masters get ovn-central (NB/SB raft members, Kube-OVN layout); every node gets the
# Open_vSwitch external_ids that Kube-OVN's ovs-ovn pod sets.
set -euo pipefail
# LAB_KUBELET=real (DAEMONS_IN_PODS=1): Open vSwitch runs in this node's ovs-ovn pod; nodes.sh
# waited for it before running this script.
ovs-vsctl --timeout=10 set open_vswitch . \
  "external_ids:ovn-remote=$(for i in ${MASTER_IPS//,/ }; do printf 'tcp:%s:6642,' "$i"; done | sed 's/,$//')" \
  external_ids:ovn-encap-type=geneve "external_ids:ovn-encap-ip=$NODE_IP" \
  "external_ids:hostname=$(hostname)"
mkdir -p /etc/cni/net.d /opt/cni/bin /etc/origin/ovn /etc/origin/openvswitch
cat > /etc/cni/net.d/01-kube-ovn.conflist <<'CONF'
{"name": "kube-ovn", "cniVersion": "0.3.1",
 "plugins": [{"type": "kube-ovn", "server_socket": "/run/openvswitch/kube-ovn-daemon.sock"},
             {"type": "portmap", "capabilities": {"portMappings": true}}]}
CONF
# wait_member TRIES SUFFIX: wait (TRIES x 0.2 s) until this node's NB and SB servers answer
# cluster/status with "Status: cluster member"; say what they answered; fail if not both.
wait_member() {
  local nb="" sb=""
  for _ in $(seq "$1"); do
    nb=$(ovn-appctl -t /var/run/ovn/ovnnb_db.ctl cluster/status OVN_Northbound 2>/dev/null | sed -n 's/^Status: //p' || true)
    sb=$(ovn-appctl -t /var/run/ovn/ovnsb_db.ctl cluster/status OVN_Southbound 2>/dev/null | sed -n 's/^Status: //p' || true)
    [ "$nb" = "cluster member" ] && [ "$sb" = "cluster member" ] && break
    sleep 0.2
  done
  echo "$(hostname): NB $nb, SB $sb$2"
  [ "$nb" = "cluster member" ] && [ "$sb" = "cluster member" ]
}
if [ "${DAEMONS_IN_PODS:-0}" = 1 ]; then
  # LAB_KUBELET=real: the ovn-central pod (Kube-OVN's Deployment) runs this node's NB/SB
  # members; the host only sees them through /run/ovn. Masters: wait for membership.
  if [ "${IS_MASTER:-0}" = 1 ]; then
    wait_member 300 " (ovn-central pod)"
  fi
elif [ "${IS_MASTER:-0}" = 1 ]; then
  if ! systemctl is-active -q ovn-ovsdb-server-nb.service || ! systemctl is-active -q ovn-ovsdb-server-sb.service; then
    cni-ovs-lab-ovn-central configure "$MASTER_IPS" "$NODE_IP"
  fi
  systemctl enable -q ovn-central.service ovn-ovsdb-server-nb.service ovn-ovsdb-server-sb.service ovn-northd.service
  systemctl start ovn-central.service
  # Wait until this member has joined both clusters (it answers cluster/status with
  # "Status: cluster member").
  wait_member 100 ""
else
  systemctl disable -q --now ovn-central.service ovn-northd.service ovn-ovsdb-server-nb.service ovn-ovsdb-server-sb.service 2>/dev/null || true
fi
