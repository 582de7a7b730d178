#!/usr/bin/env bash
# Benchmark: cni.ovs.ovn_raft_member against the bare primitives, side by side in ONE run,
# on a real 3-member OVN Northbound raft cluster on 127.0.0.1-3 (port 17401) holding
# 2000 logical switches.
#   removal: request -> removal committed on the leader (bare: ovs-appctl cluster/kick + poll the
#            leader's cluster/status; module: state=absent, which also checks quorum first and, with
#            its default hold of 2 election timers, watches that the removal held)
#   join:    request -> new member caught up (bare: ovsdb-tool join-cluster + ovsdb-server + poll until
#            "cluster member" with the leader's log index; module: state=present)
# Module times are wall-clock times of an `ansible` ad-hoc run (Python and Ansible start-up included)
# and the module's own elapsed_ms. Usage: bench/raft_member/run.sh [ROUNDS]   (default 3)
set -euo pipefail
ROUNDS=${1:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../tests/lib/raftlab.sh
source "$ROOT/tests/lib/raftlab.sh"
export ANSIBLE_CONFIG=$ROOT/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$ROOT/.collections
ANSIBLE=$ROOT/.venv/bin/ansible
NB=OVN_Northbound PORT=17401 SWITCHES=${SWITCHES:-2000}
rl_init; trap rl_cleanup EXIT
now() { date +%s%N; }
poll() {  # CONDITION: poll every 5 ms for at most 60 s
  local end=$(( $(date +%s) + 60 ))
  until eval "$1"; do [ "$(date +%s)" -lt "$end" ] || { echo "timeout waiting for: $1" >&2; exit 1; }; sleep 0.005; done
}
ms() { echo $(( ($2 - $1) / 1000000 )); }

rl_create m "$NB" /usr/share/ovn/ovn-nb.ovsschema "$PORT" 3

names=(m1 m2 m3)          # current member name per address index 1..3 (0-based array)
seq_no=3

t0=$(now)
args=(); for i in $(seq 1 "$SWITCHES"); do args+=(-- ls-add "bench-sw$i"); done
ovn-nbctl --db="unix:$RL_DIR/m1.sock,unix:$RL_DIR/m2.sock,unix:$RL_DIR/m3.sock" --timeout=60 "${args[@]:1}"
echo "populated $SWITCHES logical switches in $(ms "$t0" "$(now)") ms"
have=$(ovn-nbctl --db="unix:$RL_DIR/m1.sock" ls-list | wc -l)
[ "$have" -eq "$SWITCHES" ] || { echo "expected $SWITCHES logical switches, found $have" >&2; exit 1; }

leader() { local n; for n in "${names[@]}"; do rl_status "$n" "$NB" 2>/dev/null | grep -q '^Role: leader' && { echo "$n"; return; }; done; }
victim_idx() {  # a follower's address index (prefers 3)
  local L; L=$(leader)
  if [ "${names[2]}" != "$L" ]; then echo 2; else echo 1; fi
}
leader_next() { rl_status "$(leader)" "$NB" | sed -n 's/^Log: \[[0-9]*, \([0-9]*\)\]/\1/p'; }

bare_remove() {  # idx -> RES (ms)
  local idx=$1 L sid t
  L=$(leader); sid=$(rl_sid "${names[$idx]}" "$NB")
  t=$(now)
  ovs-appctl -t "$RL_DIR/$L.ctl" cluster/kick "$NB" "$sid" >/dev/null
  poll "! rl_status $L $NB | grep -q '^ *$sid (' && rl_status $L $NB | grep -q '^Entries not yet committed: 0'"
  RES=$(ms "$t" "$(now)")
  rl_stop "${names[$idx]}"
}

bare_join() {  # idx -> RES (ms)
  local idx=$1 new t L target
  seq_no=$((seq_no+1)); new=m$seq_no
  L=$(leader)
  t=$(now)
  local remotes=() k
  for k in 1 2 3; do [ "$k" = $((idx+1)) ] || remotes+=("tcp:127.0.0.$k:$PORT"); done
  ovsdb-tool join-cluster "$RL_DIR/$new.db" "$NB" "tcp:127.0.0.$((idx+1)):$PORT" "${remotes[@]}"
  rl_start "$new"
  poll "rl_status $new $NB 2>/dev/null | grep -q '^Status: cluster member'"
  target=$(leader_next)
  poll "[ \"\$(rl_status $new $NB | sed -n 's/^Log: \\[[0-9]*, \\([0-9]*\\)\\]/\\1/p')\" -ge $target ]"
  RES=$(ms "$t" "$(now)")
  names[idx]=$new
}

mod() {  # module args... -> "wall_ms elapsed_ms"
  local t out
  t=$(now)
  out=$("$ANSIBLE" localhost -i localhost, -c local -e ansible_python_interpreter=/usr/bin/python3 -o -m cni.ovs.ovn_raft_member -a "$*" 2>&1) \
    || { echo "module failed: $out" >&2; exit 1; }
  echo "$(ms "$t" "$(now)") $(echo "$out" | grep -o '"elapsed_ms": [0-9]*' | grep -o '[0-9]*$')"
}

mod_remove() {  # idx hold -> RES "wall elapsed"
  local idx=$1 hold=$2 peers r
  peers=$(printf '%s,' "${names[@]/#/$RL_DIR/}" | sed 's/,$//; s/\([^,]*\)/\1.ctl/g')
  RES=$(mod "db=nb state=absent method=kick ctl=$RL_DIR/$(leader).ctl peer_ctls=$peers address=tcp:127.0.0.$((idx+1)):$PORT ${hold:+hold=$hold}")
  rl_stop "${names[$idx]}"
}

mod_join() {  # idx -> RES "wall elapsed"
  local idx=$1 new argv
  seq_no=$((seq_no+1)); new=m$seq_no
  argv=$(rl_start_argv "$new" | paste -sd, -)
  RES=$(mod "db=nb state=present ctl=$RL_DIR/$(leader).ctl address=tcp:127.0.0.$((idx+1)):$PORT db_file=$RL_DIR/$new.db new_ctl=$RL_DIR/$new.ctl start_command=$argv")
  names[idx]=$new
}

declare -a BR BJ MRW MRE MR0W MR0E MJW MJE
for r in $(seq 1 "$ROUNDS"); do
  i=$(victim_idx); bare_remove "$i"; BR+=("$RES"); bare_join "$i"; BJ+=("$RES")
  i=$(victim_idx); mod_remove "$i" 0; [ -n "$RES" ] || exit 1; read -r w e <<<"$RES"; MR0W+=("$w"); MR0E+=("$e")
  mod_join "$i"; [ -n "$RES" ] || exit 1; read -r w e <<<"$RES"; MJW+=("$w"); MJE+=("$e")
  i=$(victim_idx); mod_remove "$i" ""; [ -n "$RES" ] || exit 1; read -r w e <<<"$RES"; MRW+=("$w"); MRE+=("$e")
  bare_join "$i"
  echo "round $r: bare kick ${BR[-1]} ms, bare join ${BJ[-1]} ms | module absent(hold=0) wall ${MR0W[-1]} / own ${MR0E[-1]} ms," \
       "absent(default hold) wall ${MRW[-1]} / own ${MRE[-1]} ms, present wall ${MJW[-1]} / own ${MJE[-1]} ms"
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b < 1) b = 1; printf "%.1f", a / b }'; }
b_r=$(median "${BR[@]}"); b_j=$(median "${BJ[@]}")
echo
echo "=== medians over $ROUNDS rounds, 3-member NB, $(ovn-nbctl --db="unix:$RL_DIR/$(leader).sock" ls-list | wc -l) logical switches at the end"
echo "removal  bare kick+poll: $b_r ms"
echo "removal  module hold=0:  own $(median "${MR0E[@]}") ms (ratio $(ratio "$(median "${MR0E[@]}")" "$b_r")), wall $(median "${MR0W[@]}") ms (ratio $(ratio "$(median "${MR0W[@]}")" "$b_r"))"
echo "removal  module default: own $(median "${MRE[@]}") ms (ratio $(ratio "$(median "${MRE[@]}")" "$b_r")), wall $(median "${MRW[@]}") ms (ratio $(ratio "$(median "${MRW[@]}")" "$b_r"))"
echo "join     bare tool+start+poll: $b_j ms"
echo "join     module:         own $(median "${MJE[@]}") ms (ratio $(ratio "$(median "${MJE[@]}")" "$b_j")), wall $(median "${MJW[@]}") ms (ratio $(ratio "$(median "${MJW[@]}")" "$b_j"))"
