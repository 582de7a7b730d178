# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ovn_raft_member and ovn_cluster_info with _exec.Runner.run answering recorded real outputs.

The control sockets are real (unbound) Unix sockets in a temp dir; the integration targets run the
same modules against real ovsdb-server clusters.
"""

from __future__ import annotations

import json
import os
import socket

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.cni.ovs.plugins.module_utils import _exec
from ansible_collections.cni.ovs.plugins.modules import ovn_cluster_info, ovn_raft_member

FIX = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'raft')


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


@pytest.fixture
def sockets(tmp_path):
    paths = {}
    for name in ('n1', 'n2', 'n3'):
        p = str(tmp_path / (name + '.ctl'))
        s = socket.socket(socket.AF_UNIX)
        s.bind(p)
        s.close()
        paths[name] = p
    return paths


class Fake:
    """Answers argv with recorded outputs: {(ctl, subcommand): (rc, out, err)}."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        rest = [a for a in argv if not a.startswith('--timeout=')]
        key = (rest[2], rest[3]) if rest[0] == 'ovs-appctl' else (rest[0], rest[1])
        return self.answers.get(key, (0, '', ''))


def run(mod, args, fake, monkeypatch, capsys):
    monkeypatch.setattr(_exec.Runner, 'run', lambda self, argv, data=None, timeout=None: fake(argv))
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            mod.main()
    return json.loads(capsys.readouterr().out)


def test_refuses_kick_while_member_down_without_any_change(sockets, monkeypatch, capsys):
    fake = Fake({(sockets['n1'], 'cluster/status'): (0, fixture('real_nb3_leader_member_down.txt'), '')})
    res = run(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': sockets['n1'], 'server_id': 'a5a0'}, fake, monkeypatch, capsys)
    assert res['failed'] and 'refusing to remove a5a0' in res['msg'] and 'Nothing was changed' in res['msg']
    assert [c[4] for c in fake.calls] == ['cluster/status']


def test_check_mode_plans_kick_of_down_member_and_runs_no_kick(sockets, monkeypatch, capsys):
    fake = Fake({(sockets['n1'], 'cluster/status'): (0, fixture('real_nb3_leader_member_down.txt'), '')})
    res = run(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': sockets['n1'], 'address': '127.0.0.3', '_ansible_check_mode': True},
              fake, monkeypatch, capsys)
    assert res['changed'] and res['action'] == 'kick' and res['server_id'] == '4b25'
    assert all(c[4] == 'cluster/status' for c in fake.calls)


def test_already_absent_is_unchanged(sockets, monkeypatch, capsys):
    fake = Fake({(sockets['n1'], 'cluster/status'): (0, fixture('real_nb3_leader_after_kick.txt'), '')})
    res = run(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': sockets['n1'], 'server_id': '4b25'}, fake, monkeypatch, capsys)
    assert not res['changed'] and res['action'] == 'none'


def test_ambiguous_address_lists_ids(sockets, monkeypatch, capsys):
    fake = Fake({(sockets['n1'], 'cluster/status'): (0, fixture('real_sb5_dup_address.txt'), '')})
    res = run(ovn_raft_member, {'db': 'sb', 'state': 'absent', 'ctl': sockets['n1'], 'address': '127.0.0.3'}, fake, monkeypatch, capsys)
    assert res['failed'] and 'aa4a' in res['msg'] and 'a75e' in res['msg'] and 'server_id' in res['msg']


def test_follower_without_leader_view_refuses(sockets, monkeypatch, capsys):
    fake = Fake({(sockets['n2'], 'cluster/status'): (0, fixture('real_nb3_follower.txt'), '')})
    res = run(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': sockets['n2'], 'server_id': '4b25'}, fake, monkeypatch, capsys)
    assert res['failed'] and 'no leader view' in res['msg']


@pytest.mark.parametrize('args, msg', [
    ({'server_id': 'zz12'}, 'neither a 4-hex-digit'),
    ({'address': '1.2.3.400'}, 'not an IP address'),
    ({'server_id': 'abcd', 'db': 'x y'}, 'not nb, sb'),
])
def test_bad_input_runs_nothing(sockets, monkeypatch, capsys, args, msg):
    fake = Fake({})
    full = {'db': 'nb', 'state': 'absent', 'ctl': sockets['n1']}
    full.update(args)
    res = run(ovn_raft_member, full, fake, monkeypatch, capsys)
    assert res['failed'] and msg in res['msg'] and fake.calls == []


def test_cluster_info_follows_to_leader(sockets, monkeypatch, capsys):
    fake = Fake({(sockets['n2'], 'cluster/status'): (0, fixture('real_nb3_follower.txt'), ''),
                 (sockets['n1'], 'cluster/status'): (0, fixture('real_nb3_leader.txt'), '')})
    res = run(ovn_cluster_info, {'db': 'nb', 'ctl': sockets['n2'], 'peer_ctls': [sockets['n1']], 'remote': ''}, fake, monkeypatch, capsys)
    assert res['health']['judged_on'] == 'leader' and res['health']['can_lose'] == 1
    assert res['status']['server_id'] == 'a5a0' and res['leader_status']['server_id'] == 'd133'


def test_cluster_info_kicked_member(sockets, monkeypatch, capsys):
    fake = Fake({(sockets['n3'], 'cluster/status'): (2, 'unknown cluster\n', 'ovs-appctl: server returned an error\n')})
    res = run(ovn_cluster_info, {'db': 'nb', 'ctl': sockets['n3'], 'remote': ''}, fake, monkeypatch, capsys)
    assert res['failed'] and 'unknown cluster' in res['msg']


class SequenceFake(Fake):
    """Like Fake, but a list of answers is consumed one per call (the last one repeats)."""

    def __call__(self, argv):
        self.calls.append(argv)
        rest = [a for a in argv if not a.startswith('--timeout=')]
        key = (rest[2], rest[3]) if rest[0] == 'ovs-appctl' else (rest[0], rest[1])
        answers = self.answers.get(key, [(0, '', '')])
        return answers.pop(0) if len(answers) > 1 else answers[0]


def test_kick_committed_then_dropped_is_detected(sockets, monkeypatch, capsys):
    # ENVIRONMENT.md: "kicking a live member while another is down loses quorum and the kick is
    # silently dropped after re-election". The leader first shows the removal committed
    # (recorded after a real kick), then the member back in Servers: the module must not report success.
    leader, after_kick = fixture('real_nb3_leader.txt'), fixture('real_nb3_leader_after_kick.txt')
    status = [(0, leader, '')] * 3 + [(0, after_kick, '')] + [(0, leader, '')]
    fake = SequenceFake({(sockets['n1'], 'cluster/status'): status, (sockets['n1'], 'cluster/kick'): [(0, 'started removal\n', '')]})
    res = run(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': sockets['n1'], 'server_id': '4b25', 'hold': 0.01, 'timeout': 2},
              fake, monkeypatch, capsys)
    assert res['failed'], res
    assert 'was committed, but it did not hold' in res['msg'] and res['changed'] and '4b25' in res['msg'], res['msg']
    assert [c[4] for c in fake.calls].count('cluster/kick') == 1


def test_kick_never_committed_times_out_with_views(sockets, monkeypatch, capsys):
    leader = fixture('real_nb3_leader.txt')
    fake = SequenceFake({(sockets['n1'], 'cluster/status'): [(0, leader, '')], (sockets['n1'], 'cluster/kick'): [(0, 'started removal\n', '')]})
    res = run(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': sockets['n1'], 'server_id': '4b25', 'hold': 0, 'timeout': 0.3},
              fake, monkeypatch, capsys)
    assert res['failed'] and 'is not committed after 0.3s: it may have been dropped' in res['msg'] and res['changed'], res['msg']


@pytest.mark.parametrize('check', [False, True])
def test_refuses_when_the_only_leader_seen_is_of_another_cluster(sockets, monkeypatch, capsys, check):
    """ctl is a follower of cluster 3add30ef…; the one leader among peer_ctls leads cluster 32ca07fb…
    (a socket of another cluster given by mistake). Nothing may be kicked on the strength of it."""
    fake = Fake({(sockets['n1'], 'cluster/status'): (0, fixture('real_nb3_follower.txt'), ''),
                 (sockets['n2'], 'cluster/status'): (0, fixture('seed_nb_leader.txt'), '')})
    args = {'db': 'nb', 'state': 'absent', 'ctl': sockets['n1'], 'peer_ctls': [sockets['n2']], 'server_id': 'd133',
            '_ansible_check_mode': check}
    res = run(ovn_raft_member, args, fake, monkeypatch, capsys)
    assert res['failed'] and not res['changed'], res
    assert '3add30ef-3c10-40bf-a0d9-88a67521e9fd' in res['msg'] and '32ca07fb-739b-4257-b510-12fa18e7cce8' in res['msg'], res['msg']
    assert sockets['n2'] in res['msg'] and 'Nothing was changed' in res['msg']
    assert all(c[4] == 'cluster/status' for c in fake.calls)


def test_present_refuses_a_leader_of_another_cluster_too(sockets, monkeypatch, capsys, tmp_path):
    fake = Fake({(sockets['n1'], 'cluster/status'): (0, fixture('real_nb3_follower.txt'), ''),
                 (sockets['n2'], 'cluster/status'): (0, fixture('seed_nb_leader.txt'), '')})
    args = {'db': 'nb', 'state': 'present', 'ctl': sockets['n1'], 'peer_ctls': [sockets['n2']], 'address': 'tcp:127.0.0.4:16643',
            'db_file': str(tmp_path / 'new.db'), 'new_ctl': str(tmp_path / 'new.ctl'), 'start_command': ['/bin/true']}
    res = run(ovn_raft_member, args, fake, monkeypatch, capsys)
    assert res['failed'] and not res['changed'], res
    assert '3add30ef-3c10-40bf-a0d9-88a67521e9fd' in res['msg'] and '32ca07fb-739b-4257-b510-12fa18e7cce8' in res['msg'], res['msg']
    assert all(c[4] == 'cluster/status' for c in fake.calls if c[0] == 'ovs-appctl') and not [c for c in fake.calls if c[0] != 'ovs-appctl']


def test_cluster_info_judges_on_its_own_clusters_leader_only(sockets, monkeypatch, capsys):
    fake = Fake({(sockets['n1'], 'cluster/status'): (0, fixture('real_nb3_follower.txt'), ''),
                 (sockets['n2'], 'cluster/status'): (0, fixture('seed_nb_leader.txt'), '')})
    res = run(ovn_cluster_info, {'db': 'nb', 'ctl': sockets['n1'], 'peer_ctls': [sockets['n2']], 'remote': ''}, fake, monkeypatch, capsys)
    assert not res.get('failed'), res
    assert res['leader_status'] is None and res['health']['judged_on'] == 'follower'


@pytest.mark.parametrize('bad, needle', [
    ({'db': 'no such db!'}, "db 'no such db!'"),
    ({'stale_factor': 'nan'}, 'stale_factor must be a finite number'),
    ({'stale_factor': 0}, 'stale_factor must be > 0.0'),
    ({'db': 'Other_DB', 'ctl': None}, 'db Other_DB is not nb or sb: give ctl'),
    ({'ctl': 'relative.ctl'}, 'ctl must be an absolute path'),
    ({'peer_ctls': ['rel']}, 'peer_ctls must be an absolute path'),
    ({'ctl': '/nonexistent/x.ctl'}, 'ctl: control socket /nonexistent/x.ctl does not exist'),
    ({'ctl': '/etc/hostname'}, 'ctl: /etc/hostname is not a control socket'),
    ({'peer_ctls': ['/etc/hostname']}, 'peer_ctls: /etc/hostname is not a control socket'),
])
def test_shared_options_are_refused_with_the_same_message_by_both_modules(sockets, monkeypatch, capsys, bad, needle):
    fake = Fake({})
    base = {'db': 'nb', 'ctl': sockets['n1']}
    info = run(ovn_cluster_info, dict(base, remote='', **bad), fake, monkeypatch, capsys)
    member = run(ovn_raft_member, dict(base, state='absent', server_id='a5a0', **bad), fake, monkeypatch, capsys)
    assert info['failed'] and member['failed']
    assert needle in info['msg'] and info['msg'] == member['msg'] and info['msg'].endswith('Nothing was changed.'), (info, member)
    assert fake.calls == []
