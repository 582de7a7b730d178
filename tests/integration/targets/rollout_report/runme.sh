#!/usr/bin/env bash
# cni.ovs.rollout_report on real ansible-playbook runs (3 inventory hosts on localhost, serial: 1,
# any_errors_fatal): a run that succeeds, one where lab-node-2 fails mid-way, one interrupted with
# SIGINT, and queue.yml (a preflight play on all nodes, then one node at a time working 1 s each:
# queue time). Each report is validated against docs/report-schema.json and checked node by node
# (also with the Molecule scenarios' extensions/molecule/shared/check_report.py); the progress lines
# and summary are checked in stdout; the HTML pages are screenshotted in headless Chromium and the
# timeline pixels checked. Copies of reports and screenshots are left in
# tests/output/integration/rollout_report/.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../../.. && pwd)
export ANSIBLE_CONFIG=$ROOT/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$ROOT/.collections
export ANSIBLE_PYTHON_INTERPRETER=${ANSIBLE_PYTHON_INTERPRETER:-$ROOT/.venv/bin/python}
export ANSIBLE_CALLBACKS_ENABLED=cni.ovs.rollout_report
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_LOCALHOST_WARNING=false
unset CNI_OVS_REPORT_DIR CNI_OVS_REPORT_NAME CNI_OVS_REPORT_PROGRESS
PB=$ROOT/.venv/bin/ansible-playbook
PY=$ROOT/.venv/bin/python
SCHEMA=$ROOT/docs/report-schema.json
T=$(mktemp -d /tmp/rollout-report.XXXXXX)
KEEP=$ROOT/tests/output/integration/rollout_report
trap 'rm -rf "$T"' EXIT
rm -rf "$KEEP"; mkdir -p "$KEEP"

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { grep -qF -- "$2" "$1" || fail "'$2' not in $1"; }
reject() { if grep -qF -- "$2" "$1"; then fail "'$2' unexpectedly in $1"; fi; }
only() { local f; f=$(compgen -G "$1") || fail "no file $1"; [ "$(echo "$f" | wc -l)" = 1 ] || fail "more than one $1"; echo "$f"; }
shot() {  # report.json report.html name
  PYTHONPATH=$ROOT/.collections "$PY" files/screenshot_check.py "$1" "$2" "$KEEP/$3.png"
  cp "$1" "$KEEP/$3.json"; cp "$2" "$KEEP/$3.html"
}
new_state() {  # dir: work dirs with an old drain marker, so the copy makes a real backup
  local h; for h in lab-node-1 lab-node-2 lab-node-3; do mkdir -p "$1/$h"; chmod 700 "$1/$h"; echo old >"$1/$h/drained"; done
}

echo "=== 1. a rollout that succeeds (report dir from the environment)"
new_state "$T/s1"
rc=0
CNI_OVS_REPORT_DIR=$T/r1 "$PB" -i inventory.yml rollout.yml -e "state_dir=$T/s1 run_id=1" >"$T/out1" 2>&1 || rc=$?
cat "$T/out1"; [ $rc = 0 ] || fail "run 1 rc=$rc"
for i in 1 2 3; do
  for p in preflight drain upgrade verify; do expect "$T/out1" "node $i/3 lab-node-$i: $p"; done
done
[ "$(grep -c '^node [0-9]/3 lab-node-[0-9]: ' "$T/out1")" = 12 ] || fail "expected 12 progress lines (3 nodes x 4 phases)"
expect "$T/out1" "ROLLOUT REPORT rollout: changed, 3 node(s)"
grep -qE '^NODE +RESULT +QUEUED +PHASES$' "$T/out1" || fail "summary header"
grep -qE '^1/3 lab-node-1 +changed +- +preflight [0-9.]+ m?s ok, drain [0-9.]+ m?s changed, upgrade' "$T/out1" || fail "summary row of lab-node-1"
grep -qE '^3/3 lab-node-3 +changed +[0-9.]+ m?s +preflight [0-9.]+ m?s ok, drain' "$T/out1" || fail "summary row of lab-node-3 (queued)"
J1=$(only "$T/r1/rollout-*.json"); H1=$(only "$T/r1/rollout-*.html")
expect "$T/out1" "rollout report: $J1"; expect "$T/out1" "rollout report: $H1"
[ "$(tail -2 "$T/out1" | head -1)" = "rollout report: $J1" ] || fail "the paths are not printed last"
"$PY" files/check_report.py ok "$SCHEMA" "$J1"
grep -q '<link\|<script\|src=\|url(' "$H1" && fail "HTML page loads external assets"
shot "$J1" "$H1" ok

echo "=== 2. lab-node-2 fails in the upgrade phase (report dir and name from extra vars)"
new_state "$T/s2"; touch "$T/s2/lab-node-2/blocker"
rc=0
CNI_OVS_REPORT_DIR=$T/env-not-used "$PB" -i inventory.yml rollout.yml -e "state_dir=$T/s2 run_id=2" \
  -e "cni_ovs_report_dir=$T/r2 cni_ovs_report_name=upgrade-fail" >"$T/out2" 2>&1 || rc=$?
cat "$T/out2"; [ $rc = 2 ] || fail "run 2 rc=$rc, expected 2 (a host failed)"
[ -e "$T/env-not-used" ] && fail "extra var cni_ovs_report_dir did not win over CNI_OVS_REPORT_DIR"
expect "$T/out2" "node 2/3 lab-node-2: upgrade"; reject "$T/out2" "node 2/3 lab-node-2: verify"
reject "$T/out2" "lab-node-3: "
expect "$T/out2" "ROLLOUT REPORT upgrade-fail: FAILED, 3 node(s)"
grep -qE '^2/3 lab-node-2 +failed +[0-9.]+ m?s +preflight .* upgrade [0-9.]+ m?s FAILED$' "$T/out2" || fail "summary row of lab-node-2"
grep -qE '^3/3 lab-node-3 +not_run +- +-$' "$T/out2" || fail "summary row of lab-node-3"
expect "$T/out2" "failed: lab-node-2 [upgrade] Upgrade | Refuse while a blocker is present: lab-node-2: upgrade blocked by"
J2=$(only "$T/r2/upgrade-fail-*.json"); H2=$(only "$T/r2/upgrade-fail-*.html")
"$PY" files/check_report.py fail "$SCHEMA" "$J2"
shot "$J2" "$H2" fail

echo "=== 3. interrupted with SIGINT while lab-node-1 is in the drain phase"
new_state "$T/s3"
CNI_OVS_REPORT_DIR=$T/r3 "$PB" -i inventory.yml rollout.yml -e "state_dir=$T/s3 run_id=3 settle_s=30" >"$T/out3" 2>&1 &
pid=$!
for _ in $(seq 120); do grep -qF 'TASK [Let the marker settle]' "$T/out3" && break; sleep 0.25; done
sleep 1
kill -INT "$pid"; rc=0; wait "$pid" || rc=$?
cat "$T/out3"; [ $rc != 0 ] || fail "interrupted run exited 0"
expect "$T/out3" "(INCOMPLETE: interrupted)"
J3=$(only "$T/r3/rollout-*.json")
"$PY" files/check_report.py interrupted "$SCHEMA" "$J3"
cp "$J3" "$KEEP/interrupted.json"

echo "=== 4. queue time: preflight on every node, then serial: 1 with 1 s of work per node"
rc=0
CNI_OVS_REPORT_DIR=$T/r4 "$PB" -i inventory.yml queue.yml -e work_s=1 >"$T/out4" 2>&1 || rc=$?
cat "$T/out4"; [ $rc = 0 ] || fail "run 4 rc=$rc"
grep -qE '^1/3 lab-node-1 +changed +- +preflight [0-9.]+ m?s ok, upgrade' "$T/out4" || fail "summary row of lab-node-1 (no queue)"
grep -qE '^2/3 lab-node-2 +changed +[0-9.]+ s +preflight [0-9.]+ m?s ok, preflight [0-9.]+ m?s ok, upgrade' "$T/out4" \
  || fail "summary row of lab-node-2 (queued, preflight split by the wait)"
J4=$(only "$T/r4/queue-*.json"); H4=$(only "$T/r4/queue-*.html")
"$PY" files/check_report.py queue "$SCHEMA" "$J4"
shot "$J4" "$H4" queue

echo "=== the Molecule scenarios' report check on every report"
"$PY" "$ROOT/extensions/molecule/shared/check_report.py" "$SCHEMA" "$J1" "$J2" "$J3" "$J4" \
  --gap-node lab-node-1 --queued-node lab-node-2 --queued-node lab-node-3 >"$T/mol" 2>&1 && fail "--queued-node lab-node-3 passed on the failed run"
expect "$T/mol" "node lab-node-3 did not wait for other hosts"
"$PY" "$ROOT/extensions/molecule/shared/check_report.py" "$SCHEMA" "$J1" --gap-node lab-node-1 --queued-node lab-node-2 --queued-node lab-node-3
"$PY" "$ROOT/extensions/molecule/shared/check_report.py" "$SCHEMA" "$J4" --queued-node lab-node-2 --queued-node lab-node-3
"$PY" "$ROOT/extensions/molecule/shared/check_report.py" "$SCHEMA" "$J2" "$J3"
echo "=== rollout_report: all checks passed (artifacts in $KEEP)"
