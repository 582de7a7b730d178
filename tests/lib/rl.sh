#!/usr/bin/env bash
# Command-line front end of raftlab.sh for playbooks: rl.sh <RL_DIR> <command> [args]
#   create PREFIX DB SCHEMA PORT N | start NAME | stop NAME | status NAME DB | sid NAME DB
#   leader PREFIX DB N | start-argv NAME | rawjoin NAME DB ADDRESS REMOTE
#   writer REMOTES STOPFILE OUTFILE: ovn-nbctl transactions (ls-add) until STOPFILE exists,
#          then "ok=N failed=M" into OUTFILE (stderr of failures in OUTFILE.err)
set -euo pipefail
# shellcheck source=raftlab.sh
source "$(dirname "$0")/raftlab.sh"
RL_DIR=$1; shift
cmd=$1; shift
case $cmd in
  create) rl_create "$@" ;;
  start) rl_start "$1" ;;
  stop) rl_stop "$1" ;;
  status) rl_status "$1" "$2" ;;
  sid) rl_sid "$1" "$2" ;;
  leader) rl_leader "$1" "$2" "$3" ;;
  start-argv) rl_start_argv "$1" ;;
  rawjoin) ovsdb-tool join-cluster "$RL_DIR/$1.db" "$2" "$3" "$4" ;;
  writer)
    ok=0; failed=0; i=0
    while [ ! -e "$2" ]; do
      i=$((i+1))
      if ovn-nbctl --db="$1" --timeout=20 --may-exist ls-add "w$$-$i" >/dev/null 2>>"$3.err"; then ok=$((ok+1)); else failed=$((failed+1)); fi
    done
    echo "ok=$ok failed=$failed" > "$3"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
