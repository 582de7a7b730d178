#!/usr/bin/env bash
# Runs every Molecule scenario under extensions/molecule/<scenario>/ against the shared lab,
# grouped by the CNI the scenario needs (`lab_cni:` in its molecule.yml, default kube-ovn),
# so the lab is rebuilt only when the CNI changes. A lab that was running before is left
# running if it had the last CNI used; a lab this script started is stopped at the end.
#   bash tests/molecule.sh [scenario ...]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
export PATH=$ROOT/.venv/bin:$PATH ANSIBLE_CONFIG=$ROOT/ansible.cfg
# shellcheck disable=SC1091
[ -f lab/nodes/containers.conf ] && export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/lab/nodes/containers.conf}

# `tests/molecule.sh --lab-nodes CNI`: print the node count the CNI's group wants, and exit
# (tests/run.sh starts the lab it shares between lab-tests and Molecule with it).
# `tests/molecule.sh --groups`: print the groups the scenarios need, in run order, and exit
# (tests/run.sh checks that its two lanes together run every one).
print_nodes_for="" print_groups=0
if [ "${1:-}" = --lab-nodes ]; then print_nodes_for=${2:-kube-ovn}; shift 2; fi
if [ "${1:-}" = --groups ]; then print_groups=1; shift; fi
scenarios=("$@")
if ((${#scenarios[@]} == 0)); then
  for d in extensions/molecule/*/molecule.yml; do
    [ -e "$d" ] || continue
    scenarios+=("$(basename "$(dirname "$d")")")
  done
fi
((${#scenarios[@]})) || { echo "no Molecule scenarios"; exit 0; }

declare -A by_cni nodes_for last_of
for s in "${scenarios[@]}"; do
  f=extensions/molecule/$s/molecule.yml
  [ -f "$f" ] || { echo "no scenario $s ($f missing)"; exit 2; }
  cni=$(sed -n 's/^[[:space:]]*lab_cni:[[:space:]]*\([a-z-]*\).*/\1/p' "$f" | head -1)
  # `lab_kubelet: real` in a scenario: its group's lab runs real kubelets and the CNI's
  # daemons in real pods (LAB_KUBELET=real, docs/lab.md); the group is "<cni>/real".
  kubelet=$(sed -n 's/^[[:space:]]*lab_kubelet:[[:space:]]*\([a-z]*\).*/\1/p' "$f" | head -1)
  cni=${cni:-kube-ovn}; [ "$kubelet" = real ] && cni=$cni/real
  # `lab_last: true`: the scenario runs after the others of its group (its cleanup puts the lab
  # back and is skipped when the lab is rebuilt or removed right after: shared/lab_disposable.yml).
  if grep -Eq '^[[:space:]]*lab_last:[[:space:]]*true' "$f"; then last_of[$cni]+="$s "; else by_cni[$cni]+="$s "; fi
  # `lab_nodes: N` in a scenario: the lab of its CNI group runs max(N) nodes (default 3).
  n=$(sed -n 's/^[[:space:]]*lab_nodes:[[:space:]]*\([0-9]*\).*/\1/p' "$f" | head -1)
  c=$cni
  if [ -n "$n" ] && [ "$n" -gt "${nodes_for[$c]:-3}" ]; then nodes_for[$c]=$n; fi
done

for c in "${!last_of[@]}"; do by_cni[$c]+="${last_of[$c]}"; done
if [ -n "$print_nodes_for" ]; then echo "${nodes_for[$print_nodes_for]:-3}"; exit 0; fi
GROUP_ORDER="kube-ovn kube-ovn/real nsx nsx/real openshift-sdn openshift-sdn/real"
for c in "${!by_cni[@]}"; do  # a scenario of a group run by nobody would be skipped in silence
  [[ " $GROUP_ORDER " == *" $c "* ]] || { echo "molecule: scenario(s) ${by_cni[$c]}need a lab group '$c' that this script does not run (known: $GROUP_ORDER)"; exit 2; }
done
groups=()
for cni in $GROUP_ORDER; do [ -n "${by_cni[$cni]:-}" ] && groups+=("$cni"); done
if ((print_groups)); then echo "${groups[*]}"; exit 0; fi

lab_was_up=0
bash lab/lab.sh status >/dev/null 2>&1 && lab_was_up=1
current=$(sed -n 's/^CNI=//p' lab/.state/config 2>/dev/null || true)
grep -q '^LAB_KUBELET=real$' lab/.state/config 2>/dev/null && current=$current/real
current_nodes=$(sed -n 's/^NODES=//p' lab/.state/config 2>/dev/null || true)
pass=0 fail=0 failed=() times=()
# Each scenario's Ansible log (nested ansible-playbook runs inherit ANSIBLE_LOG_PATH); the
# failed tasks in it are printed again at the end, where CI's tail of the output shows them.
LOGS=$ROOT/tests/output/molecule; mkdir -p "$LOGS"
# CNI_OVS_MOLECULE_GROUPS="nsx openshift-sdn": only these groups (tests/run.sh runs some groups in
# a second lab lane, tests/lane.sh, and the others here).
if [ -n "${CNI_OVS_MOLECULE_GROUPS:-}" ]; then
  only=()
  for cni in "${groups[@]}"; do [[ " $CNI_OVS_MOLECULE_GROUPS " == *" $cni "* ]] && only+=("$cni"); done
  groups=("${only[@]}")
  ((${#groups[@]})) || { echo "molecule: no scenario in the groups '$CNI_OVS_MOLECULE_GROUPS'"; exit 0; }
fi
gi=0
for cni in "${groups[@]}"; do
  gi=$((gi + 1))
  # The lab is rebuilt (another group follows) or removed (this script started it, or the caller
  # says so: CNI_OVS_LAB_DISPOSABLE=1 from tests/run.sh) right after this group.
  disposable=0
  if ((gi < ${#groups[@]})) || ((!lab_was_up)) || [ "${CNI_OVS_LAB_DISPOSABLE:-0}" = 1 ]; then disposable=1; fi
  kubelet=kwok; [[ $cni == */real ]] && kubelet=real
  want_nodes=${nodes_for[$cni]:-3}
  if [ "$current" != "$cni" ] || [ "$current_nodes" != "$want_nodes" ]; then
    echo "== molecule: (re)starting the lab with CNI=$cni NODES=$want_nodes"
    lab_start=$(date +%s)
    [ -n "$current" ] && bash lab/lab.sh down >/dev/null
    if ! CNI=${cni%/real} LAB_KUBELET=$kubelet NODES=$want_nodes bash lab/lab.sh up; then
      echo "== molecule: lab-up CNI=$cni failed"; fail=$((fail+1)); failed+=("lab:$cni"); current=""; continue
    fi
    current=$cni current_nodes=$want_nodes
    times+=("lab:$cni=$(( $(date +%s)-lab_start ))s")
  fi
  for s in ${by_cni[$cni]}; do
    echo "== molecule scenario: $s (CNI=$cni)"
    start=$(date +%s)
    log=$LOGS/$s.ansible.log; rm -f "$log"
    cleanup_pb=cleanup.yml
    # only the group's final scenario: any scenario after it needs the lab put back
    if ((disposable)) && [[ " ${last_of[$cni]:-} " == *" $s "* ]] && [ "$s" = "$(awk '{print $NF}' <<<"${by_cni[$cni]}")" ]; then
      cleanup_pb=$ROOT/extensions/molecule/shared/lab_disposable.yml
      echo "   (last of its group and the lab is rebuilt or removed after it: its lab-restoring cleanup is skipped)"
    fi
    if CNI_OVS_MOLECULE_CLEANUP=$cleanup_pb CNI=${cni%/real} LAB_KUBELET=$kubelet NODES=$want_nodes ANSIBLE_LOG_PATH=$log molecule test -s "$s"; then pass=$((pass+1)); echo "   ok ($(( $(date +%s)-start ))s)"
    else fail=$((fail+1)); failed+=("$s"); echo "   FAILED: $s"; fi
    times+=("$s=$(( $(date +%s)-start ))s")
  done
done
if ((!lab_was_up)) && [ -n "$current" ]; then bash lab/lab.sh down >/dev/null; fi
for s in "${failed[@]}"; do
  [ -f "$LOGS/$s.ansible.log" ] || continue
  echo "== molecule: failed tasks of $s (from $LOGS/$s.ansible.log)"
  python3 tests/failure_digest.py "$LOGS/$s.ansible.log" 50
done
echo "== molecule: where the time went (tests/task_times.py over $LOGS)"
python3 tests/task_times.py --top 12 "$LOGS"/*.ansible.log 2>/dev/null || true
echo "molecule: time per lab start and scenario: ${times[*]}"
echo "molecule: $pass passed, $fail failed ${failed[*]}"
((fail == 0))
