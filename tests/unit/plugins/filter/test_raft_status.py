# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.filter.raft_status import FilterModule, raft_status

FIX = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'raft')


def test_registered():
    assert FilterModule().filters()['raft_status'] is raft_status


def test_parses_seed_output():
    with open(os.path.join(FIX, 'seed_sb_leader.txt')) as f:
        st = raft_status(f.read())
    assert st['name'] == 'OVN_Southbound'
    assert {s['address']: s['id'] for s in st['servers']}['tcp:[172.18.0.5]:6644'] == 'e9f7'


@pytest.mark.parametrize('value, match', [
    (None, 'got NoneType'),
    (['Name: x'], 'got list'),
    ('not status', 'raft_status: line 1'),
    ('unknown cluster', 'kicked, left'),
])
def test_bad_input(value, match):
    with pytest.raises(AnsibleFilterError, match=match):
        raft_status(value)
