#!/usr/bin/env bash
# Lab image of Kube-OVN's ovs-ovn container in the design of Kube-OVN v1.12 on (design (b) in
# designs/lab.sh; lab image kube-ovn:v1.12-restart): `ovs-ctl restart` for vswitchd, which
# saves the flows of a running vswitchd, sets flow-restore-wait, starts the new one, restores
# the flows and clears the flag. Kube-OVN's trap stops OVS only for a pod of the DaemonSet's
# newest revision and only when the daemons are in the pod's own cgroup; this lab image keeps
# the cgroup check (it has no API access for the revision). cni.ovs.ovs_hot_upgrade refuses a
# new image of this design in DaemonSet mode (Kube-OVN's own rolling update does this restart).
set -euo pipefail
# shellcheck source=../scripts/ovs-lib.sh
. /kube-ovn/ovs-lib.sh

# shellcheck disable=SC2317  # called by the trap
same_cgroup() { [ -n "${1:-}" ] && [ "$(cat "/proc/$1/cgroup" 2>/dev/null)" = "$(cat /proc/self/cgroup)" ]; }
# shellcheck disable=SC2317  # called by the trap
quit() {
  trap - TERM INT EXIT
  if same_cgroup "$(cat "$RUN/ovs-vswitchd.pid" 2>/dev/null)"; then
    log "terminating: ovs-ctl stop (the daemons run in this pod)"
    $OVS_CTL stop || true
  else
    log "terminating: the daemons run in another pod; left running"
  fi
  exit 0
}
trap quit TERM INT

mkdir -p /etc/openvswitch "$RUN" /var/log/openvswitch
$OVS_CTL start --no-ovs-vswitchd --system-id=random --no-monitor
follow_vswitchd_log
# (the full path, as Kube-OVN writes it)
/usr/share/openvswitch/scripts/ovs-ctl restart --no-ovsdb-server --system-id=random --no-mlockall --no-monitor
ovs-vsctl --no-wait set open_vswitch . external_ids:ovn-encap-type=geneve
controller_standin
watch_daemons
