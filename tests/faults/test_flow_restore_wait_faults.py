# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""flow_restore_wait state=restarted on real OVS daemons, with a daemon SIGKILLed at every phase
boundary of the core (_ovs_restart.BOUNDARIES): ovs-vswitchd, or (separately) ovsdb-server.

Each case: run the module with the kill at the boundary, check that its message says the node's
real state (daemon, flag), start ovsdb-server again if it was the one killed (as an operator or
systemd would), re-run the module and check it converges to the end state of an uninterrupted
run: the same flows, groups, meters and TLV maps on both bridges as before, the same ofports,
flow-restore-wait not set, the saved files intact and matching their manifest, phase done.
The daemons are shared by all cases (each case ends in the baseline state it started from).
"""

from __future__ import annotations

import hashlib
import json
import os
import re

import pytest

from flow_ovs import PrivateOvs, available  # tests/lib (conftest.py)
from harness import run_module

from ansible_collections.cni.ovs.plugins.module_utils import _ovs_restart
from ansible_collections.cni.ovs.plugins.modules import flow_restore_wait

pytestmark = pytest.mark.skipif(not available(), reason='needs root and Open vSwitch (ovs-ctl, ovsdb-server, ovs-vswitchd)')

# Boundaries where an ovs-vswitchd runs (at 'stopped' and 'flag_set' the old one is gone and the
# new one is not started yet: nothing to kill). ovsdb-server runs at every boundary.
VSWITCHD_BOUNDARIES = ('saved', 'stopping', 'started', 'restored', 'cleared')
CASES = [('ovs-vswitchd', b) for b in VSWITCHD_BOUNDARIES] + [('ovsdb-server', b) for b in _ovs_restart.BOUNDARIES]


@pytest.fixture(scope='module')
def ovs(tmp_path_factory):
    base = str(tmp_path_factory.mktemp('frw-faults'))
    switch = PrivateOvs(os.path.join(base, 'ovs'), 'cniovs-frwfault%d' % os.getpid())
    try:
        switch.start()
        switch.baseline = switch.canon()
        switch.baseline_ofports = switch.ofports()
        assert switch.baseline.count('actions=') >= 360 and 'group_id=3' in switch.baseline and 'meter=1' in switch.baseline
        yield switch
    finally:
        switch.stop()


def test_boundaries_are_the_cores():
    assert set(b for _d, b in CASES) == set(_ovs_restart.BOUNDARIES)
    assert list(_ovs_restart.BOUNDARIES) == ['saved', 'stopping', 'stopped', 'flag_set', 'started', 'restored', 'cleared']


def _state_text(ovs, result):
    """The node_state of a failed run must say what is true now."""
    state = result.get('node_state', '')
    pid = ovs.running_vswitchd()
    if pid:
        assert 'ovs-vswitchd pid %d is running' % pid in state, state
    else:
        assert 'no ovs-vswitchd is running' in state, state
    db_pid = ovs.pid('ovsdb-server')
    if db_pid and ovs.alive(db_pid):
        flag = ovs.flag()
        assert ('flow-restore-wait is set' if flag == '"true"' else 'flow-restore-wait is not set') in state, (flag, state)
    else:
        assert 'flow-restore-wait is unknown (the database' in state, state
    assert result['msg'].endswith(state)


def _saved_intact(save_dir):
    """Every saved file still matches the digest and counts recorded in the manifest."""
    with open(os.path.join(save_dir, 'manifest.json')) as f:
        manifest = json.load(f)
    assert manifest['version'] == 2 and manifest['operation'] == 'restarted'
    for bridge, entry in manifest['bridges'].items():
        for kind in ('flows', 'groups', 'meters', 'tlv'):
            with open(os.path.join(save_dir, '%s.%s' % (bridge, kind)), 'rb') as f:
                assert 'sha256:' + hashlib.sha256(f.read()).hexdigest() == entry['digests'][kind], (bridge, kind)
    assert manifest['bridges']['frwf-a']['counts'] == {'flows': 304, 'groups': 3, 'meters': 1, 'tlv': 1}
    return manifest


@pytest.mark.parametrize('daemon,boundary', CASES, ids=['%s_at_%s' % (d.split('-')[-1], b) for d, b in CASES])
def test_kill_at_boundary_then_rerun_converges(ovs, tmp_path, monkeypatch, daemon, boundary):
    save_dir = str(tmp_path / 'save')
    assert ovs.canon() == ovs.baseline and ovs.flag() == ''
    killed = []

    def hook(name):
        if name == boundary and not killed:
            killed.append(ovs.kill(daemon))

    monkeypatch.setattr(flow_restore_wait, 'BOUNDARY_HOOK', hook)
    first = run_module(flow_restore_wait, dict(ovs.params(save_dir), state='restarted'))
    monkeypatch.setattr(flow_restore_wait, 'BOUNDARY_HOOK', None)
    assert killed and killed[0], 'no %s was running at boundary %s' % (daemon, boundary)

    if first.get('failed'):
        assert 'Traceback' not in first['msg']
        assert 'Node state:' in first['msg']
        _state_text(ovs, first)
        assert first['changed'], 'the run changed files and daemons but says changed=false'
    else:
        # A vswitchd that died before this run stopped it counts as stopped: the run completed.
        assert (daemon, boundary) in (('ovs-vswitchd', 'saved'), ('ovs-vswitchd', 'stopping')), first['msg']
    phase = _read_phase(save_dir)
    if daemon == 'ovsdb-server':
        ovs.restart_db()

    second = run_module(flow_restore_wait, dict(ovs.params(save_dir), state='restarted'))
    assert not second.get('failed'), second['msg']
    assert second['changed']
    # A run that failed after the old vswitchd was stopped is resumed from the saved files, not saved again.
    assert second['resumed'] == bool(first.get('failed') and phase in ('stopping', 'stopped', 'started', 'restoring')), (phase, second)
    assert ovs.canon() == ovs.baseline
    assert ovs.ofports() == ovs.baseline_ofports
    assert ovs.flag() == ''
    assert ovs.running_vswitchd()
    manifest = _saved_intact(save_dir)
    assert manifest['phase'] == 'done'
    assert re.search(r'(restarted|resumed restart of) ovs-vswitchd \(pid \d+ -> %d\)' % ovs.running_vswitchd(), second['msg'])


def _read_phase(save_dir):
    try:
        with open(os.path.join(save_dir, 'manifest.json')) as f:
            return json.load(f)['phase']
    except (OSError, ValueError):
        return None


# stop_exit_first: the flag is set, then exit is sent and the module waits for the daemon to go,
# then stop_command runs. The boundaries where that order matters.
EXIT_FIRST_CASES = [('ovs-vswitchd', 'stopping'), ('ovs-vswitchd', 'flag_set'), ('ovsdb-server', 'flag_set'), ('ovsdb-server', 'stopped')]


@pytest.mark.parametrize('daemon,boundary', EXIT_FIRST_CASES, ids=['%s_at_%s' % (d.split('-')[-1], b) for d, b in EXIT_FIRST_CASES])
def test_exit_first_kill_at_boundary_then_rerun_converges(ovs, tmp_path, monkeypatch, daemon, boundary):
    save_dir = str(tmp_path / 'save')
    marker = tmp_path / 'stop_command_ran'
    extra = dict(state='restarted', stop_exit_first=True, stop_command=['sh', '-c', 'echo ran >> "$0"', str(marker)])
    killed = []

    def hook(name):
        if name == boundary and not killed:
            killed.append(ovs.kill(daemon))

    monkeypatch.setattr(flow_restore_wait, 'BOUNDARY_HOOK', hook)
    first = run_module(flow_restore_wait, ovs.params(save_dir, **extra))
    monkeypatch.setattr(flow_restore_wait, 'BOUNDARY_HOOK', None)
    assert killed and killed[0], 'no %s was running at boundary %s' % (daemon, boundary)
    if first.get('failed'):
        assert 'Traceback' not in first['msg']
        _state_text(ovs, first)
        # a daemon that was never sent exit is never left without its stop command having been skipped silently
        assert first['changed']
    else:
        # the old vswitchd killed before exit was sent counts as stopped
        assert daemon == 'ovs-vswitchd', first['msg']
    if daemon == 'ovsdb-server':
        ovs.restart_db()
    second = run_module(flow_restore_wait, ovs.params(save_dir, **extra))
    assert not second.get('failed'), second['msg']
    assert ovs.canon() == ovs.baseline
    assert ovs.ofports() == ovs.baseline_ofports
    assert ovs.flag() == ''
    assert ovs.running_vswitchd()
    assert _saved_intact(save_dir)['phase'] == 'done'
