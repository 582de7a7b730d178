#!/usr/bin/env bash
# Print "type:fqcn" for every plugin of the collection (used by `make docs` and tests).
cd "$(dirname "$0")/.." || exit 1
for f in plugins/modules/*.py; do
  [ -e "$f" ] || continue; b=$(basename "$f" .py); [[ $b == _* ]] && continue
  echo "module:cni.ovs.$b"
done
for f in plugins/callback/*.py; do
  [ -e "$f" ] || continue; b=$(basename "$f" .py); [[ $b == _* ]] && continue
  echo "callback:cni.ovs.$b"
done
for f in plugins/filter/*.py; do
  [ -e "$f" ] || continue; b=$(basename "$f" .py); [[ $b == _* ]] && continue
  echo "filter:cni.ovs.$b"
done
