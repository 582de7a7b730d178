# shellcheck shell=bash
# Real OVSDB raft clusters on loopback for cni.ovs tests and benchmarks.
# Source it, then:  rl_init; rl_create n OVN_Northbound /usr/share/ovn/ovn-nb.ovsschema 17301 3
# Members are $RL_DIR/<prefix><i>.{db,ctl,sock,pid,log}, raft address tcp:127.0.0.<i>:<port>.
# rl_cleanup (trap it on EXIT) stops every server started here and removes $RL_DIR.
RL_ET=${RL_ET:-1000}

rl_init() {
  RL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cniovs-raft.XXXXXX")
  export RL_DIR
}

rl_start() {  # NAME
  ovsdb-server -vconsole:off --detach --no-chdir --pidfile="$RL_DIR/$1.pid" --unixctl="$RL_DIR/$1.ctl" \
    --remote="punix:$RL_DIR/$1.sock" --log-file="$RL_DIR/$1.log" "$RL_DIR/$1.db"
}

rl_start_argv() {  # NAME -> prints the argv (one per line) that rl_start runs
  printf '%s\n' ovsdb-server -vconsole:off --detach --no-chdir "--pidfile=$RL_DIR/$1.pid" "--unixctl=$RL_DIR/$1.ctl" \
    "--remote=punix:$RL_DIR/$1.sock" "--log-file=$RL_DIR/$1.log" "$RL_DIR/$1.db"
}

rl_stop() {  # NAME: stop the server and wait until its control socket is gone
  local pid
  [ -f "$RL_DIR/$1.pid" ] || return 0
  pid=$(cat "$RL_DIR/$1.pid")
  kill "$pid" 2>/dev/null
  for _ in $(seq 100); do
    ovs-appctl -t "$RL_DIR/$1.ctl" version >/dev/null 2>&1 || break
    sleep 0.02
  done
  rm -f "$RL_DIR/$1.pid"
}

rl_status() {  # NAME DB
  ovs-appctl -t "$RL_DIR/$1.ctl" cluster/status "$2"
}

rl_create() {  # PREFIX DB SCHEMA PORT N: create and start N members, wait until all are in the leader's view
  local prefix=$1 db=$2 schema=$3 port=$4 n=$5 i
  ovsdb-tool create-cluster "$RL_DIR/${prefix}1.db" "$schema" "tcp:127.0.0.1:$port" 2>/dev/null
  ovs-appctl --version >/dev/null
  rl_start "${prefix}1"
  for i in $(seq 2 "$n"); do
    ovsdb-tool join-cluster "$RL_DIR/$prefix$i.db" "$db" "tcp:127.0.0.$i:$port" "tcp:127.0.0.1:$port"
    rl_start "$prefix$i"
  done
  if [ "$RL_ET" != 1000 ]; then
    rl_wait "rl_status ${prefix}1 $db | grep -q '^Role: leader'"
    ovs-appctl -t "$RL_DIR/${prefix}1.ctl" cluster/change-election-timer "$db" "$RL_ET" >/dev/null
  fi
  rl_wait "[ \$(rl_status ${prefix}1 $db | grep -c 'last msg [0-9]\{1,3\} ms') = $((n-1)) ]"
  for i in $(seq 1 "$n"); do
    rl_wait "rl_status $prefix$i $db | grep -q '^Leader: [0-9a-fs]'"
  done
}

rl_wait() {  # SHELL-CONDITION [TRIES(0.05 s each), default 400]
  local i
  for i in $(seq "${2:-400}"); do
    eval "$1" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "rl_wait: timeout: $1" >&2
  return 1
}

rl_leader() {  # PREFIX DB N -> member name of the leader
  local i
  for i in $(seq 1 "$3"); do
    rl_status "$1$i" "$2" 2>/dev/null | grep -q '^Role: leader' && { echo "$1$i"; return 0; }
  done
  return 1
}

rl_sid() {  # NAME DB -> short server id
  ovs-appctl -t "$RL_DIR/$1.ctl" cluster/sid "$2" | cut -c1-4
}

rl_cleanup() {
  local p
  [ -n "${RL_DIR:-}" ] && [ -d "$RL_DIR" ] || return 0
  touch "$RL_DIR/writer.stop"  # stops a writer loop left running by a failed test
  for p in "$RL_DIR"/*.pid; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
  done
  sleep 0.2
  rm -rf "$RL_DIR" 2>/dev/null || { sleep 1; rm -rf "$RL_DIR"; }
}
