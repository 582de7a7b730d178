#!/usr/bin/env bash
# Integration target for cni.ovs.flow_restore_wait against real OVS 3.1 daemons
# (ovsdb-server + ovs-vswitchd, userspace datapath) with private state dirs.
set -eux
cd "$(dirname "$0")"
ROOT=$(cd ../../../.. && pwd)
export ANSIBLE_CONFIG=$ROOT/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$ROOT/.collections
# run reports of the rollout_report callback go with the other test output, not into the target
export CNI_OVS_REPORT_DIR=${CNI_OVS_REPORT_DIR:-$ROOT/tests/output/integration/reports}
# The module runs with the venv's python (interpreter discovery may pick a missing pyenv shim).
exec "$ROOT/.venv/bin/ansible-playbook" -i localhost, -c local \
    -e ansible_python_interpreter="$ROOT/.venv/bin/python" \
    -e frw_helper="$ROOT/tests/lib/ovs.sh" \
    playbook.yml "$@"
