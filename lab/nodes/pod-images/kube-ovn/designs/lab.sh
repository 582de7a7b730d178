#!/usr/bin/env bash
# Lab image of Kube-OVN's ovs-ovn container, the lab's own design (images kube-ovn:v1.13.2 and
# v1.13.3): the node's ovsdb-server and ovs-vswitchd run in this (privileged, hostNetwork,
# hostPID) pod, on the node's files through hostPath: /etc/openvswitch (conf.db, host
# /etc/origin/openvswitch), /var/run/openvswitch (db.sock, pidfiles, control sockets, host
# /run/openvswitch) and /var/log/openvswitch. Host tools (ovs-vsctl, ovs-appctl) and the roles
# reach the daemons through those sockets, as on a real Kube-OVN node.
#
# Kube-OVN's dist/images/start-ovs.sh has had two designs (read in the kubeovn/kube-ovn
# source; no tagged file was found, the releases are dated by PR and the chart's version check),
# both also built into lab images (designs/flag.sh, designs/restart.sh):
#   (a) PR #1516 (2022-05, before v1.12): sets other_config:flow-restore-wait=true itself,
#       starts vswitchd with `ovs-ctl start`, starts ovn-controller, waits until br-int holds
#       more than FLOW_LIMIT (10) flows, then sets the flag to "false"; its EXIT trap runs
#       `ovs-ctl stop`.
#   (b) PR #2467 (2023-03, v1.12 on): `ovs-ctl restart` for ovsdb-server and for vswitchd,
#       whose own save/restore sets and clears flow-restore-wait; the EXIT trap stops OVS only
#       when the pod belongs to the DaemonSet's newest revision; the DaemonSet is RollingUpdate
#       (maxSurge 1, maxUnavailable 0).
# This design is neither: `ovs-ctl start` for both daemons, a flow-restore-wait found in
# conf.db left as it is (set before the old pod was deleted, e.g. by cni.ovs.flow_restore_wait
# in external mode) for whoever set it, and `ovs-ctl stop` on SIGTERM (design (a)'s trap: the
# pod's termination stops the node's vswitchd). It is the start script the module's external
# mode works with (docs/ovs_hot_upgrade.md). Other differences (lab): the userspace datapath (no
# kernel module), and no ovn-controller (its stand-in: ovs-lib.sh controller_standin).
set -euo pipefail
# shellcheck source=../scripts/ovs-lib.sh
. /kube-ovn/ovs-lib.sh

# shellcheck disable=SC2317  # called by the trap
quit() {
  trap - TERM INT EXIT
  log "terminating: stopping ovs-vswitchd and ovsdb-server (ovs-ctl stop)"
  $OVS_CTL stop || true
  exit 0
}
trap quit TERM INT

mkdir -p /etc/openvswitch "$RUN" /var/log/openvswitch
log "starting ovsdb-server"
$OVS_CTL start --no-ovs-vswitchd --system-id=random --no-monitor
frw=$(ovs-vsctl --no-wait get open_vswitch . other_config:flow-restore-wait 2>/dev/null || echo absent)
log "flow-restore-wait before vswitchd: ${frw//\"/} (left as found)"
log "starting ovs-vswitchd"
follow_vswitchd_log
$OVS_CTL start --no-ovsdb-server --system-id=random --no-mlockall --no-monitor
ovs-vsctl --no-wait set open_vswitch . external_ids:ovn-encap-type=geneve
controller_standin
watch_daemons
