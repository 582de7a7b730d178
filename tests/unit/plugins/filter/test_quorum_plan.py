# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cni.ovs.quorum_plan filter: the core's rows, errors as AnsibleFilterError."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.filter.quorum_plan import FilterModule, quorum_plan


def test_registered():
    assert FilterModule().filters()['quorum_plan'] is quorum_plan


def test_rows():
    rows = quorum_plan(['a', 'b', 'c'], [{'step': 'roll', 'action': 'restart_each'}], down=None)
    assert rows[0]['margin'] == 0 and rows[0]['quorum'] == 2


def test_error_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match='^quorum_plan: step 1 .*action must be one of'):
        quorum_plan(['a'], [{'step': 'x', 'action': 'reboot'}])
