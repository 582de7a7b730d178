# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/failure_digest.py on a recorded Ansible log (ANSIBLE_LOG_PATH) of an outer playbook
with an ignored failure and a nested ansible-playbook run whose assert fails."""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def test_digest_of_a_nested_failure():
    log = os.path.join(HERE, 'fixtures', 'nested-failure.ansible.log')
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'failure_digest.py'), log],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    heads = [line for line in out if line.startswith('- ')]
    # the outer failure first, then the nested one; the ignored failure is left out
    assert len(heads) == 2, out
    assert 'TASK [nested]' in heads[0] and 'TASK [inner assert]' in heads[1], heads
    assert any(line.strip() == 'msg: inner went wrong' for line in out), out
    assert not any(line.strip().startswith(('delta:', 'start:', 'end:')) for line in out), out


def test_digest_without_failures(tmp_path):
    log = tmp_path / 'ok.log'
    log.write_text('2026-12-02 00:25:56,466 p=1 u=root n=ansible INFO| TASK [fine] ***\n'
                   '2026-12-02 00:25:57,000 p=1 u=root n=ansible INFO| ok: [localhost]\n')
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'failure_digest.py'), str(log)],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == '(no failed task recorded in %s)' % log
