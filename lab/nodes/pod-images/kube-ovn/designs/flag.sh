#!/usr/bin/env bash
# Lab image of Kube-OVN's ovs-ovn container in the design of Kube-OVN before v1.12 (design (a)
# in designs/lab.sh; lab image kube-ovn:v1.11-flag): the script manages flow-restore-wait itself.
# It sets the flag before vswitchd starts, so the new vswitchd keeps the datapath's flows;
# ovn-controller (here its lab stand-in) installs the node's flows; once br-int holds more than
# FLOW_LIMIT flows the script sets the flag to "false". Its termination runs `ovs-ctl stop`.
# cni.ovs.ovs_hot_upgrade detects this design in the new image and lets the pod restore
# (ovs_hot_upgrade_pod_restore: auto), never the module: its restore would race the script.
set -euo pipefail
# shellcheck source=../scripts/ovs-lib.sh
. /kube-ovn/ovs-lib.sh
# Kube-OVN: FLOW_LIMIT 10 (ovn-controller installs hundreds); the lab stand-in installs 5.
FLOW_LIMIT=${FLOW_LIMIT:-4}

# shellcheck disable=SC2317  # called by the trap
quit() {
  trap - TERM INT EXIT
  log "terminating: ovs-ctl stop"
  $OVS_CTL stop || true
  exit 0
}
trap quit TERM INT

mkdir -p /etc/openvswitch "$RUN" /var/log/openvswitch
$OVS_CTL start --no-ovs-vswitchd --system-id=random --no-monitor
log "setting flow-restore-wait=true before vswitchd starts"
ovs-vsctl --no-wait set open_vswitch . other_config:flow-restore-wait="true"
follow_vswitchd_log
$OVS_CTL start --no-ovsdb-server --system-id=random --no-mlockall --no-monitor
ovs-vsctl --no-wait set open_vswitch . external_ids:ovn-encap-type=geneve
controller_standin
# As Kube-OVN: wait for the controller's flows (the count includes dump-flows' header line).
until [ "$(ovs-ofctl dump-flows br-int 2>/dev/null | wc -l)" -gt "$FLOW_LIMIT" ]; do
  sleep 0.1
done
log "br-int holds more than $FLOW_LIMIT flows: flow-restore-wait=false"
ovs-vsctl --no-wait set open_vswitch . other_config:flow-restore-wait="false"
watch_daemons
