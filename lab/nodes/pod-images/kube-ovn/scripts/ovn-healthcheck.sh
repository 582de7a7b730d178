#!/usr/bin/env bash
# Readiness of the lab's ovn-central pod (after Kube-OVN's ovn-healthcheck.sh): ready when this
# node's NB and SB servers are raft cluster members that know their leader, so a Deployment
# rollout (maxUnavailable 1, maxSurge 0) restarts the next member only after this one is back.
set -euo pipefail
for db in nb:OVN_Northbound sb:OVN_Southbound; do
  out=$(timeout 4 ovn-appctl -t /var/run/ovn/ovn${db%%:*}_db.ctl cluster/status "${db#*:}")
  grep -qx 'Status: cluster member' <<<"$out" || { echo "${db#*:}: not a cluster member"; exit 1; }
  grep -q '^Leader: unknown' <<<"$out" && { echo "${db#*:}: no leader known"; exit 1; }
done
exit 0
