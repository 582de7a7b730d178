#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine without Galaxy access.
#  1. Debian packages the tests and the lab need (skipped when installed)
#  2. .venv with the pinned toolchain (requirements-dev.lock), .venv-dist (requirements-dist.lock)
#  3. dependency collections, offline, from the `ansible` wheel on PyPI
#  4. the get-pip cache file ansible-test would otherwise download
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${CNI_OVS_CACHE:-$HOME/.cache/cni-ovs}
ANSIBLE_WHEEL_VERSION=${ANSIBLE_WHEEL_VERSION:-12.3.0}
export SSL_CERT_FILE=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
mkdir -p "$CACHE"
step() { printf '== setup: %s\n' "$*"; }

# 1. Debian packages ---------------------------------------------------------
DEB_PACKAGES=(openvswitch-switch ovn-central ovn-host iproute2 ethtool procps
              podman runc debootstrap uidmap slirp4netns fuse-overlayfs
              chromium rsync shellcheck openssl curl kmod e2fsprogs tar
              openssh-client)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  step "installing Debian packages: ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  step "Debian packages present"
fi

# 2. Python toolchain ---------------------------------------------------------
if ! command -v uv >/dev/null 2>&1; then
  step "installing uv"
  python3 -m pip install -q --user uv || python3 -m pip install -q uv
  export PATH=$HOME/.local/bin:$PATH
fi
# --compile-bytecode: this machine (and CI) runs with PYTHONDONTWRITEBYTECODE=1, so without .pyc
# files every Python process compiles what it imports, again: importing the kubernetes client
# took 1.07 s of CPU instead of 0.27 s, in every kubernetes.core task. The stamp records it.
stamp=.venv/.lock-sha
want="$(sha256sum requirements-dev.lock | cut -d' ' -f1) bytecode"
if [ ! -x .venv/bin/python ] || [ "$(cat $stamp 2>/dev/null)" != "$want" ]; then
  step "creating .venv from requirements-dev.lock"
  [ -x .venv/bin/python ] || uv venv -q --python "${PYTHON:-python3.11}" .venv
  uv pip sync -q --compile-bytecode --python .venv/bin/python --require-hashes requirements-dev.lock
  echo "$want" > $stamp
else
  step ".venv up to date"
fi

# 2b. Tools of the dist layer (galaxy-importer, antsibull-docs, ansible-runner, ansible-builder)
# in their own venv: their pins must not move the main toolchain (tests/dist/run.sh).
stamp=.venv-dist/.lock-sha
want="$(sha256sum requirements-dist.lock | cut -d' ' -f1) bytecode"
if [ ! -x .venv-dist/bin/python ] || [ "$(cat $stamp 2>/dev/null)" != "$want" ]; then
  step "creating .venv-dist from requirements-dist.lock"
  [ -x .venv-dist/bin/python ] || uv venv -q --python "${PYTHON:-python3.11}" .venv-dist
  uv pip sync -q --compile-bytecode --python .venv-dist/bin/python --require-hashes requirements-dist.lock
  echo "$want" > $stamp
else
  step ".venv-dist up to date"
fi

# 3. Collections, offline -------------------------------------------------------
COLL=$ROOT/.collections/ansible_collections
mkdir -p "$COLL/cni"
# The collection itself, found through ansible.cfg's collections_path.
[ -L "$COLL/cni/ovs" ] || ln -sfn ../../.. "$COLL/cni/ovs"
need=(kubernetes/core ansible/posix containers/podman)
todo=()
for c in "${need[@]}"; do [ -f "$COLL/$c/MANIFEST.json" ] || todo+=("$c"); done
if ((${#todo[@]})); then
  wheel=$(find "$CACHE" -maxdepth 1 -name "ansible-$ANSIBLE_WHEEL_VERSION-*.whl" | head -1)
  if [ -z "$wheel" ]; then
    step "downloading ansible==$ANSIBLE_WHEEL_VERSION wheel (collections only are used)"
    uv run -q --no-project --with pip python -m pip download -q --no-deps \
      --only-binary=:all: -d "$CACHE" "ansible==$ANSIBLE_WHEEL_VERSION"
    wheel=$(find "$CACHE" -maxdepth 1 -name "ansible-$ANSIBLE_WHEEL_VERSION-*.whl" | head -1)
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for c in "${todo[@]}"; do
    step "installing collection ${c/\//.} offline from $(basename "$wheel")"
    .venv/bin/python - "$wheel" "ansible_collections/$c/" "$tmp" <<'PY'
import sys, zipfile
wheel, prefix, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(prefix)]
    if not names:
        sys.exit(f"{prefix} not found in {wheel}")
    z.extractall(dest, names)
PY
    .venv/bin/ansible-galaxy collection install --offline --force \
      -p "$ROOT/.collections" "$tmp/ansible_collections/$c" >/dev/null
  done
else
  step "collections present: ${need[*]//\//.}"
fi

# 4. ansible-test's get-pip (its download host is unreachable) -----------------
GP=$HOME/.ansible/test/cache/get_pip_24_2.py
if [ ! -f "$GP" ]; then
  step "writing ansible-test get-pip cache $GP"
  mkdir -p "$(dirname "$GP")"
  cp scripts/get_pip_offline.py "$GP"
fi
step "done"
