# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cni.ovs.quorum_plan: on any valid plan the counts add up (live = members - down, margin =
live - floor(members/2) - 1), a margin is negative exactly when the live members are fewer than
the majority, a rolling restart never has a larger margin than the step at rest before it, and a
join of a live member never lowers the margin below what the cluster had."""

from __future__ import annotations

from _filters import FAST, FUZZ
from ansible.errors import AnsibleError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.cni.ovs.plugins.filter.quorum_plan import quorum_plan

names = st.lists(st.sampled_from(['n%d' % i for i in range(12)]), unique=True, max_size=9)


@st.composite
def plans(draw):
    members = draw(names)
    down = draw(st.lists(st.sampled_from(members), unique=True)) if members else []
    steps = []
    for i in range(draw(st.integers(min_value=0, max_value=8))):
        action = draw(st.sampled_from(['join', 'leave', 'restart_each', 'none']))
        step = {'step': 's%d' % i, 'action': action}
        if action in ('join', 'leave'):
            step['member'] = draw(st.sampled_from(['n%d' % i for i in range(12)]))
        steps.append(step)
    return members, down, steps


@FUZZ
@given(plans())
def test_counts_add_up(p):
    members, down, steps = p
    rows = quorum_plan(members, steps, down=down, strict=False)
    assert len(rows) == len(steps)
    size = len(members)
    for row in rows:
        assert row['members'] >= 0 and 0 <= row['down'] <= row['members']
        assert row['live'] == row['members'] - row['down']
        assert row['quorum'] == row['members'] // 2 + 1
        assert row['margin'] == row['live'] - row['quorum']
        assert (row['margin'] < 0) == (row['live'] < row['quorum'])
        assert row['margin'] >= -row['quorum']
        if row['done'] or row['action'] in ('none', 'restart_each'):
            assert row['members'] == size == row['members_after']
        elif row['action'] == 'join':
            assert row['members'] == size + 1 == row['members_after']
        else:
            assert row['members'] == size == row['members_after'] + 1
        size = row['members_after']


@FAST
@given(plans())
def test_restart_never_beats_the_step_at_rest(p):
    members, down, steps = p
    for i, step in enumerate(steps):
        if step['action'] != 'restart_each':
            continue
        rows = quorum_plan(members, steps[:i] + [{'step': 'rest', 'action': 'none'}, step], down=down, strict=False)
        rest, roll = rows[-2], rows[-1]
        assert roll['margin'] <= rest['margin']
        assert roll['margin'] >= rest['margin'] - 1


@FAST
@given(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=40))
def test_rolling_restart_has_a_margin_only_from_five_members(n, d):
    d = min(d, n)
    rows = quorum_plan(['m%d' % i for i in range(n)], [{'step': 'r', 'action': 'restart_each'}],
                       down=['m%d' % i for i in range(d)])
    assert rows[0]['margin'] == n - min(n, d + 1) - (n // 2 + 1)
    if d == 0:
        assert (rows[0]['margin'] >= 1) == (n >= 5)


@FAST
@given(st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none(), st.booleans()), max_size=4),
       st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.dictionaries(st.text(max_size=4), st.text(max_size=4)))))
def test_anything_else_is_an_ansible_error(members, steps):
    try:
        quorum_plan(members, steps)
    except AnsibleError as exc:
        assert str(exc).startswith('quorum_plan: '), str(exc)
