# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""labctl's manifest transform for real kubelets on a host without AppArmor (lab/lib/labctl.py),
on the lab's own NSX manifests."""
from __future__ import annotations

import copy
import glob
import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'lab', 'lib'))
import labctl  # noqa: E402  pylint: disable=wrong-import-position,import-error


def nsx_docs():
    return labctl.load_docs(sorted(glob.glob(os.path.join(ROOT, 'lab', 'manifests', 'nsx', '*.yaml'))))


def test_the_node_agent_profile_is_dropped_and_nothing_else_changes():
    docs = nsx_docs()
    before = copy.deepcopy(docs)
    removed = labctl.drop_apparmor(docs)
    assert removed == ['DaemonSet nsx-node-agent: container.apparmor.security.beta.kubernetes.io/nsx-node-agent']
    agent = next(d for d in docs if d['kind'] == 'DaemonSet' and d['metadata']['name'] == 'nsx-node-agent')
    assert not any(k.startswith(labctl.APPARMOR_ANNOTATION) for k in agent['spec']['template']['metadata'].get('annotations', {}))
    # every other object, and the rest of this one, is as the manifests say
    for old, new in zip(before, docs):
        if new is agent:
            del old['spec']['template']['metadata']['annotations']['container.apparmor.security.beta.kubernetes.io/nsx-node-agent']
        assert old == new
    assert labctl.drop_apparmor(docs) == []  # a second pass finds nothing


def test_apparmor_enabled_reads_the_kernel_parameter(tmp_path):
    f = tmp_path / 'enabled'
    f.write_text('Y\n')
    assert labctl.apparmor_enabled(str(f))
    f.write_text('N\n')
    assert not labctl.apparmor_enabled(str(f))
    assert not labctl.apparmor_enabled(str(tmp_path / 'missing'))  # no AppArmor module at all
