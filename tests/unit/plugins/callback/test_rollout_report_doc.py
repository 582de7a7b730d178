# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The callback's documentation renders with ansible-doc and names its options."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def test_ansible_doc_renders_callback():
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), LANG='C.UTF-8')
    r = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-doc'), '-t', 'callback', 'cni.ovs.rollout_report'],
                       cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert '[WARNING]' not in r.stderr and '[ERROR]' not in r.stderr, r.stderr
    for word in ('cni.ovs.rollout_report', 'report_dir', 'run_name', 'progress', 'CNI_OVS_REPORT_DIR', 'cni_ovs_report_dir', 'notification'):
        assert word in r.stdout, word
