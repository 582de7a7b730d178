#!/usr/bin/env bash
# Lab image of Kube-OVN's ovs-ovn container (dist/images/start-ovs.sh of Kube-OVN v1.13): the
# node's ovsdb-server and ovs-vswitchd run in this (privileged, hostNetwork, hostPID) pod, on
# the node's files through hostPath: /etc/openvswitch (conf.db, host /etc/origin/openvswitch),
# /var/run/openvswitch (db.sock, pidfiles, control sockets, host /run/openvswitch) and
# /var/log/openvswitch. Host tools (ovs-vsctl, ovs-appctl) and the roles reach the daemons
# through those sockets, as on a real Kube-OVN node.
#
# Kube-OVN's dist/images/start-ovs.sh has had two designs (read in the kubeovn/kube-ovn
# source; no tagged file was found, the releases are dated by PR and the chart's version check):
#   (a) PR #1516 (2022-05, before v1.12): sets other_config:flow-restore-wait=true itself,
#       starts vswitchd with `ovs-ctl start`, starts ovn-controller, waits until br-int holds
#       more than FLOW_LIMIT (10) flows, then sets the flag to "false"; its EXIT trap runs
#       `ovs-ctl stop`.
#   (b) PR #2467 (2023-03, v1.12 on): `ovs-ctl restart` for ovsdb-server and for vswitchd,
#       whose own save/restore sets and clears flow-restore-wait; the EXIT trap stops OVS only
#       when the pod belongs to the DaemonSet's newest revision; the DaemonSet is RollingUpdate
#       (maxSurge 1, maxUnavailable 0).
# This lab script is neither exactly: `ovs-ctl start` for both daemons, a flow-restore-wait
# found in conf.db left as it is (set before the old pod was deleted, e.g. by
# cni.ovs.flow_restore_wait in external mode) for whoever set it, and `ovs-ctl stop` on
# SIGTERM (design (a)'s trap: the pod's termination stops the node's vswitchd). Cooperating
# with either real design is open work (docs/ovs_hot_upgrade.md). Other differences (lab): the
# userspace datapath (no kernel module), and no ovn-controller: its part, installing the node's
# pod flows on br-int, is the lab's controller stand-in cni-ovs-lab-pods on the node host
# (SIMULATION, docs/lab.md), run here after vswitchd is up.
set -euo pipefail
OVS_CTL=/usr/share/openvswitch/scripts/ovs-ctl
RUN=/var/run/openvswitch
log() { echo "$(date -u +%FT%TZ) start-ovs: $*"; }

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
# This daemon's own log lines go to the container's output (kubectl logs): from here on.
vlog=/var/log/openvswitch/ovs-vswitchd.log
vlog_from=$(( $(stat -c %s "$vlog" 2>/dev/null || echo 0) + 1 ))
$OVS_CTL start --no-ovsdb-server --system-id=random --no-mlockall --no-monitor
ovs-vsctl --no-wait set open_vswitch . external_ids:ovn-encap-type=geneve
# ovn-controller's part (lab stand-in): the node's pod ports and flows on br-int.
if nsenter -t 1 -m -- test -x /usr/local/sbin/cni-ovs-lab-pods 2>/dev/null; then
  nsenter -t 1 -m -n -- /usr/local/sbin/cni-ovs-lab-pods up || log "cni-ovs-lab-pods up failed"
fi
log "ovs-vswitchd $(cat $RUN/ovs-vswitchd.pid) running; logs follow"
tail -c +"$vlog_from" -F "$vlog" 2>/dev/null &
# The container lives as long as both daemons (the kubelet restarts it when one dies, as
# Kube-OVN's liveness probe would).
while [ -s $RUN/ovsdb-server.pid ] && kill -0 "$(cat $RUN/ovsdb-server.pid)" 2>/dev/null &&
      [ -s $RUN/ovs-vswitchd.pid ] && kill -0 "$(cat $RUN/ovs-vswitchd.pid)" 2>/dev/null; do
  sleep 0.5 & wait $!
done
log "ovsdb-server or ovs-vswitchd exited; the container ends (the kubelet restarts it)"
exit 1
