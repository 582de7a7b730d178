#!/usr/bin/env bash
# Lab image of Kube-OVN's ovs-ovn container (dist/images/start-ovs.sh of Kube-OVN v1.13): the
# node's ovsdb-server and ovs-vswitchd run in this (privileged, hostNetwork, hostPID) pod, on
# the node's files through hostPath: /etc/openvswitch (conf.db, host /etc/origin/openvswitch),
# /var/run/openvswitch (db.sock, pidfiles, control sockets, host /run/openvswitch) and
# /var/log/openvswitch. Host tools (ovs-vsctl, ovs-appctl) and the roles reach the daemons
# through those sockets, as on a real Kube-OVN node.
#
# What it shares with Kube-OVN's dist/images/start-ovs.sh (read from a stored copy of the
# kubeovn/kube-ovn source whose release was not identified; it has FLOW_LIMIT and
# wait_flows_pre_check): vswitchd is started with `ovs-ctl start --no-ovsdb-server` (not
# `restart`, which would save, set and clear flow-restore-wait itself), and on SIGTERM (pod
# deletion) both daemons are stopped with `ovs-ctl stop`, so the pod's termination stops the
# node's vswitchd. What it does NOT do (yet), and Kube-OVN's does: set
# other_config:flow-restore-wait=true itself before vswitchd starts, start ovn-controller, and
# set flow-restore-wait=false once br-int holds more than FLOW_LIMIT (10) flows. This lab
# script leaves a flag found in conf.db as it is (set before the old pod was deleted, e.g. by
# cni.ovs.flow_restore_wait in external mode) for whoever set it; cooperating with Kube-OVN's
# own handling is open work (docs/ovs_hot_upgrade.md). Other differences (lab): the userspace
# datapath (no kernel module), ovsdb-server started with `start` (Kube-OVN: `restart`), and no
# ovn-controller: its part, installing the node's pod flows on br-int, is the lab's controller
# stand-in cni-ovs-lab-pods on the node host (SIMULATION, docs/lab.md), run here after
# vswitchd is up.
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
if [ -x /host/usr/local/sbin/cni-ovs-lab-pods ] || nsenter -t 1 -m -- test -x /usr/local/sbin/cni-ovs-lab-pods 2>/dev/null; then
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
