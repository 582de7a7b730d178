#!/usr/bin/env bash
# Lab image of Kube-OVN's ovn-central container (dist/images/start-db.sh of Kube-OVN v1.13):
# the NB and SB raft members and ovn-northd of this node, with Kube-OVN's layout:
#   DB files   /etc/ovn/ovnnb_db.db, ovnsb_db.db (hostPath /etc/origin/ovn: a member keeps
#              its raft identity across pod restarts, as in Kube-OVN)
#   ctl socks  /var/run/ovn/ovnnb_db.ctl, ovnsb_db.ctl (hostPath /run/ovn)
#   ports      NB 6641 (clients) / 6643 (raft), SB 6642 / 6644 on POD_IP (hostNetwork)
# Like start-db.sh: with no DB file yet, join the leader found among NODE_IPS; create a new
# cluster only when no member answers and this node is the first of NODE_IPS; an existing DB
# file keeps its own membership. Differences from Kube-OVN (lab): no SSL, no ovn-ic, no
# probe of the kube-ovn-controller, Debian's ovn-ctl instead of the image's own.
# On SIGTERM (pod deletion) the servers and northd are stopped cleanly (ovn-ctl stop_*).
set -euo pipefail
DBDIR=/etc/ovn
RUNDIR=/var/run/ovn
OVN_CTL=/usr/share/ovn/scripts/ovn-ctl
ip=${POD_IP:?POD_IP (the node IP, hostNetwork) must be set}
node_ips=${NODE_IPS:?NODE_IPS must be set}
ips=${node_ips//,/ }
first=${ips%% *}
log() { echo "$(date -u +%FT%TZ) start-db: $*"; }

leader_of() {  # leader_of IP PORT DBNAME -> exit 0 if IP is the leader of DBNAME
  local q='["_Server",{"table":"Database","where":[["name","==","'$3'"]],"columns":["leader"],"op":"select"}]'
  timeout 3 ovsdb-client query "tcp:$1:$2" "$q" 2>/dev/null | grep -q '"leader":true'
}

grep -qw -- "$ip" <<<"$ips" || { log "POD_IP $ip is not in NODE_IPS $node_ips"; exit 2; }
mkdir -p "$DBDIR" "$RUNDIR" /var/log/ovn
nb_remote="" sb_remote=""
if [ ! -e $DBDIR/ovnnb_db.db ]; then
  for i in $ips; do [ "$i" = "$ip" ] && continue; leader_of "$i" 6641 OVN_Northbound && { nb_remote=$i; break; }; done
  [ -n "$nb_remote" ] || [ "$ip" = "$first" ] || nb_remote=$first
fi
if [ ! -e $DBDIR/ovnsb_db.db ]; then
  for i in $ips; do [ "$i" = "$ip" ] && continue; leader_of "$i" 6642 OVN_Southbound && { sb_remote=$i; break; }; done
  [ -n "$sb_remote" ] || [ "$ip" = "$first" ] || sb_remote=$first
fi
nbdb="" sbdb=""
for i in $ips; do nbdb+="tcp:$i:6641,"; sbdb+="tcp:$i:6642,"; done
opts=(--db-nb-file="$DBDIR/ovnnb_db.db" --db-sb-file="$DBDIR/ovnsb_db.db"
      --db-nb-cluster-local-addr="$ip" --db-sb-cluster-local-addr="$ip"
      --db-nb-cluster-local-port=6643 --db-sb-cluster-local-port=6644
      --db-nb-addr="$ip" --db-sb-addr="$ip" --db-nb-port=6641 --db-sb-port=6642
      --db-nb-create-insecure-remote=yes --db-sb-create-insecure-remote=yes
      --db-nb-use-remote-in-db=no --db-sb-use-remote-in-db=no
      --ovn-northd-nb-db="${nbdb%,}" --ovn-northd-sb-db="${sbdb%,}")
[ -n "$nb_remote" ] && opts+=(--db-nb-cluster-remote-addr="$nb_remote" --db-nb-cluster-remote-port=6643)
[ -n "$sb_remote" ] && opts+=(--db-sb-cluster-remote-addr="$sb_remote" --db-sb-cluster-remote-port=6644)
log "local $ip, NODE_IPS $node_ips, NB ${nb_remote:+join }${nb_remote:-create or existing file}, SB ${sb_remote:+join }${sb_remote:-create or existing file}"

# shellcheck disable=SC2317  # called by the trap
stop() {
  log "terminating: stopping northd, NB and SB"
  $OVN_CTL stop_northd --no-monitor || true
  $OVN_CTL stop_nb_ovsdb || true
  $OVN_CTL stop_sb_ovsdb || true
  exit 0
}
trap stop TERM INT
$OVN_CTL "${opts[@]}" start_nb_ovsdb
$OVN_CTL "${opts[@]}" start_sb_ovsdb
$OVN_CTL "${opts[@]}" --ovn-manage-ovsdb=no --no-monitor start_northd
log "NB, SB and northd started; logs follow"
# Keep the container as long as both servers run (the pod restarts when one is gone, as
# Kube-OVN's liveness probe does); the servers' logs go to the container's output.
tail -n +1 -F /var/log/ovn/ovsdb-server-nb.log /var/log/ovn/ovsdb-server-sb.log 2>/dev/null &
while [ -s $RUNDIR/ovnnb_db.pid ] && kill -0 "$(cat $RUNDIR/ovnnb_db.pid)" 2>/dev/null &&
      [ -s $RUNDIR/ovnsb_db.pid ] && kill -0 "$(cat $RUNDIR/ovnsb_db.pid)" 2>/dev/null; do
  sleep 1 & wait $!
done
log "an OVN DB server exited; the container ends (the kubelet restarts it)"
exit 1
