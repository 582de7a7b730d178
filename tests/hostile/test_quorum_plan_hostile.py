# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile inputs for the quorum_plan filter (issue 18): each must be refused with an
AnsibleFilterError naming what is wrong and its value (never a traceback, never a plan with a
wrong count: a member given twice, a down member that is not a member, a join without a member)."""

from __future__ import annotations

import pytest
from harness import assert_filter_refused

from ansible_collections.cni.ovs.plugins.filter.quorum_plan import quorum_plan

THREE = ['198.18.0.11', '198.18.0.12', '198.18.0.13']
ROLL = {'step': 'rollout', 'action': 'restart_each'}

MEMBERS = [
    # (id, members, word in the message)
    ('count-int', 3, 'members must be a list'),
    ('count-negative', -3, 'members must be a list'),
    ('count-huge', 10 ** 30, 'members must be a list'),
    ('bool', True, 'members must be a list'),
    ('none', None, 'members must be a list'),
    ('string', '198.18.0.11,198.18.0.12', 'members must be a list'),
    ('bytes', b'a', 'members must be a list'),
    ('dict', {'a': 1}, 'members must be a list'),
    ('int-entry', [1, 2, 3], 'non-empty strings'),
    ('bool-entry', ['a', True], 'non-empty strings'),
    ('none-entry', ['a', None], 'non-empty strings'),
    ('empty-entry', ['a', ''], 'non-empty strings'),
    ('blank-entry', ['a', '  '], 'non-empty strings'),
    ('nested', [['a']], 'non-empty strings'),
    ('duplicate', ['a', 'b', 'a'], 'twice'),
    ('too-many', ['m%d' % i for i in range(1001)], 'at most 1000'),
]


@pytest.mark.parametrize('members, word', [m[1:] for m in MEMBERS], ids=[m[0] for m in MEMBERS])
def test_members_refused(members, word):
    msg = assert_filter_refused(quorum_plan, [members, [ROLL]], param='members')
    assert word in msg, msg


DOWN = [
    ('not-member', ['198.18.0.99'], 'not in members'),
    ('duplicate', ['198.18.0.11', '198.18.0.11'], 'twice'),
    ('string', '198.18.0.11', 'must be a list'),
    ('count', 1, 'must be a list'),
    ('int-entry', [1], 'non-empty strings'),
]


@pytest.mark.parametrize('down, word', [d[1:] for d in DOWN], ids=[d[0] for d in DOWN])
def test_down_refused(down, word):
    msg = assert_filter_refused(quorum_plan, [THREE, [ROLL]], {'down': down}, param='down')
    assert word in msg, msg


STEPS = [
    ('string', 'restart_each', 'steps must be a list'),
    ('dict', ROLL, 'steps must be a list'),
    ('none', None, 'steps must be a list'),
    ('step-string', ['restart_each'], 'must be a dictionary'),
    ('no-name', [{'action': 'none'}], 'non-empty string "step"'),
    ('name-int', [{'step': 3, 'action': 'none'}], 'non-empty string "step"'),
    ('unknown-action', [{'step': 'x', 'action': 'reboot'}], 'action must be one of'),
    ('action-bool', [{'step': 'x', 'action': True}], 'action must be one of'),
    ('action-case', [{'step': 'x', 'action': 'JOIN', 'member': 'a'}], 'action must be one of'),
    ('join-no-member', [{'step': 'x', 'action': 'join'}], 'needs a non-empty string "member"'),
    ('leave-int-member', [{'step': 'x', 'action': 'leave', 'member': 13}], 'needs a non-empty string "member"'),
    ('restart-with-member', [{'step': 'x', 'action': 'restart_each', 'member': 'a'}], 'takes no member'),
    ('unknown-key', [{'step': 'x', 'action': 'none', 'margin': 5}], 'unknown keys margin'),
    ('too-many', [ROLL] * 1001, 'at most 1000'),
    ('join-member', [{'step': 'x', 'action': 'join', 'member': '198.18.0.11'}], 'is already a member'),
    ('leave-stranger', [{'step': 'x', 'action': 'leave', 'member': '198.18.0.99'}], 'is not a member'),
]


@pytest.mark.parametrize('steps, word', [s[1:] for s in STEPS], ids=[s[0] for s in STEPS])
def test_steps_refused(steps, word):
    msg = assert_filter_refused(quorum_plan, [THREE, steps])
    assert word in msg, msg


@pytest.mark.parametrize('strict', ['yes', 'false', 1, 0, None])
def test_strict_must_be_a_bool(strict):
    assert_filter_refused(quorum_plan, [THREE, [ROLL]], {'strict': strict}, param='strict')


def test_long_value_is_shortened_in_the_message():
    msg = assert_filter_refused(quorum_plan, ['x' * 10 ** 6, [ROLL]], param='members')
    assert len(msg) < 300, len(msg)
