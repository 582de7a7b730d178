#!/usr/bin/env bash
# Runs integration targets against real daemons on this machine (as root).
# A target is tests/integration/targets/<name>/ in ansible-test's layout:
#   - tasks/main.yml  -> run as a role on localhost, or
#   - runme.sh        -> executed (ansible-test convention)
# Targets named setup_* are dependencies (used via meta/main.yml) and not run alone.
# Select targets with INTEGRATION_TARGETS="a b".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
export PATH=$ROOT/.venv/bin:$PATH ANSIBLE_CONFIG=$ROOT/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.collections
export ANSIBLE_ROLES_PATH=$ROOT/tests/integration/targets
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_LOCALHOST_WARNING=false
# Targets run on this machine: use the venv's Python for modules too (the pyenv
# shims here may point interpreter discovery at a Python that is not installed).
export ANSIBLE_PYTHON_INTERPRETER=$ROOT/.venv/bin/python
# Run reports of the rollout_report callback go to tests/output, not into targets.
export CNI_OVS_REPORT_DIR=$ROOT/tests/output/reports
OUT=$ROOT/tests/output/integration; mkdir -p "$OUT"
targets=${INTEGRATION_TARGETS:-$(ls tests/integration/targets 2>/dev/null)}
run_target() {  # target dir -> rc; output in $OUT/<target>.log
  local t=$1 d=$2 pb
  if [ -x "$d/runme.sh" ]; then
    (cd "$d" && ./runme.sh) >"$OUT/$t.log" 2>&1
  else
    pb=$OUT/$t.playbook.yml
    printf -- '- name: Integration target %s\n  hosts: localhost\n  connection: local\n  gather_facts: true\n  roles:\n    - %s\n' "$t" "$t" >"$pb"
    ansible-playbook -i localhost, "$pb" >"$OUT/$t.log" 2>&1
  fi
}
# Two lanes side by side (this machine has 2 cores; each target keeps about one busy): the raft
# targets (real ovsdb-server raft members: their election timers share a lane, not the cores with
# each other) plus rollout_report, and the rest.  Measured one by one: 87 s and 88 s of targets.
LANE_A=" ovn_raft_member ovn_cluster_info raft_status rollout_report "
run_one() {  # target -> prints its lines; rc 0 when it passed (retried once)
  local t=$1 d=tests/integration/targets/$1 start rc
  [ -d "$d" ] || { echo "-- $t: FAILED (no target $t)"; return 1; }
  grep -qx 'disabled' "$d/aliases" 2>/dev/null && { echo "-- $t: disabled"; return 0; }
  start=$(date +%s)
  run_target "$t" "$d"; rc=$?
  if [ $rc != 0 ] && [ "${INTEGRATION_RETRY:-1}" = 1 ]; then
    # One retry, never silent: the first failure is printed and kept, and the summary names the
    # target as flaky. A target that fails twice fails the layer.
    echo "-- $t: failed once (rc=$rc), last lines of the first attempt (kept in $OUT/$t.first-failure.log):"
    tail -25 "$OUT/$t.log" | sed 's/^/   | /'
    cp "$OUT/$t.log" "$OUT/$t.first-failure.log"
    echo "   retrying $t once"
    run_target "$t" "$d"; rc=$?
    [ $rc = 0 ] && echo "$t" >>"$OUT/.flaky"
  fi
  if [ $rc = 0 ]; then echo "-- integration target: $t ok ($(( $(date +%s)-start ))s)"
  else echo "-- integration target: $t FAILED (rc=$rc), last lines of $OUT/$t.log:"; tail -40 "$OUT/$t.log"; return 1; fi
}
run_lane() {  # lane name, targets... -> $OUT/lane-<name>.log; one line per target in $OUT/.results
  local lane=$1 t; shift
  for t in "$@"; do
    if run_one "$t"; then echo "pass $t" >>"$OUT/.results"; else echo "fail $t" >>"$OUT/.results"; fi
  done >"$OUT/lane-$lane.log" 2>&1
}
lane_a=(); lane_b=()
for t in $targets; do
  [[ $t == setup_* ]] && continue
  if [[ $LANE_A == *" $t "* ]]; then lane_a+=("$t"); else lane_b+=("$t"); fi
done
rm -f "$OUT/.results" "$OUT/.flaky"; touch "$OUT/.results"
echo "-- integration: lane a (${lane_a[*]}) beside lane b (${lane_b[*]}); each target's log in $OUT/<target>.log"
run_lane a "${lane_a[@]}" & lane_pid=$!
run_lane b "${lane_b[@]}"
wait "$lane_pid"
cat "$OUT/lane-a.log" "$OUT/lane-b.log"
pass=$(grep -c '^pass ' "$OUT/.results"); fail=$(grep -c '^fail ' "$OUT/.results")
mapfile -t failed < <(sed -n 's/^fail //p' "$OUT/.results")
mapfile -t flaky < <(cat "$OUT/.flaky" 2>/dev/null)
echo "integration: $pass passed, $fail failed ${failed[*]}"
[ ${#flaky[@]} = 0 ] || echo "integration: FLAKY (failed once, passed on the retry): ${flaky[*]}; first failures in $OUT/<target>.first-failure.log"
[ "$fail" = 0 ]
