# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile inputs for ovn_raft_member, ovn_cluster_info and the raft_status filter.

Every case must be answered by a clear error naming the parameter and the value, without a
traceback, changing nothing. Cases that need no daemons start none; the cases against a live
cluster share one real 3-member OVSDB raft cluster (module-scoped fixture) and compare its member
list and DB files before and after.
"""

from __future__ import annotations

import os
import socket

import pytest

from harness import assert_filter_refused, assert_module_refused, run_module, snapshot_tree
from raft_lab import RaftLab
from ansible_collections.cni.ovs.plugins.filter.raft_status import raft_status
from ansible_collections.cni.ovs.plugins.module_utils import _exec
from ansible_collections.cni.ovs.plugins.modules import ovn_cluster_info, ovn_raft_member

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'unit', 'plugins', 'module_utils', 'fixtures', 'raft')
BIG = 'A' * (10 * 1024 * 1024)


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


FOLLOWER = fixture('real_nb3_follower.txt')
LEADER = fixture('real_nb3_leader.txt')


# ---- raft_status filter: no daemons ------------------------------------------------------------------
@pytest.mark.parametrize('text, value', [
    (None, 'NoneType'),
    (42, 'int'),
    (['Name: OVN_Northbound'], 'list'),
    (b'Name: OVN_Northbound', 'bytes'),
    ({'Name': 'x'}, 'dict'),
    ('', 'empty input'),
    (' \n\t\n', 'empty input'),
    (BIG, 'A' * 40),
    ('unknown cluster', 'unknown cluster'),
    (FOLLOWER.replace('Leader: d133', 'Leader: beef'), 'beef'),               # leader not in the server list
    (FOLLOWER.replace('Leader: d133', 'Leader: $(reboot)'), '$(reboot)'),
    (LEADER.replace('Term: 1', 'Term: nan'), 'nan'),
    (LEADER.replace('Term: 1', 'Term: -5'), '-5'),
    (LEADER.replace('Election timer: 1000', 'Election timer: inf'), 'inf'),
    (LEADER.replace('Log: [2, 5]', 'Log: [9, 5]'), '[9, 5]'),
    (LEADER.replace('last msg 11 ms ago', 'last msg 11 ms ago; rm -rf /', 1), 'rm -rf /'),
    (LEADER.replace('Connections: <-a5a0', 'Connections: <-../etc'), '<-../etc'),
    (LEADER.replace('Server ID: d133 (d1338c18', 'Server ID: d133 (ffff8c18'), 'Server ID'),
    ('Name: OVN_Northbound\n', 'missing'),
], ids=lambda v: repr(v)[:30])
def test_raft_status_refuses(text, value):
    assert_filter_refused(raft_status, [text], param='raft_status', value=value)


# ---- ovn_raft_member / ovn_cluster_info: refused before anything runs (no daemons) ---------------------
@pytest.fixture
def fake_ctl(tmp_path):
    """A real (unserved) Unix socket: enough to get past the path checks; nothing may talk to it."""
    (tmp_path / 'sock').mkdir()
    p = str(tmp_path / 'sock' / 'x.ctl')
    s = socket.socket(socket.AF_UNIX)
    s.bind(p)
    s.close()
    return p


@pytest.fixture
def no_commands(monkeypatch):
    """Fail the test if the module runs any command."""
    def boom(self, argv, data=None, timeout=None):
        raise AssertionError('a command was run: %s' % argv)
    monkeypatch.setattr(_exec.Runner, 'run', boom)


ABSENT = {'db': 'nb', 'state': 'absent', 'server_id': '1b9a'}


@pytest.mark.parametrize('override, param, value', [
    ({'hold': -5.0}, 'hold', -5),
    ({'hold': float('nan')}, 'hold', 'nan'),
    ({'hold': float('inf')}, 'hold', 'inf'),
    ({'hold': 1e9}, 'hold', '1000000000'),
    ({'stale_factor': float('nan')}, 'stale_factor', 'nan'),
    ({'stale_factor': 0.0}, 'stale_factor', '0'),
    ({'stale_factor': -1.0}, 'stale_factor', '-1'),
    ({'timeout': 0.0}, 'timeout', '0'),
    ({'timeout': float('-inf')}, 'timeout', '-inf'),
    ({'settle_timeout': -0.1}, 'settle_timeout', '-0.1'),
    ({'timeout': 'abc'}, 'timeout', 'abc'),
    ({'server_id': '-1234'}, 'server_id', '-1234'),
    ({'server_id': '1b9a;rm -rf /'}, 'server_id', '1b9a;rm -rf /'),
    ({'server_id': ''}, 'server_id', None),
    ({'server_id': BIG}, 'server_id', 'A' * 40),
    ({'server_id': '../../etc/passwd'}, 'server_id', '../../etc/passwd'),
    ({'server_id': None, 'address': 'tcp:127.0.0.1:0'}, 'address', 'tcp:127.0.0.1:0'),
    ({'server_id': None, 'address': 'tcp:127.0.0.1:99999'}, 'address', 'tcp:127.0.0.1:99999'),
    ({'server_id': None, 'address': '$(reboot)'}, 'address', '$(reboot)'),
    ({'server_id': None, 'address': '-tcp:1.2.3.4:1'}, 'address', '-tcp:1.2.3.4:1'),
    ({'server_id': None, 'address': 'tcp:ovn-central:6643'}, 'address', 'tcp:ovn-central:6643'),
    ({'db': '-nb'}, 'db', '-nb'),
    ({'db': '../OVN_Northbound'}, 'db', '../OVN_Northbound'),
    ({'db': 'nb;ls'}, 'db', 'nb;ls'),
    ({'db': BIG}, 'db', 'A' * 40),
    ({'ctl': 'run/ovn/x.ctl'}, 'ctl', 'run/ovn/x.ctl'),
    ({'ctl': '/nonexistent/../x.ctl'}, 'ctl', '/nonexistent/../x.ctl'),
    ({'ctl': '/' + BIG}, 'ctl', '/' + 'A' * 39),
    ({'peer_ctls': ['relative.ctl']}, 'peer_ctls', 'relative.ctl'),
    ({'remotes': ['127.0.0.1']}, 'remote', '127.0.0.1'),
    ({'state': 'present', 'server_id': None, 'address': '127.0.0.5', 'db_file': '/tmp/x.db', 'new_ctl': '/tmp/x.ctl'},
     'address', '127.0.0.5'),
    ({'state': 'present', 'server_id': None, 'address': 'tcp:127.0.0.5:6643', 'db_file': '/tmp/x.db', 'new_ctl': '/tmp/x.ctl',
      'start_command': []}, 'start_command', '[]'),
    ({'state': 'present', 'server_id': None, 'address': 'tcp:127.0.0.5:6643', 'db_file': '/tmp/x.db', 'new_ctl': '/tmp/x.ctl',
      'start_command': ['-rf', '/']}, 'start_command', '-rf'),
    ({'state': 'present', 'server_id': '1b9a', 'address': 'tcp:127.0.0.5:6643', 'db_file': '/tmp/x.db', 'new_ctl': '/tmp/x.ctl'},
     'server_id', None),
], ids=lambda v: repr(v)[:40])
def test_raft_member_refuses_before_any_command(override, param, value, fake_ctl, no_commands):
    args = dict(ABSENT, ctl=fake_ctl)
    args.update(override)
    args = dict((k, v) for k, v in args.items() if v is not None or k == 'server_id' and 'address' not in args)
    if args.get('server_id') is None:
        args.pop('server_id', None)
    assert_module_refused(run_module(ovn_raft_member, args), param, value)


def test_raft_member_refuses_bad_paths(tmp_path, fake_ctl, no_commands):
    """ctl that is a file, a symlink to a file, a dangling symlink, a directory; backup paths missing, a file, unwritable."""
    tmp_path = tmp_path / 'files'
    tmp_path.mkdir()
    regular = tmp_path / 'file.ctl'
    regular.write_text('x')
    link = tmp_path / 'link.ctl'
    link.symlink_to(regular)
    dangling = tmp_path / 'dangling.ctl'
    dangling.symlink_to(tmp_path / 'nowhere')
    db = tmp_path / 'n1.db'
    db.write_text('x')
    before = snapshot_tree(str(tmp_path))
    cases = [
        ({'ctl': str(regular)}, 'ctl', str(regular)),
        ({'ctl': str(link)}, 'ctl', str(link)),
        ({'ctl': str(dangling)}, 'ctl', str(dangling)),
        ({'ctl': str(tmp_path)}, 'ctl', str(tmp_path)),
        ({'peer_ctls': [str(regular)]}, 'peer_ctls', str(regular)),
        ({'backup': True, 'db_file': str(tmp_path / 'missing.db')}, 'db_file', str(tmp_path / 'missing.db')),
        ({'backup': True, 'db_file': str(tmp_path)}, 'db_file', str(tmp_path)),
        ({'backup': True, 'db_file': str(db), 'backup_dir': str(tmp_path / 'nodir')}, 'backup_dir', str(tmp_path / 'nodir')),
        ({'backup': True, 'db_file': str(db), 'backup_dir': str(regular)}, 'backup_dir', str(regular)),
        ({'backup': True, 'db_file': str(db), 'backup_dir': '/proc/1'}, 'backup_dir', '/proc/1'),
        ({'state': 'present', 'server_id': None, 'address': 'tcp:127.0.0.5:6643', 'db_file': str(tmp_path / 'no' / 'x.db'),
          'new_ctl': str(tmp_path / 'n5.ctl'), 'start_command': ['true']}, 'db_file', str(tmp_path / 'no' / 'x.db')),
        ({'state': 'present', 'server_id': None, 'address': 'tcp:127.0.0.5:6643', 'db_file': str(tmp_path),
          'new_ctl': str(tmp_path / 'n5.ctl'), 'start_command': ['true']}, 'db_file', str(tmp_path)),
    ]
    for override, param, value in cases:
        args = dict(ABSENT, ctl=fake_ctl)
        args.update(override)
        if args.get('server_id') is None:
            args.pop('server_id')
        assert_module_refused(run_module(ovn_raft_member, args), param, value)
    assert snapshot_tree(str(tmp_path)) == before


@pytest.mark.parametrize('override, param, value', [
    ({'stale_factor': float('nan')}, 'stale_factor', 'nan'),
    ({'stale_factor': float('inf')}, 'stale_factor', 'inf'),
    ({'stale_factor': 0.0}, 'stale_factor', '0'),
    ({'stale_factor': -3.0}, 'stale_factor', '-3'),
    ({'db': '-x'}, 'db', '-x'),
    ({'expected_addresses': ['not-an-ip']}, 'address', 'not-an-ip'),
    ({'expected_addresses': ['tcp:1.2.3.4:70000']}, 'address', 'tcp:1.2.3.4:70000'),
    ({'remote': '-x'}, 'remote', '-x'),
    ({'remote': 'punix:/tmp/x; ls'}, 'remote', 'punix:/tmp/x; ls'),
    ({'ctl': 'relative.ctl'}, 'ctl', 'relative.ctl'),
    ({'ctl': '/nonexistent/x.ctl'}, 'ctl', '/nonexistent/x.ctl'),
    ({'ctl': '/etc/hostname'}, 'ctl', '/etc/hostname'),
], ids=lambda v: repr(v)[:40])
def test_cluster_info_refuses(override, param, value, fake_ctl, no_commands):
    args = {'db': 'nb', 'ctl': fake_ctl, 'remote': ''}
    args.update(override)
    assert_module_refused(run_module(ovn_cluster_info, args), param, value)


def test_ambiguous_short_id_is_refused(fake_ctl, monkeypatch):
    """Two members share the short id a5a0 (recorded leader text with a second a5a0 at another address)."""
    text = LEADER.replace('    4b25 (4b25 at tcp:127.0.0.3:16643) next_index=5 match_index=4 last msg 11 ms ago',
                          '    a5a0 (a5a0 at tcp:127.0.0.3:16643) next_index=5 match_index=4 last msg 11 ms ago')
    calls = []

    def fake(self, argv, data=None, timeout=None):
        calls.append(argv)
        if 'cluster/status' in argv:
            return 0, text, ''
        raise AssertionError('must not run %s' % argv)
    monkeypatch.setattr(_exec.Runner, 'run', fake)
    for check in (True, False):
        res = run_module(ovn_raft_member, dict(ABSENT, ctl=fake_ctl, server_id='a5a0'), check=check)
        msg = assert_module_refused(res, 'server_id', 'a5a0')
        assert 'ambiguous' in msg
    assert all('cluster/status' in c for c in calls)


# ---- against one live 3-member cluster ----------------------------------------------------------------
@pytest.fixture(scope='module')
def lab():
    lab = RaftLab(3)
    try:
        lab.wait_all_heard()
        yield lab
    finally:
        lab.close()


def _state(lab):
    return lab.members(), snapshot_tree(lab.dir + '/backups') if os.path.isdir(lab.dir + '/backups') else None, lab.snapshot_files()


def _other_full(full):
    """A full UUID with the same 4-digit prefix that is not ``full``."""
    tail = 'f' if full[-1] != 'f' else 'e'
    return full[:-1] + tail


@pytest.mark.parametrize('check', [True, False])
def test_full_id_sharing_a_prefix_removes_nothing(lab, check):
    """Defect 1: a full id that is no member's, but shares a member's prefix, must not remove that member."""
    lead = lab.leader()
    victim = [i for i in range(1, 4) if i != lead][0]
    fake = _other_full(lab.sid(victim))
    before = _state(lab)
    res = run_module(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': lab.ctl(victim), 'peer_ctls': lab.ctls(),
                                       'server_id': fake, 'hold': 0}, check=check)
    assert not res.get('failed') and not res['changed'] and res['action'] == 'none', res
    assert fake in res['msg']
    assert _state(lab) == before


def test_full_id_of_member_without_its_socket_is_refused(lab):
    lead = lab.leader()
    victim = [i for i in range(1, 4) if i != lead][0]
    fake = _other_full(lab.sid(victim))
    before = _state(lab)
    res = run_module(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': lab.ctl(lead), 'server_id': fake, 'hold': 0})
    msg = assert_module_refused(res, 'server_id', fake)
    assert 'cannot be verified' in msg
    assert _state(lab) == before


def test_unknown_short_id_changes_nothing(lab):
    ids = lab.members()
    unknown = next(x for x in ('ffff', 'fffe', 'fffd', 'fffc') if x not in ids)
    before = _state(lab)
    res = run_module(ovn_raft_member, {'db': 'nb', 'state': 'absent', 'ctl': lab.ctl(lab.leader()), 'server_id': unknown})
    assert not res.get('failed') and not res['changed'] and res['action'] == 'none' and unknown in res['msg'], res
    assert _state(lab) == before


@pytest.mark.parametrize('override, param, value', [
    ({'hold': -5.0}, 'hold', -5),
    ({'stale_factor': float('nan')}, 'stale_factor', 'nan'),
    ({'method': 'leave'}, 'leave', None),
    ({'server_id': None, 'address': 'tcp:127.0.0.1:1'}, None, None),
])
def test_live_cluster_refusals_change_nothing(lab, override, param, value):
    lead = lab.leader()
    victim = [i for i in range(1, 4) if i != lead][0]
    args = {'db': 'nb', 'state': 'absent', 'ctl': lab.ctl(lead), 'server_id': lab.sid(victim)[:4], 'hold': 0}
    args.update(override)
    if args.get('server_id') is None:
        args.pop('server_id')
    before = _state(lab)
    res = run_module(ovn_raft_member, args)
    if param is None:
        assert not res.get('failed') and not res['changed'] and res['action'] == 'none', res
    else:
        assert_module_refused(res, param, value)
    assert _state(lab) == before


def test_cluster_info_on_live_cluster_rejects_nan_and_reports_on_good_input(lab):
    res = run_module(ovn_cluster_info, {'db': 'nb', 'ctl': lab.ctl(1), 'peer_ctls': lab.ctls(), 'remote': '', 'stale_factor': float('nan')})
    assert_module_refused(res, 'stale_factor', 'nan')
    res = run_module(ovn_cluster_info, {'db': 'nb', 'ctl': lab.ctl(1), 'peer_ctls': lab.ctls(), 'remote': ''})
    assert not res.get('failed') and res['health']['healthy'] and len(res['health']['connected_members']) == 3, res['health']
