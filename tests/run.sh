#!/usr/bin/env bash
# Runs the test layers of cni.ovs and ends with one summary line.
#   tests/run.sh all            every layer that exists
#   tests/run.sh quick          lint sanity units properties hostile integration (inner loop)
#   tests/run.sh <layer> ...    lint sanity units properties hostile faults integration
#                               lab-tests molecule dist
# Exit status is non-zero when any layer fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
export PATH=$ROOT/.venv/bin:$PATH
export ANSIBLE_CONFIG=$ROOT/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.collections
export LANG=C.UTF-8
export CNI_OVS_REPORT_DIR=${CNI_OVS_REPORT_DIR:-$ROOT/tests/output/reports}
[ -x .venv/bin/ansible ] || { echo "run 'make setup' first (.venv missing)"; exit 2; }

ALL_LAYERS=(lint sanity units properties hostile faults integration lab-tests molecule dist)
QUICK_LAYERS=(lint sanity units properties hostile integration)
layers=("$@"); [ "${layers[0]:-all}" = all ] && layers=("${ALL_LAYERS[@]}")
[ "${layers[0]}" = quick ] && layers=("${QUICK_LAYERS[@]}")
declare -A RESULT TIME

stage_collection() {
  # ansible-test needs the checkout at .../ansible_collections/cni/ovs: stage the
  # tracked and new (not ignored) files there.
  # (outside this git checkout: inside it ansible-test would list files with git
  # and see none of the ignored staging directory).
  local key dest
  key=$(echo "$ROOT" | sha1sum | cut -c1-8)
  dest=${CNI_OVS_CACHE:-$HOME/.cache/cni-ovs}/stage/$key/ansible_collections/cni/ovs
  mkdir -p "$dest"
  git ls-files -z --cached --others --exclude-standard | \
    rsync -a --delete --from0 --files-from=- ./ "$dest/.tmpl/" >/dev/null
  rsync -a --delete --exclude=tests/output "$dest/.tmpl/" "$dest/" --exclude=.tmpl
  rm -rf "$dest/.tmpl"
  echo "$dest"
}

layer_lint() {
  ansible-lint --profile production --offline -q
}

layer_sanity() {
  local dest; dest=$(stage_collection) || return 1
  # Real ignore files must stay empty.
  local f; for f in tests/sanity/ignore-*.txt; do
    [ -s "$f" ] && { echo "sanity ignore file $f is not empty"; return 1; }
  done
  (cd "$dest" && ansible-test sanity --python 3.11 --local --color no "${SANITY_ARGS[@]}")
}
SANITY_ARGS=()

layer_units() {
  PYTHONPATH=$ROOT/.collections python -m pytest -q -p no:cacheprovider \
    -n "${PYTEST_WORKERS:-2}" tests/unit tests/collection
}

# Property-based tests (Hypothesis) of the parsers and filters: no daemons.
layer_properties() {
  PYTHONPATH=$ROOT/.collections python -m pytest -q -p no:cacheprovider \
    -n "${PYTEST_WORKERS:-2}" tests/property
}

# Hostile inputs against every module and filter: a clear error naming the parameter
# and the value, no traceback, nothing changed (real files and daemons where it matters).
layer_hostile() {
  PYTHONPATH=$ROOT/.collections python -m pytest -q -p no:cacheprovider \
    -n "${PYTEST_WORKERS:-2}" tests/hostile
}

# Fault injection: a crash at every phase boundary of every state-changing module, on
# real daemons and files, then a re-run; raft membership changes under fire.  Two pytest
# processes side by side: the raft-under-fire tests (serial among themselves: their election
# timers must not share the cores with each other) and the rest.  Both wait on daemons far more
# than they compute (measured: 27 % and 15 % of a core), so side by side takes the longer of
# the two (72 s) instead of the sum (132 s).
layer_faults() {
  local out=tests/output/layers rc=0 pid
  mkdir -p "$out"
  echo "faults: two pytest processes side by side (~75 s), logs in $out/faults-*.log, printed when both end"
  PYTHONPATH=$ROOT/.collections python -m pytest -q -p no:cacheprovider -rA --durations=10 \
    tests/faults/test_raft_under_fire.py >"$out/faults-raft-under-fire.log" 2>&1 &
  pid=$!
  PYTHONPATH=$ROOT/.collections python -m pytest -q -p no:cacheprovider -rA --durations=10 \
    --ignore tests/faults/test_raft_under_fire.py tests/faults >"$out/faults-rest.log" 2>&1 || rc=1
  wait "$pid" || rc=1
  echo "--- faults: tests/faults/test_raft_under_fire.py"; cat "$out/faults-raft-under-fire.log"
  echo "--- faults: the other files of tests/faults"; cat "$out/faults-rest.log"
  return $rc
}

# The built tarball through the ecosystem's own publishing tools (see tests/dist/run.sh).
layer_dist() {
  [ -f tests/dist/run.sh ] || { echo "no dist layer yet"; return 0; }
  bash tests/dist/run.sh
}

# The integration targets' raft clusters use fixed loopback ports (17301+): runs from two
# checkouts on one machine take turns on this lock.
layer_integration() {
  flock "${CNI_OVS_RAFTLAB_LOCK:-/tmp/cniovs-raftlab.lock}" bash tests/integration/run.sh
}

layer_lab-tests() {
  [ -f lab/lab.sh ] || { echo "no lab yet"; return 0; }
  [ -d tests/lab ] || { echo "no lab tests yet"; return 0; }
  bash tests/lab/run.sh
}

# Two lab lanes: the Molecule groups in LANE_B_GROUPS run in a second lab (tests/lane.sh: a copy
# of this checkout whose lab lives in its own network namespace) while this checkout's lab runs
# lab-tests and the other groups. The labs mostly wait (reboots, grace periods, rollouts: ~45 %
# of the 2 cores idle during a scenario), so side by side they take little longer than alone.
# CNI_OVS_LANES=0: one lane, every group here, one after another.
LANE_B_GROUPS="nsx openshift-sdn"
LANE_A_GROUPS="kube-ovn kube-ovn/real nsx/real openshift-sdn/real"
lane_b_pid="" lane_b_start=0
lanes_ok=""
lanes_possible() {  # asked once: can a lane run here (tests/lane.sh check: root, nsenter, ip, netns)?
  if [ -z "$lanes_ok" ]; then
    lanes_ok=no
    if [ "${CNI_OVS_LANES:-1}" != 0 ]; then
      if bash tests/lane.sh check; then lanes_ok=yes
      else echo "===== lanes: not here (above); every Molecule group runs in this lab, one after another ====="; fi
    fi
  fi
  [ "$lanes_ok" = yes ]
}
start_lane_b() {
  [ -z "$lane_b_pid" ] || return 0
  mkdir -p tests/output/layers
  echo "===== lane b: Molecule groups $LANE_B_GROUPS in a second lab (tests/lane.sh), beside what follows; log printed at the end of the molecule layer ====="
  lane_b_start=$(date +%s)
  rm -f tests/output/layers/molecule-lane-b.rc
  # its own session: the EXIT trap can stop the whole lane (kill -- -pid)
  # shellcheck disable=SC2016  # expanded by the inner shell
  setsid bash -c 'bash tests/lane.sh run env CNI_OVS_MOLECULE_GROUPS="$1" CNI_OVS_LAB_DISPOSABLE=1 \
      bash tests/molecule.sh >tests/output/layers/molecule-lane-b.log 2>&1
    echo $? >tests/output/layers/molecule-lane-b.rc' _ "$LANE_B_GROUPS" &
  lane_b_pid=$!
}
# finish_lane_b: wait for lane b, print its log, keep its Ansible logs, remove the lane.
finish_lane_b() {
  [ -n "$lane_b_pid" ] || return 0
  local rc=0
  # Not `wait`: this runs in the layer's pipeline (a subshell), and lane b is usually a child of
  # the main shell (started with lab-tests), which `wait` here cannot wait for. Its status file is
  # written when it ends; the pid check ends the wait if it was killed before writing it.
  while [ ! -e tests/output/layers/molecule-lane-b.rc ] && kill -0 "$lane_b_pid" 2>/dev/null; do sleep 2; done
  echo "===== lane b: its log (tests/output/layers/molecule-lane-b.log), $(( $(date +%s) - lane_b_start ))s after it started ====="
  cat tests/output/layers/molecule-lane-b.log
  [ "$(cat tests/output/layers/molecule-lane-b.rc 2>/dev/null)" = 0 ] || rc=1
  mkdir -p tests/output/molecule
  cp -f "$(bash tests/lane.sh dir)"/tests/output/molecule/*.ansible.log tests/output/molecule/ 2>/dev/null
  bash tests/lane.sh down || { echo "lane b: lane.sh down failed"; rc=1; }
  lane_b_pid=""
  return $rc
}

layer_molecule() {
  local found=0 rc=0 d
  for d in extensions/molecule/*/molecule.yml; do
    [ -e "$d" ] || continue; found=1
  done
  ((found)) || { echo "no Molecule scenarios yet"; return 0; }
  if lanes_possible; then
    # Every group the scenarios need runs in one of the two lanes (a group in neither would be
    # skipped in silence).
    local g all
    all=$(bash tests/molecule.sh --groups) || { echo "$all"; return 1; }
    for g in $all; do
      [[ " $LANE_A_GROUPS $LANE_B_GROUPS " == *" $g "* ]] ||
        { echo "molecule: group $g is in neither LANE_A_GROUPS nor LANE_B_GROUPS (tests/run.sh)"; rc=1; }
    done
    start_lane_b
    # The lab this run started is stopped at the end: scenarios that would put it back skip that.
    CNI_OVS_MOLECULE_GROUPS=$LANE_A_GROUPS CNI_OVS_LAB_DISPOSABLE=$shared_lab bash tests/molecule.sh || rc=1
    finish_lane_b || rc=1
  else
    CNI_OVS_LAB_DISPOSABLE=$shared_lab bash tests/molecule.sh || rc=1
  fi
  return $rc
}

# lab-tests and molecule share one start of the lab (CNI=kube-ovn with the node count Molecule's
# first CNI group wants): started here before lab-tests when no lab runs, and stopped at the
# end (Molecule leaves a lab it found running).
shared_lab=0
has_layer() { local x; for x in "${layers[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }
if has_layer lab-tests && has_layer molecule && [ -f lab/lab.sh ] && ! bash lab/lab.sh status >/dev/null 2>&1; then
  shared_lab=1
fi
# shellcheck disable=SC2317  # called by the EXIT trap
stop_shared_lab() {
  # (the molecule layer, a subshell, ends the lane without this shell knowing: is it still there?)
  if [ -n "$lane_b_pid" ] && { kill -0 "$lane_b_pid" 2>/dev/null || [ -d "$(bash tests/lane.sh dir)" ]; }; then
    echo "===== stopping lane b ====="
    kill -- -"$lane_b_pid" 2>/dev/null; wait "$lane_b_pid" 2>/dev/null
    bash tests/lane.sh down >/dev/null 2>&1
  fi
  ((shared_lab)) || return 0
  echo "===== stopping the lab this run started ====="; bash lab/lab.sh down >/dev/null || true
}
trap stop_shared_lab EXIT

# side_by_side LAYER...: the layers at once, each one's output printed (and its time taken) when
# all have ended.
side_by_side() {
  local l rc=0 pids=()
  echo "===== layers side by side: $* (output printed when all end) ====="
  for l in "$@"; do
    (
      s1=$(date +%s)
      if "layer_$l" >"tests/output/layers/$l.log" 2>&1; then r=pass; else r=FAIL; fi
      echo "$r $(( $(date +%s) - s1 ))" >"tests/output/layers/$l.result"
    ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for l in "$@"; do
    echo "===== layer: $l ====="
    cat "tests/output/layers/$l.log"
    read -r "RESULT[$l]" "TIME[$l]" <"tests/output/layers/$l.result" || RESULT[$l]=FAIL
    [ "${RESULT[$l]}" = pass ] || rc=1
    echo "===== layer: $l ${RESULT[$l]} (${TIME[$l]}s) ====="
  done
  return $rc
}

failed=0
for l in "${layers[@]}"; do
  start=$(date +%s)
  # Lane b starts with lab-tests: it runs beside lab-tests and the rest of Molecule.
  if [ "$l" = lab-tests ] && has_layer molecule && lanes_possible; then start_lane_b; fi
  if [ "$l" = lab-tests ] && ((shared_lab)); then
    echo "===== lab: one start for lab-tests and molecule (bash lab/lab.sh up) ====="
    s0=$(date +%s)
    NODES=$(bash tests/molecule.sh --lab-nodes kube-ovn) CNI=kube-ovn bash lab/lab.sh up || echo "lab-up failed; the layers report it"
    echo "===== lab: up in $(( $(date +%s) - s0 ))s (counted in lab-tests) ====="
  fi
  declare -F "layer_$l" >/dev/null || { echo "unknown layer '$l' (allowed: ${ALL_LAYERS[*]})"; exit 2; }
  mkdir -p tests/output/layers
  # lint and sanity, when both run: side by side (each keeps about one core busy; 2 cores here).
  [ "$l" = sanity ] && [ -n "${RESULT[sanity]:-}" ] && continue
  if [ "$l" = lint ] && has_layer sanity && [ -z "${RESULT[sanity]:-}" ]; then
    side_by_side lint sanity || failed=1
    continue
  fi
  echo "===== layer: $l ====="
  if "layer_$l" 2>&1 | tee "tests/output/layers/$l.log"; then RESULT[$l]=pass; else RESULT[$l]=FAIL; failed=1; fi
  TIME[$l]=$(( $(date +%s) - start ))
  echo "===== layer: $l ${RESULT[$l]} (${TIME[$l]}s) ====="
done
summary=""
for l in "${layers[@]}"; do summary+=" $l=${RESULT[$l]}(${TIME[$l]}s)"; done
# A CI log is often read from its end: repeat flaky passes and what each failed layer printed last.
for l in "${layers[@]}"; do grep -h 'FLAKY' "tests/output/layers/$l.log" 2>/dev/null | sed 's/^/===== /'; done
for l in "${layers[@]}"; do
  [ "${RESULT[$l]}" = FAIL ] || continue
  echo "===== failed layer $l: its failure lines and last lines (full log: tests/output/layers/$l.log) ====="
  grep -iE 'failed|fail:|failed=[1-9]|error|fatal:' "tests/output/layers/$l.log" | grep -v '^ok' | tail -15 | cut -c1-300
  echo "-----"
  tail -12 "tests/output/layers/$l.log" | cut -c1-300
done
if ((failed)); then echo "SUMMARY:$summary => FAIL"; exit 1; fi
echo "SUMMARY:$summary => PASS"
