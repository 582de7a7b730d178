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
pass=0; fail=0; failed=(); flaky=()
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
for t in $targets; do
  d=tests/integration/targets/$t
  [[ $t == setup_* ]] && continue
  [ -d "$d" ] || { echo "no target $t"; fail=$((fail+1)); failed+=("$t"); continue; }
  grep -qx 'disabled' "$d/aliases" 2>/dev/null && { echo "-- $t: disabled"; continue; }
  echo "-- integration target: $t"
  start=$(date +%s)
  run_target "$t" "$d"; rc=$?
  if [ $rc != 0 ] && [ "${INTEGRATION_RETRY:-1}" = 1 ]; then
    # One retry, never silent: the first failure is printed and kept, and the summary names the
    # target as flaky. A target that fails twice fails the layer.
    echo "   failed once (rc=$rc), last lines of the first attempt (kept in $OUT/$t.first-failure.log):"
    tail -25 "$OUT/$t.log" | sed 's/^/   | /'
    cp "$OUT/$t.log" "$OUT/$t.first-failure.log"
    echo "   retrying $t once"
    run_target "$t" "$d"; rc=$?
    [ $rc = 0 ] && flaky+=("$t")
  fi
  if [ $rc = 0 ]; then pass=$((pass+1)); echo "   ok ($(( $(date +%s)-start ))s)"
  else fail=$((fail+1)); failed+=("$t"); echo "   FAILED (rc=$rc), last lines of $OUT/$t.log:"; tail -40 "$OUT/$t.log"; fi
done
echo "integration: $pass passed, $fail failed ${failed[*]}"
[ ${#flaky[@]} = 0 ] || echo "integration: FLAKY (failed once, passed on the retry): ${flaky[*]}; first failures in $OUT/<target>.first-failure.log"
[ $fail = 0 ]
