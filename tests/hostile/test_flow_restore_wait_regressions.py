# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Regression tests for the defects a hostile tester found in flow_restore_wait, on a live
private OVS. Each one failed on the code before the fix (0f6100b)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from flow_live import live_ovs, needs_ovs, snapshot
from harness import run_module

from ansible_collections.cni.ovs.plugins.modules import flow_restore_wait

pytestmark = needs_ovs


@pytest.fixture(scope='module')
def ovs(tmp_path_factory):
    switch = live_ovs(tmp_path_factory, 'regress')
    try:
        yield switch
    finally:
        switch.stop()


@pytest.fixture
def live(ovs):
    """Each test starts and ends with the baseline table on a running vswitchd and no flag."""
    assert ovs.running_vswitchd() and ovs.canon() == ovs.baseline and ovs.flag() == ''
    yield ovs
    if not ovs.running_vswitchd():
        ovs.sh(ovs.restart_command[4:], netns=True)
    if ovs.flag():
        ovs.vsctl('--no-wait', 'remove', 'Open_vSwitch', '.', 'other_config', 'flow-restore-wait')
    if ovs.canon() != ovs.baseline:
        for bridge in ovs.bridges:
            ovs.ofctl(bridge, 'del-flows')
            ovs.ofctl(bridge, 'del-groups')
            ovs.ofctl(bridge, 'del-meters')
            ovs.ofctl(bridge, 'del-tlv-map')
        ovs.load()
    assert ovs.canon() == ovs.baseline


def _save(ovs, path):
    res = run_module(flow_restore_wait, dict(ovs.params(path), state='saved'))
    assert res.get('changed') and not res.get('failed'), res
    return res


def _no_traceback(res):
    assert 'Traceback' not in str(res.get('msg', '')) and 'exception' not in res, res


# ---------------------------------------------------------------- defect 1: saved files trusted

@pytest.mark.parametrize('cut', ['half', 'empty'])
def test_restored_refuses_a_cut_flows_file(live, tmp_path, cut):
    save = str(tmp_path / 'save')
    _save(live, save)
    name = os.path.join(save, 'frwf-a.flows')
    with open(name) as f:
        lines = f.read().splitlines(True)
    with open(name, 'w') as f:
        f.write(''.join(lines[:len(lines) // 2]) if cut == 'half' else '')
    before = snapshot(live, save)
    res = run_module(flow_restore_wait, dict(live.params(save), state='restored'))
    _no_traceback(res)
    assert res.get('failed'), 'restored from a cut file: %s' % res.get('msg')
    assert name in res['msg'] and 'does not match the manifest' in res['msg']
    assert not res['changed']
    assert snapshot(live, save) == before


# ---------------------------------------------------------------- defect 2: restart_command unchecked

@pytest.mark.parametrize('argv', [['/nonexistent/sbin/ovs-ctl', 'start'], ['cni-ovs-no-such-binary', 'start']])
def test_missing_restart_command_is_refused_before_the_stop(live, tmp_path, argv):
    save = str(tmp_path / 'save')
    before = snapshot(live, save)
    res = run_module(flow_restore_wait, dict(live.params(save, restart_command=argv), state='restarted'))
    _no_traceback(res)
    assert res.get('failed')
    assert 'restart_command' in res['msg'] and argv[0] in res['msg']
    assert not res['changed']
    # the old vswitchd still runs (same pid) with its flows; nothing was saved
    assert snapshot(live, save) == before


# ---------------------------------------------------------------- defect 3: save_dir handling

def test_shared_sticky_save_dir_keeps_its_mode(live, tmp_path):
    shared = str(tmp_path / 'shared')
    os.makedirs(shared)
    os.chmod(shared, 0o1777)
    _save(live, shared)
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777
    assert all(stat.S_IMODE(os.stat(os.path.join(shared, n)).st_mode) == 0o600 for n in os.listdir(shared))


def test_planted_symlink_at_a_temp_name_is_not_followed(live, tmp_path):
    save = str(tmp_path / 'save')
    os.makedirs(save, 0o700)
    victim = str(tmp_path / 'victim')
    with open(victim, 'w') as f:
        f.write('precious\n')
    os.chmod(victim, 0o644)
    for name in ('manifest.json', 'frwf-a.flows', 'frwf-a.groups', 'frwf-b.flows'):
        os.symlink(victim, os.path.join(save, '.%s.tmp' % name))
    _save(live, save)
    with open(victim) as f:
        assert f.read() == 'precious\n'
    assert stat.S_IMODE(os.stat(victim).st_mode) == 0o644
    with open(os.path.join(save, 'manifest.json')) as f:
        assert json.load(f)['operation'] == 'saved'


@pytest.mark.parametrize('kind', ['relative', 'world-writable', 'symlink'])
def test_unsafe_save_dir_is_refused(live, tmp_path, kind, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    if kind == 'relative':
        save = 'relsave'
    elif kind == 'world-writable':
        save = str(tmp_path / 'open')
        os.makedirs(save)
        os.chmod(save, 0o777)
    else:
        os.makedirs(str(tmp_path / 'real'), 0o700)
        save = str(tmp_path / 'link')
        os.symlink(str(tmp_path / 'real'), save)
    before = snapshot(live, str(tmp_path))
    res = run_module(flow_restore_wait, dict(live.params(save), state='saved'))
    _no_traceback(res)
    assert res.get('failed') and 'save_dir' in res['msg'] and save in res['msg']
    assert not res['changed']
    assert snapshot(live, str(tmp_path)) == before


# ---------------------------------------------------------------- defect 4: bad manifests

@pytest.mark.parametrize('text', ['[1]', '"text"', '{"bridges": 5, "operation": "saved", "phase": "saved"}',
                                  '{"operation": "restarted", "phase": "started", "bridges": 5, "old_pid": 1}'])
@pytest.mark.parametrize('state', ['restored', 'restarted', 'saved'])
def test_bad_manifest_gives_a_clear_error(live, tmp_path, text, state):
    save = str(tmp_path / 'save')
    os.makedirs(save, 0o700)
    with open(os.path.join(save, 'manifest.json'), 'w') as f:
        f.write(text)
    before = snapshot(live, save)
    res = run_module(flow_restore_wait, dict(live.params(save), state=state))  # a traceback fails here
    assert res.get('failed') and 'manifest.json' in res['msg'], res.get('msg')
    assert not res['changed']
    assert snapshot(live, save) == before


# ---------------------------------------------------------------- defect 5: untrue messages

def test_failure_that_changed_nothing_says_changed_false(live, tmp_path):
    res = run_module(flow_restore_wait, dict(live.params(str(tmp_path / 'save')), state='restarted', bridges=['frwf-nosuch']))
    assert res.get('failed') and 'frwf-nosuch' in res['msg']
    assert res['changed'] is False


def test_node_state_tells_the_flag_as_it_is_when_it_stays_set(live, tmp_path):
    """A resumed restart that fails while flow-restore-wait is set (set before this run) must
    not claim the flag was removed."""
    save = str(tmp_path / 'save')
    _save(live, save)
    with open(os.path.join(save, 'manifest.json')) as f:
        doc = json.load(f)
    gone = dict(doc['bridges']['frwf-b'])
    for kind in ('flows', 'groups', 'meters', 'tlv'):
        with open(os.path.join(save, 'frwf-b.%s' % kind)) as f:
            text = f.read()
        with open(os.path.join(save, 'frwf-gone.%s' % kind), 'w') as f:
            f.write(text)
    doc['bridges']['frwf-gone'] = gone
    doc.update(operation='restarted', phase='started', old_pid=1, new_pid=live.running_vswitchd())
    with open(os.path.join(save, 'manifest.json'), 'w') as f:
        json.dump(doc, f)
    live.vsctl('--no-wait', 'set', 'Open_vSwitch', '.', 'other_config:flow-restore-wait=true')
    res = run_module(flow_restore_wait, dict(live.params(save), state='restarted'))
    _no_traceback(res)
    assert res.get('failed') and 'frwf-gone' in res['msg']
    assert live.flag() == '"true"'
    assert 'flow-restore-wait removed' not in res['msg']
    assert 'flow-restore-wait is set' in res['node_state']


def test_node_state_does_not_invoke_keep_flag_when_it_was_false(live, tmp_path):
    """start=external; the stop also takes ovsdb-server down, no new vswitchd comes: clearing the
    flag fails. The message must not say it was left set because of keep_flag_on_failure."""
    save = str(tmp_path / 'save')
    db_pid = live.pid('ovsdb-server')
    vs_pid = live.running_vswitchd()
    stop = ['sh', '-c', 'kill -9 %d; ovs-appctl -t %s/ovs-vswitchd.%d.ctl exit' % (db_pid, live.run, vs_pid)]
    try:
        params = dict(live.params(save, stop_command=stop, start_timeout=2), state='restarted', start='external',
                      keep_flag_on_failure=False)
        res = run_module(flow_restore_wait, params)
        _no_traceback(res)
        assert res.get('failed')
        assert 'keep_flag_on_failure' not in res['node_state'], res['node_state']
        assert 'flow-restore-wait is unknown' in res['node_state']
        assert 'no ovs-vswitchd is running' in res['node_state']
    finally:
        live.kill('ovsdb-server')
        live.restart_db()
    # resume brings the node back to the saved state
    res = run_module(flow_restore_wait, dict(live.params(save), state='restarted'))
    assert not res.get('failed'), res['msg']
    assert live.canon() == live.baseline and live.flag() == ''
