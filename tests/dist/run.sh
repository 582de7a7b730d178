#!/usr/bin/env bash
# `make dist`: the collection as a user publishing and running it gets it, checked with the
# ecosystem's own tools (docs/awx.md):
#   build the tarball from a clean tree (the tracked and new files, as a clean clone has them,
#   plus the clutter a playbook run and docs/awx.md leave: reports/, build/, .build/, context/),
#   what ships and its size, role READMEs vs argument specs, galaxy-importer (lint on, offline,
#   ansible-test off), antsibull-docs lint-collection-docs --plugin-docs, install into an empty
#   collections path + ansible-doc + --syntax-check of every playbook, ansible-builder create
#   (meta/awx-ee.yml, route B) and introspect, AWX's project sync (route A), and an
#   ansible-runner run of playbooks/ovn_raft_health.yml with its survey's default answers
#   against a real local OVN raft cluster, the collection installed from the tarball the way
#   the image of route B installs it.
# The tools live in .venv-dist (requirements-dist.lock); no Galaxy, no container registry.
# Exit status: non-zero when any step fails.  Each step prints its wall time.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
CACHE=${CNI_OVS_CACHE:-$HOME/.cache/cni-ovs}
VENV=$ROOT/.venv-dist
export SSL_CERT_FILE=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
export LANG=C.UTF-8
# Nothing of the checkout's configuration may leak into the user's view of the tarball.
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS ANSIBLE_CALLBACKS_ENABLED CNI_OVS_REPORT_DIR CNI_OVS_REPORT_NAME
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cniovs-dist.XXXXXX")
KEEP=${DIST_KEEP:-0}
FAILED=()
T0=$(date +%s)

# shellcheck source=/dev/null
. "$ROOT/tests/lib/raftlab.sh"
cleanup() {
  rl_cleanup
  [ -n "${GI_PID:-}" ] && kill "$GI_PID" 2>/dev/null
  if [ "$KEEP" = 1 ]; then echo "== dist: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step() {  # NAME COMMAND...: run, time, record
  local name=$1 s rc; shift
  s=$(date +%s)
  "$@" > "$WORK/step.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    printf '== dist: %-58s ok   %4ss\n' "$name" $(( $(date +%s) - s ))
  else
    printf '== dist: %-58s FAIL %4ss (rc %s)\n' "$name" $(( $(date +%s) - s )) "$rc"
    tail -n 60 "$WORK/step.log" | sed 's/^/   | /'
    FAILED+=("$name")
  fi
  cat "$WORK/step.log" >> "$WORK/all.log"
  return $rc
}

# --- tools -------------------------------------------------------------------------------
venv() {
  local want stamp=$VENV/.lock-sha
  want="$(sha256sum requirements-dist.lock | cut -d' ' -f1) bytecode"  # as scripts/setup.sh writes it
  [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  local uv; uv=$(command -v uv || echo "$HOME/.local/bin/uv")
  [ -x "$VENV/bin/python" ] || "$uv" venv -q --python "${PYTHON:-python3.11}" "$VENV" || return 1
  UV_CACHE_DIR=${UV_CACHE_DIR:-$CACHE/uv} "$uv" pip sync -q --compile-bytecode --python "$VENV/bin/python" --require-hashes requirements-dist.lock || return 1
  echo "$want" > "$stamp"
}
step "tools: .venv-dist from requirements-dist.lock" venv || { echo "dist: no tools"; exit 1; }
export PATH=$VENV/bin:$PATH
PY=$VENV/bin/python
CHECK=("$PY" "$ROOT/tests/dist/check_dist.py")
VERSION=$("$PY" -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
TARBALL=$WORK/cni-ovs-$VERSION.tar.gz
# Work outside the checkout: its ansible.cfg (collections_path = ./.collections, where the
# checkout itself is linked as cni.ovs) must not be what the tools see.
cd "$WORK" || exit 2

# --- 1. clean tree and tarball -----------------------------------------------------------
clean_tree() {
  mkdir -p "$WORK/src"
  git -C "$ROOT" ls-files -z --cached --others --exclude-standard | \
    rsync -a --from0 --ignore-missing-args --files-from=- "$ROOT/" "$WORK/src/" || return 1
  # what a playbook run and docs/awx.md leave in a checkout: must not ship
  mkdir -p "$WORK/src/reports" "$WORK/src/build/context/_build" "$WORK/src/.build" "$WORK/src/context" "$WORK/src/collections/ansible_collections"
  echo '{}' > "$WORK/src/reports/ovn_raft_health-20260101T000000Z.json"
  echo 'FROM x' > "$WORK/src/build/context/Containerfile"
  echo x > "$WORK/src/.build/x"; echo x > "$WORK/src/context/x"
  cp "$WORK/src/README.md" "$WORK/src/build/cni-ovs-0.0.1.tar.gz"
}
step "clean tree (tracked + new files, plus run/build clutter)" clean_tree || exit 1
step "ansible-galaxy collection build" \
  bash -c "cd '$WORK/src' && ansible-galaxy collection build --force --output-path '$WORK' ." || exit 1
step "tarball: only what a user needs, size as documented" "${CHECK[@]}" contents "$TARBALL" "$ROOT/docs/awx.md"
step "role READMEs equal their argument specs" "$PY" "$WORK/src/scripts/role_readmes.py" --check --root "$WORK/src"
step "static: EE files, surveys, docs; become only on node tasks" "$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider \
  "$ROOT/tests/dist/test_dist_static.py" "$ROOT/tests/dist/test_dist_become.py"

# --- 2. galaxy-importer (in the background: the slowest step) ------------------------------
mkdir -p "$WORK/gi/tmp"
cat > "$WORK/gi/galaxy-importer.cfg" <<EOF
[galaxy-importer]
LOG_LEVEL_MAIN = INFO
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_ANSIBLE_DOC = True
RUN_FLAKE8 = False
CHECK_CHANGELOG = True
ANSIBLE_LOCAL_TMP = $WORK/gi/tmp
TMP_ROOT_DIR = $WORK/gi
EOF
GI_START=$(date +%s)
(cd "$WORK/gi" && GALAXY_IMPORTER_CONFIG=$WORK/gi/galaxy-importer.cfg "$PY" -m galaxy_importer.main "$TARBALL" \
   > "$WORK/gi/out.txt" 2>&1; echo $? > "$WORK/gi/rc") &
GI_PID=$!

# --- 3. antsibull-docs ---------------------------------------------------------------------
mkdir -p "$WORK/lint/ansible_collections/cni"
cp -a "$WORK/src" "$WORK/lint/ansible_collections/cni/ovs"
# the dependency collections, offline (as make setup installs them)
DEPS=$WORK/deps
mkdir -p "$DEPS/ansible_collections"
for c in kubernetes/core ansible/posix; do
  mkdir -p "$DEPS/ansible_collections/${c%/*}"
  cp -a "$ROOT/.collections/ansible_collections/$c" "$DEPS/ansible_collections/$c" || FAILED+=("dependency $c missing: run make setup")
done
step "antsibull-docs lint-collection-docs --plugin-docs" \
  env ANSIBLE_COLLECTIONS_PATH="$WORK/lint:$DEPS" bash -c \
  "cd '$WORK/lint/ansible_collections/cni/ovs' && antsibull-docs lint-collection-docs --plugin-docs ."

# --- 4. the tarball in an empty collections path ------------------------------------------
USER_COLL=$WORK/user
install_user() {
  mkdir -p "$USER_COLL/ansible_collections"
  cp -a "$DEPS/ansible_collections/." "$USER_COLL/ansible_collections/"
  ansible-galaxy collection install --offline -p "$USER_COLL" "$TARBALL"
}
step "ansible-galaxy collection install (tarball, offline)" install_user
in_user() { (cd "$WORK" && env ANSIBLE_COLLECTIONS_PATH="$USER_COLL" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false "$@"); }
docs_user() {
  # one ansible-doc call per plugin type, every name of the collection in it
  local t bad=0 list
  for t in module filter callback role; do
    list=$(in_user ansible-doc -t "$t" -l cni.ovs --json | "$PY" -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))') || return 1
    [ -n "$list" ] || { echo "no $t plugins listed"; bad=1; continue; }
    # shellcheck disable=SC2086  # one word per name
    in_user ansible-doc -t "$t" --json $list > "$WORK/doc-$t.json" || { echo "ansible-doc -t $t failed"; bad=1; continue; }
    # shellcheck disable=SC2086
    "$PY" - "$WORK/doc-$t.json" $list <<'PYEOF' || bad=1
import json, sys
docs = json.load(open(sys.argv[1]))
missing = [n for n in sys.argv[2:] if not ((docs.get(n) or {}).get('doc') or (docs.get(n) or {}).get('entry_points'))]
print('%d documented: %s' % (len(sys.argv) - 2 - len(missing), ' '.join(sys.argv[2:])))
sys.exit('no doc for %s' % missing if missing else 0)
PYEOF
  done
  return $bad
}
step "ansible-doc of every module, filter, callback, role" docs_user
syntax_user() {
  local pb names=()
  printf 'all:\n  children:\n    kube_node: {hosts: {n1: {}}}\n    ovn_central: {hosts: {n1: {}}}\n' > "$WORK/syntax-inv.yml"
  for pb in "$USER_COLL"/ansible_collections/cni/ovs/playbooks/*.yml; do
    names+=("cni.ovs.$(basename "$pb" .yml)")
  done
  [ "${#names[@]}" -ge 10 ] || { echo "only ${#names[@]} playbooks installed"; return 1; }
  echo "${names[*]}"
  in_user ansible-playbook -i "$WORK/syntax-inv.yml" --syntax-check "${names[@]}"
}
step "--syntax-check of every playbook (cni.ovs.<name>)" syntax_user

# --- 5. route B: ansible-builder create + the image's install + introspect ---------------
EE=$WORK/ee
ee_create() {
  mkdir -p "$WORK/src/build" && cp "$TARBALL" "$WORK/src/build/" && rm -f "$WORK/src/build/cni-ovs-0.0.1.tar.gz"
  (cd "$WORK/src" && ansible-builder create -f meta/awx-ee.yml -c "$EE/context") || return 1
  "${CHECK[@]}" ee-context "$EE/context" "$TARBALL"
}
step "ansible-builder create -f meta/awx-ee.yml (route B)" ee_create
ee_install() {
  # what the image's galaxy stage runs (WORKDIR /build; RUN ansible-galaxy collection install
  # -r requirements.yml --collections-path /usr/share/ansible/collections), offline: the
  # dependencies are already in the path, as Galaxy would have given them
  mkdir -p "$EE/collections/ansible_collections"
  cp -a "$DEPS/ansible_collections/." "$EE/collections/ansible_collections/"
  grep -q 'ansible-galaxy collection install .*-r requirements.yml' "$EE/context/Containerfile" || { echo "Containerfile install step changed"; return 1; }
  (cd "$EE/context/_build" && ansible-galaxy collection install --offline -r requirements.yml --collections-path "$EE/collections") || return 1
  test -f "$EE/collections/ansible_collections/cni/ovs/MANIFEST.json"
}
step "image's collection install from the context (offline)" ee_install
ee_introspect() {
  ansible-builder introspect --write-pip "$EE/pip.txt" --write-bindep "$EE/bindep.txt" "$EE/collections" || return 1
  "${CHECK[@]}" introspect "$EE/pip.txt" "$EE/bindep.txt"
}
step "ansible-builder introspect over the installed collection" ee_introspect

# --- 6. route A: AWX project sync ------------------------------------------------------------
project_sync() {
  # AWX: cd <project> && ansible-galaxy collection install -r requirements.yml -p <cache>
  local cache=$WORK/awx-project-cache
  mkdir -p "$cache/ansible_collections" && cp -a "$DEPS/ansible_collections/." "$cache/ansible_collections/"
  (cd "$WORK/src" && ansible-galaxy collection install --offline -r requirements.yml -p "$cache") || return 1
  "${CHECK[@]}" same-files "$cache/ansible_collections/cni/ovs" "$USER_COLL/ansible_collections/cni/ovs"
}
step "AWX project sync of requirements.yml (route A)" project_sync

# --- 7. ansible-runner, as AWX runs a job ----------------------------------------------------
runner_job() {
  local pdd=$WORK/runner port_n port_s
  rl_init || return 1
  port_n=$((20000 + RANDOM % 20000)); port_s=$((port_n + 1))
  rl_create n OVN_Northbound /usr/share/ovn/ovn-nb.ovsschema "$port_n" 3 || return 1
  rl_create s OVN_Southbound /usr/share/ovn/ovn-sb.ovsschema "$port_s" 3 || return 1
  "${CHECK[@]}" runner-dir "$pdd" "$WORK/src" "$ROOT/docs/awx/ovn_raft_health.survey.json" "$RL_DIR" "$EE/collections" "$PY" || return 1
  # AWX: the job runs in the project checkout (project/), with the EE's collections
  ansible-runner run "$pdd" -p playbooks/ovn_raft_health.yml --ident awx-job || return 1
  "${CHECK[@]}" runner-result "$pdd" awx-job 3
}
step "ansible-runner: ovn_raft_health.yml with the survey defaults" runner_job
rl_cleanup

# --- galaxy-importer result --------------------------------------------------------------
wait "$GI_PID"; GI_PID=
gi_result() {
  cat "$WORK/gi/out.txt"
  [ "$(cat "$WORK/gi/rc" 2>/dev/null)" = 0 ] || { echo "galaxy-importer exited $(cat "$WORK/gi/rc" 2>/dev/null)"; return 1; }
  "${CHECK[@]}" importer-log "$WORK/gi/out.txt"
}
s=$(date +%s)
step "galaxy-importer (lint on, offline, ansible-test off) [$(( s - GI_START ))s in background]" gi_result

printf '== dist: total %ss\n' $(( $(date +%s) - T0 ))
if ((${#FAILED[@]})); then
  printf '== dist: FAILED: %s\n' "${FAILED[*]}"
  exit 1
fi
echo "== dist: all steps passed"
