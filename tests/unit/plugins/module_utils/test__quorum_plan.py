# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Quorum margin of every step of a raft membership plan (issue 18)."""

from __future__ import annotations

import pytest

from ansible_collections.cni.ovs.plugins.module_utils._quorum_plan import QuorumPlanError, lowest, plan, quorum

THREE = ['198.18.0.11', '198.18.0.12', '198.18.0.13']
ROLL = {'step': 'rollout', 'action': 'restart_each'}
NONE = {'step': 'label', 'action': 'none'}


def join(ip):
    return {'step': 'join ' + ip, 'action': 'join', 'member': ip}


def leave(ip):
    return {'step': 'kick ' + ip, 'action': 'leave', 'member': ip}


def margins(rows):
    return [r['margin'] for r in rows]


@pytest.mark.parametrize('n, q', [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4)])
def test_quorum(n, q):
    assert quorum(n) == q


@pytest.mark.parametrize('n, margin', [(1, -1), (2, -1), (3, 0), (4, 0), (5, 1), (6, 1), (7, 2)])
def test_rolling_restart_margin_by_size(n, margin):
    """One member restarting: 3 and 4 members have no failure to spare, 2 lose the majority."""
    rows = plan(['m%d' % i for i in range(n)], [ROLL])
    assert rows[0]['down'] == 1 and rows[0]['margin'] == margin


def test_replace_add_first_role_order():
    """The role's add-first replacement: rollout at 3 (0), join (4: 1), kick (4: 1), rollout at 3 (0)."""
    rows = plan(THREE, [NONE, ROLL, join('198.18.0.14'), leave('198.18.0.13'), NONE, ROLL, NONE])
    assert margins(rows) == [1, 0, 1, 1, 1, 0, 1]
    assert [r['members'] for r in rows] == [3, 3, 4, 4, 3, 3, 3]
    assert [r['members_after'] for r in rows] == [3, 3, 4, 3, 3, 3, 3]
    assert rows[1]['text'] == '2. rollout: members 3, down during step 1, quorum 2, margin 0'
    assert lowest(rows) is rows[1]


def test_remove_first_loses_majority_in_the_rollout():
    rows = plan(THREE, [leave('198.18.0.13'), NONE, ROLL])
    assert margins(rows) == [1, 0, -1]
    assert rows[2]['live'] == 1 and rows[2]['quorum'] == 2
    assert rows[2]['text'].endswith('margin -1 (quorum lost during the step)')


def test_dead_member_counts_as_down_until_it_leaves():
    rows = plan(THREE, [NONE, leave('198.18.0.13'), NONE, ROLL], down=['198.18.0.13'])
    assert [r['down'] for r in rows] == [1, 1, 0, 1]
    assert margins(rows) == [0, 0, 0, -1]


def test_restart_of_an_all_down_cluster_adds_nobody():
    rows = plan(['a', 'b'], [ROLL], down=['a', 'b'])
    assert rows[0]['down'] == 2 and rows[0]['live'] == 0


def test_five_members_keep_a_margin_of_one():
    five = THREE + ['198.18.0.14', '198.18.0.15']
    rows = plan(five, [ROLL, join('198.18.0.16'), leave('198.18.0.15'), ROLL])
    assert min(margins(rows)) == 1


def test_join_then_leave_same_address():
    """A stale id at the new address leaves, then the new server joins at that address."""
    rows = plan(THREE, [leave('198.18.0.13'), join('198.18.0.13')], down=['198.18.0.13'])
    assert margins(rows) == [0, 1]
    assert rows[1]['members_after'] == 3


def test_not_strict_marks_done_steps():
    rows = plan(THREE, [join('198.18.0.11'), leave('198.18.0.99')], strict=False)
    assert [r['done'] for r in rows] == [True, True]
    assert [r['members'] for r in rows] == [3, 3]
    assert '(already done)' in rows[0]['text']


@pytest.mark.parametrize('steps, msg', [
    ([join('198.18.0.11')], 'is already a member'),
    ([leave('198.18.0.99')], 'is not a member'),
])
def test_strict_refuses_done_steps(steps, msg):
    with pytest.raises(QuorumPlanError, match=msg):
        plan(THREE, steps)


def test_empty_plan():
    assert not plan(THREE, [])
    assert lowest([]) is None


def test_inputs_not_changed():
    members, down, steps = list(THREE), ['198.18.0.13'], [leave('198.18.0.13'), ROLL]
    plan(members, steps, down=down)
    assert members == THREE and down == ['198.18.0.13'] and steps == [leave('198.18.0.13'), ROLL]
