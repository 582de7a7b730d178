# shellcheck shell=bash
# Shared by the lab's start-ovs.sh designs (/kube-ovn/start-ovs.sh is one of designs/*.sh,
# chosen per image tag by lab/nodes/pod-images/build.sh).
# shellcheck disable=SC2034  # used by the scripts that source this file
OVS_CTL=/usr/share/openvswitch/scripts/ovs-ctl
RUN=/var/run/openvswitch
log() { echo "$(date -u +%FT%TZ) start-ovs: $*"; }

# ovn-controller's part (lab stand-in, SIMULATION: docs/lab.md): the node's pod ports and
# flows on br-int, run on the node host once vswitchd is up.
controller_standin() {
  if nsenter -t 1 -m -- test -x /usr/local/sbin/cni-ovs-lab-pods 2>/dev/null; then
    nsenter -t 1 -m -n -- /usr/local/sbin/cni-ovs-lab-pods up || log "cni-ovs-lab-pods up failed"
  fi
}

# The daemon's own log lines go to the container's output (kubectl logs) from the current end.
follow_vswitchd_log() {
  local vlog=/var/log/openvswitch/ovs-vswitchd.log
  VLOG_FROM=$(( $(stat -c %s "$vlog" 2>/dev/null || echo 0) + 1 ))
  VLOG=$vlog
}

# The container lives as long as both daemons (the kubelet restarts it when one dies, as
# Kube-OVN's liveness probe would).
watch_daemons() {
  log "ovs-vswitchd $(cat $RUN/ovs-vswitchd.pid) running; logs follow"
  tail -c +"$VLOG_FROM" -F "$VLOG" 2>/dev/null &
  while [ -s $RUN/ovsdb-server.pid ] && kill -0 "$(cat $RUN/ovsdb-server.pid)" 2>/dev/null &&
        [ -s $RUN/ovs-vswitchd.pid ] && kill -0 "$(cat $RUN/ovs-vswitchd.pid)" 2>/dev/null; do
    sleep 0.5 & wait $!
  done
  log "ovsdb-server or ovs-vswitchd exited; the container ends (the kubelet restarts it)"
  exit 1
}
