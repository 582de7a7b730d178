#!/usr/bin/env bash
# Starts (up) or stops (down) real 3-member OVN NB and SB raft clusters on
# 127.0.0.1-3 (ports 6643/6644 as Kube-OVN uses), state in $STATE, and writes an
# Ansible inventory for them ($STATE/inventory.yml, group ovn_central).
# Used by `make demo` until the lab node hosts exist; handy for trying playbooks.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${STATE:-$PWD/.cache/local-raft}
cmd=${1:-up}
start() { # name db
  ovsdb-server --detach --no-chdir --pidfile="$STATE/$1.pid" --unixctl="$STATE/$1.ctl" \
    --remote="punix:$STATE/$1.sock" --log-file="$STATE/$1.log" "$STATE/$1.db" 2>/dev/null
}
case $cmd in
up)
  if [ -f "$STATE/inventory.yml" ]; then echo "local raft clusters already up ($STATE)"; exit 0; fi
  mkdir -p "$STATE"
  for db in nb sb; do
    if [ $db = nb ]; then name=OVN_Northbound port=6643; else name=OVN_Southbound port=6644; fi
    ovsdb-tool create-cluster "$STATE/${db}1.db" "/usr/share/ovn/ovn-$db.ovsschema" "tcp:127.0.0.1:$port" 2>/dev/null
    for i in 2 3; do ovsdb-tool join-cluster "$STATE/$db$i.db" $name "tcp:127.0.0.$i:$port" "tcp:127.0.0.1:$port"; done
    for i in 1 2 3; do start "$db$i"; done
  done
  for _ in $(seq 100); do
    n=$(ovs-appctl -t "$STATE/nb1.ctl" cluster/status OVN_Northbound | grep -c 'match_index=' || true)
    s=$(ovs-appctl -t "$STATE/sb1.ctl" cluster/status OVN_Southbound | grep -c 'match_index=' || true)
    [ "$n" = 3 ] && [ "$s" = 3 ] && break; sleep 0.1
  done
  {
    echo "ovn_central:"
    echo "  hosts:"
    for i in 1 2 3; do
      echo "    raft-member-$i:"
      echo "      ansible_connection: local"
      echo "      ansible_python_interpreter: $PWD/.venv/bin/python"
      echo "      ovn_raft_dbs:"
      echo "        - {name: OVN_Northbound, ctl: $STATE/nb$i.ctl}"
      echo "        - {name: OVN_Southbound, ctl: $STATE/sb$i.ctl}"
    done
  } > "$STATE/inventory.yml"
  echo "local raft clusters up: NB and SB, 3 members each on 127.0.0.1-3 (state $STATE)"
  ;;
down)
  for p in "$STATE"/*.pid; do
    if [ -f "$p" ]; then kill "$(cat "$p")" 2>/dev/null || true; fi
  done
  rm -rf "$STATE"
  echo "local raft clusters stopped"
  ;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
