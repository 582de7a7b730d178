# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How ovsdb-server moves raft leadership, on real 3-member OVSDB raft clusters: the behaviour that
kube_ovn_central relies on when the member to remove leads (seed 002).

- host mode: ``cluster/failure-test transfer-leadership`` on the leader hands leadership to another
  member; the role checks that the leader moved before it kicks (raft_remove.yml).
- a failure-test scenario the server does not know is refused with exit status 2 and "unknown test
  scenario", changing nothing: what the role's refusal reads from a build without the hook.
- pod mode kicks through the leader pod, so when the departing pod leads, the leader kicks itself:
  the cluster removes it and the remaining members elect a leader.
"""

from __future__ import annotations

import time

import pytest

from raft_lab import NB, RaftLab


@pytest.fixture
def lab():
    lab = RaftLab(3)
    try:
        yield lab
    finally:
        lab.close()


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_transfer_leadership_moves_the_leader(lab):
    old = lab.wait_leader()
    r = lab.appctl(old, 'cluster/failure-test', 'transfer-leadership')
    assert r.returncode == 0, r.stdout + r.stderr
    new = _wait(lambda: lab.leader(exclude=(old,)))
    assert new is not None and new != old
    assert lab.status(old)['role'] == 'follower'
    assert len(lab.status(new)['servers']) == 3


def test_unknown_failure_test_scenario_is_refused_and_changes_nothing(lab):
    old = lab.wait_leader()
    term = lab.status(old)['term']
    r = lab.appctl(old, 'cluster/failure-test', 'no-such-scenario')
    assert r.returncode == 2
    assert 'unknown test scenario' in r.stdout + r.stderr
    time.sleep(0.5)
    st = lab.status(old)
    assert st['role'] == 'leader' and st['term'] == term


def test_a_leader_that_kicks_itself_leaves_and_the_others_elect(lab):
    old = lab.wait_leader()
    sid = lab.sid(old)
    r = lab.appctl(old, 'cluster/kick', NB, sid)
    assert r.returncode == 0, r.stdout + r.stderr
    new = _wait(lambda: lab.leader(exclude=(old,)))
    assert new is not None and new != old

    def two_servers():
        # one status per poll (reading it twice raced in CI: a list built from one reading,
        # filtered by another, gave a single id)
        ids = [s['id'] for s in (lab.status(new) or {}).get('servers', [])]
        return ids if len(ids) == 2 else None

    servers = _wait(two_servers)
    assert servers is not None and sid[:4] not in servers, (servers, lab.status(new))
    # the removed server no longer answers for the cluster
    assert _wait(lambda: lab.status(old) is None or lab.status(old)['status'] != 'cluster member')
