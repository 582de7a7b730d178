# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Raft under fire: real 3- and 5-member OVSDB raft clusters, a concurrent ovn-nbctl writer, members
SIGKILLed (or SIGSTOPped) shortly before ovn_raft_member runs, and faults injected between the
module's phases (after the kick or leave was accepted, before the verification).

Guarantees checked:
- ``state=absent`` of a live member is refused while another member died moments ago (any election
  timer, any kill age): nothing changed, the leader is kept, no write fails.
- A removal that is safe (enough confirmed-live members stay) completes and loses no write.
- ovn_cluster_info reports the dead member unreachable and the cluster unhealthy at once.
- A fault after the kick/leave was accepted gives ``changed: true`` and a message that says the
  request was accepted; a re-run converges (target absent, ``changed: false``).

The matrix table is printed and written to tests/output/faults/raft_under_fire.txt.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from harness import run_module
from raft_lab import NB, ROOT, RaftLab, Writer, write_table
from ansible_collections.cni.ovs.plugins.module_utils import _raft_runner
from ansible_collections.cni.ovs.plugins.modules import ovn_cluster_info, ovn_raft_member

TABLE = os.path.join(ROOT, 'tests', 'output', 'faults', 'raft_under_fire.txt')
HEADER = ['members', 'timer_ms', 'fault', 'fault_age_s', 'target', 'expect', 'decision', 'writes_ok', 'writes_failed',
          'leader_kept', 'info_healthy', 'secs']
ROWS = []

# (members, election timer ms, fault, seconds between the fault and the call, target, expected decision)
#   fault: kill1 = SIGKILL one live follower, kill2 = SIGKILL two, stop1 = SIGSTOP one (TCP stays up);
#   target: live = another live follower, dead = the killed member.
MATRIX = [
    (3, 1000, 'kill1', 0.5, 'live', 'refused'),
    (3, 8000, 'kill1', 2.0, 'live', 'refused'),      # the reported case: 8 s timer, killed 2 s before
    (3, 4000, 'stop1', 1.0, 'live', 'refused'),      # frozen member: connection up, silent
    (3, 2000, 'kill1', 10.0, 'dead', 'removed'),
    (5, 8000, 'kill1', 2.0, 'live', 'removed'),      # 4 stay, 3 live >= majority 3: safe
    (5, 2000, 'kill2', 0.5, 'live', 'refused'),
    (5, 10000, 'kill1', 5.0, 'dead', 'removed'),
]


def _ids(lab, idx):
    return lab.sid(idx)[:4]


def _count_requests(monkeypatch):
    """A list that gets one entry per cluster/kick or cluster/leave the module sends."""
    sent = []
    for method in ('kick', 'leave'):
        real = getattr(_raft_runner.RaftCommands, method)

        def wrapped(self, *a, _real=real, _m=method, **kw):
            sent.append(_m)
            return _real(self, *a, **kw)
        monkeypatch.setattr(_raft_runner.RaftCommands, method, wrapped)
    return sent


@pytest.fixture(scope='module', autouse=True)
def table():
    yield
    if ROWS:
        write_table(ROWS, HEADER, TABLE)


@pytest.mark.parametrize('n, timer, fault, age, target, expect', MATRIX,
                         ids=['%dm-%dms-%s-%.1fs-%s' % c[:5] for c in MATRIX])
def test_absent_under_fire(n, timer, fault, age, target, expect, monkeypatch):
    t0 = time.monotonic()
    lab = RaftLab(n, timer_ms=timer)
    stopped = []
    try:
        lead = lab.wait_all_heard()
        lead_sid = _ids(lab, lead)
        followers = [i for i in range(1, n + 1) if i != lead]
        victims = followers[:2 if fault == 'kill2' else 1]
        live_target = followers[-1]
        before = lab.members()
        sent = _count_requests(monkeypatch)
        victim_ids = [_ids(lab, v) for v in victims]
        tid = victim_ids[0] if target == 'dead' else _ids(lab, live_target)
        with Writer(lab, exclude=victims) as w:
            time.sleep(1.0)
            for v in victims:
                if fault == 'stop1':
                    lab.kill(v, signal.SIGSTOP)
                    stopped.append(v)
                else:
                    lab.kill(v)
            time.sleep(age)
            info = run_module(ovn_cluster_info, {'db': 'nb', 'ctl': lab.ctl(lead), 'remote': ''})
            res = run_module(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': lab.ctl(lead), 'server_id': tid,
                                               'peer_ctls': lab.ctls(exclude=[lead] + victims), 'hold': 0, 'timeout': 30})
            time.sleep(1.0)
            w.stop()
        for v in stopped:
            lab.kill(v, signal.SIGCONT)
        after = lab.members()
        lead_after = lab.wait_leader(5, exclude=victims)
        if sent:
            decision = 'sent, then failed' if res.get('failed') else 'removed'
        else:
            decision = 'refused' if res.get('failed') else 'none'
        ROWS.append({'members': n, 'timer_ms': timer, 'fault': fault, 'fault_age_s': age, 'target': target, 'expect': expect,
                     'decision': decision, 'writes_ok': w.ok, 'writes_failed': w.failed,
                     'leader_kept': lead_after is not None and _ids(lab, lead_after) == lead_sid,
                     'info_healthy': info['health']['healthy'], 'secs': round(time.monotonic() - t0, 1)})
        # ovn_cluster_info sees the dead/frozen member at once
        assert not info['health']['healthy'], info['health']
        assert set(victim_ids) <= set(info['health']['unreachable_members']), info['health']
        assert decision == expect, res
        if expect == 'refused':
            assert not res['changed'] and 'Nothing was changed' in res['msg'], res
            assert after == before
        else:
            assert res['changed'] and tid not in after and sorted(set(before) - {tid}) == after, (res, after)
        assert lead_after is not None and _ids(lab, lead_after) == lead_sid, 'leader lost'
        assert w.failed == 0, w.errors[:5]
        assert w.ok > 0
    finally:
        for v in stopped:
            try:
                os.kill(lab.pid(v), signal.SIGCONT)
            except (OSError, TypeError):
                pass
        lab.close()


# ---- faults between the module's phases ------------------------------------------------------------
def _after_call(monkeypatch, method, hook):
    """Run hook() right after RaftCommands.<method> returned (the request was accepted)."""
    real = getattr(_raft_runner.RaftCommands, method)

    def wrapped(self, *a, **kw):
        out = real(self, *a, **kw)
        hook()
        return out
    monkeypatch.setattr(_raft_runner.RaftCommands, method, wrapped)


def test_kill_target_after_kick_reports_changed_and_rerun_converges(monkeypatch):
    lab = RaftLab(3)
    try:
        lead = lab.wait_all_heard()
        target = [i for i in range(1, 4) if i != lead][0]
        tid = _ids(lab, target)
        _after_call(monkeypatch, 'kick', lambda: lab.kill(target))
        args = {'db': 'nb', 'state': 'absent', 'ctl': lab.ctl(lead), 'server_id': tid, 'hold': 0.5, 'timeout': 20}
        res = run_module(ovn_raft_member, args)
        assert res['changed'] and not res.get('failed'), res
        assert tid not in lab.members()
        monkeypatch.undo()
        again = run_module(ovn_raft_member, args)
        assert not again.get('failed') and not again['changed'] and again['action'] == 'none', again
    finally:
        lab.close()


def test_kill_leader_after_kick_3_members_reports_changed_true_and_rerun_converges(monkeypatch):
    lab = RaftLab(3)
    try:
        lead = lab.wait_all_heard()
        target = [i for i in range(1, 4) if i != lead][0]
        other = [i for i in range(1, 4) if i not in (lead, target)][0]
        tid = _ids(lab, target)
        _after_call(monkeypatch, 'kick', lambda: lab.kill(lead))
        args = {'db': 'nb', 'state': 'absent', 'ctl': lab.ctl(lead), 'peer_ctls': [lab.ctl(other), lab.ctl(target)],
                'server_id': tid, 'hold': 0.5, 'timeout': 4, 'method': 'kick'}
        res = run_module(ovn_raft_member, args)
        # the kick was accepted: whatever happened next, the answer must say so
        assert res['changed'] and res.get('action', 'kick') == 'kick', res
        if res.get('failed'):
            assert 'was accepted' in res['msg'] and 'Nothing was changed' not in res['msg'], res
        monkeypatch.undo()
        lab.start(lead)
        assert lab.wait_leader(20) is not None
        args.update(ctl=lab.ctl(lead), timeout=30)
        for _attempt in range(3):
            again = run_module(ovn_raft_member, args)
            if not again.get('failed') and not again['changed']:
                break
            time.sleep(1)
        assert not again.get('failed') and not again['changed'] and again['action'] == 'none', again
        assert tid not in lab.members()
    finally:
        lab.close()


def test_kill_leader_after_kick_5_members_reports_changed_true_and_rerun_converges(monkeypatch):
    lab = RaftLab(5)
    try:
        lead = lab.wait_all_heard()
        target = [i for i in range(1, 6) if i != lead][0]
        tid = _ids(lab, target)
        _after_call(monkeypatch, 'kick', lambda: lab.kill(lead))
        peers = lab.ctls(exclude=[lead])
        args = {'db': 'nb', 'state': 'absent', 'ctl': lab.ctl(lead), 'peer_ctls': peers, 'server_id': tid, 'hold': 0.5, 'timeout': 10,
                'method': 'kick'}
        with Writer(lab) as w:
            res = run_module(ovn_raft_member, args)
            time.sleep(0.5)
        assert res['changed'], res
        if res.get('failed'):
            assert 'was accepted' in res['msg'], res
        monkeypatch.undo()
        new_lead = lab.wait_leader(20)
        assert new_lead is not None
        args.update(ctl=lab.ctl(new_lead), peer_ctls=lab.ctls(exclude=[lead, new_lead]), timeout=30)
        for _attempt in range(3):
            again = run_module(ovn_raft_member, args)
            if not again.get('failed') and not again['changed']:
                break
            time.sleep(1)
        assert not again.get('failed') and not again['changed'] and again['action'] == 'none', again
        assert tid not in lab.members()
        assert w.ok > 0
    finally:
        lab.close()


def test_kill_leader_after_leave_reports_changed_true(monkeypatch):
    """The target leaves through its own socket; the leader dies right after the leave was accepted."""
    lab = RaftLab(5)
    try:
        lead = lab.wait_all_heard()
        target = [i for i in range(1, 6) if i != lead][0]
        tid = _ids(lab, target)
        _after_call(monkeypatch, 'leave', lambda: lab.kill(lead))
        args = {'db': 'nb', 'state': 'absent', 'ctl': lab.ctl(target), 'peer_ctls': lab.ctls(exclude=[target]),
                'server_id': tid, 'hold': 0.5, 'timeout': 10}
        res = run_module(ovn_raft_member, args)
        assert res['changed'] and res['action'] == 'leave', res
        monkeypatch.undo()
        new_lead = lab.wait_leader(20)
        args.update(ctl=lab.ctl(new_lead), peer_ctls=lab.ctls(exclude=[lead, new_lead, target]), timeout=30)
        again = run_module(ovn_raft_member, args)
        assert not again.get('failed') and not again['changed'], again
        assert tid not in lab.members()
    finally:
        lab.close()


def test_present_failing_start_command_says_changed_and_rerun_joins(tmp_path):
    """Defect 4: a failing start_command after join-cluster ran is a change; the re-run it asks for works."""
    lab = RaftLab(3)
    try:
        lab.wait_all_heard()
        # a 4th member on 127.0.0.4: a stale DB file is in the way (wipe_stale_db)
        name = 'n4'
        db = os.path.join(lab.dir, name + '.db')
        with open(db, 'w') as f:
            f.write('stale\n')
        good = lab.start_argv(4)
        args = {'db': 'nb', 'state': 'present', 'ctl': lab.ctl(1), 'peer_ctls': lab.ctls(exclude=[1]),
                'address': lab.address(4), 'db_file': db, 'new_ctl': lab.ctl(4), 'wipe_stale_db': True, 'timeout': 30,
                'start_command': ['/bin/false']}
        res = run_module(ovn_raft_member, args)
        assert res['failed'] and res['changed'], res
        assert 'moved the stale DB file' in res['msg'] and 'join-cluster wrote' in res['msg'] and 're-run' in res['msg'], res
        assert any('.stale-' in f for f in os.listdir(lab.dir))
        before = lab.members()
        assert len(before) == 3
        args['start_command'] = good
        again = run_module(ovn_raft_member, args)
        assert not again.get('failed') and again['changed'] and again['action'] == 'start', again
        lab.n = 4
        assert len(lab.members()) == 4
        third = run_module(ovn_raft_member, args)
        assert not third.get('failed') and not third['changed'] and third['action'] == 'none', third
    finally:
        lab.close()


def test_present_joining_server_is_waited_for_without_claiming_a_change():
    """A server that is only joining (its remote is unreachable) is waited for: no change, in check mode or not."""
    lab = RaftLab(3)
    try:
        lab.wait_all_heard()
        db = lab.db(4)
        subprocess.run(['ovsdb-tool', 'join-cluster', db, NB, lab.address(4), 'tcp:127.0.0.9:%d' % lab.port], check=True)
        lab.start(4)
        before = lab.members()
        args = {'db': 'nb', 'state': 'present', 'ctl': lab.ctl(1), 'peer_ctls': lab.ctls(exclude=[1, 4]), 'address': lab.address(4),
                'db_file': db, 'new_ctl': lab.ctl(4), 'start_command': lab.start_argv(4), 'timeout': 1}
        res = run_module(ovn_raft_member, args, check=True)
        assert not res.get('failed') and res['action'] == 'wait' and not res['changed'], res
        res = run_module(ovn_raft_member, args)
        assert res['failed'] and not res['changed'] and 'did not catch up' in res['msg'] and 'Done so far: nothing' in res['msg'], res
        assert lab.members() == before
    finally:
        lab.close()
