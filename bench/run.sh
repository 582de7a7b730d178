#!/usr/bin/env bash
# Runs the benchmarks under bench/ (each prints ratios measured side by side in one run).
#   bash bench/run.sh [name ...]     names: directories of bench/ with a run.sh
set -uo pipefail
cd "$(dirname "$0")" || exit 1
names=("$@")
if ((${#names[@]} == 0)); then
  for d in */run.sh; do names+=("$(dirname "$d")"); done
fi
rc=0
for n in "${names[@]}"; do
  [ -x "$n/run.sh" ] || [ -f "$n/run.sh" ] || { echo "no benchmark $n"; rc=2; continue; }
  echo "===== bench: $n ====="
  bash "$n/run.sh" || { echo "bench $n failed"; rc=1; }
done
exit $rc
