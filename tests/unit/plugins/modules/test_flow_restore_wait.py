# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""flow_restore_wait with its one command method patched to answer with outputs recorded from
OVS 3.1 (tests/unit/plugins/module_utils/fixtures/ovs). The real daemons are exercised by the
integration target; these tests pin the decisions and the commands sent."""

from __future__ import annotations

import json
import os
import socket
from unittest import mock

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.cni.ovs.plugins.module_utils import _exec
from ansible_collections.cni.ovs.plugins.modules import flow_restore_wait

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'ovs')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


class Switch:
    """Answers ovs-vsctl / ovs-ofctl argv with recorded outputs; records every call."""

    def __init__(self, flag=False):
        self.flag = flag
        self.calls = []

    def __call__(self, argv, data=None):
        self.calls.append((list(argv), data))
        tool = os.path.basename(argv[0])
        if tool == 'ovs-vsctl':
            if 'Bridge' in argv:
                return 0, '{"data":[["br-fx",["set",["OpenFlow13","OpenFlow15"]]]],"headings":["name","protocols"]}', ''
            if 'Open_vSwitch' in argv and 'list' in argv:
                return 0, fixture('vsctl-open-vswitch-flag-true.json' if self.flag else 'vsctl-open-vswitch-empty.json'), ''
            if 'Interface' in argv:
                return 0, fixture('vsctl-list-interface.json'), ''
            if 'remove' in argv:
                self.flag = False
                return 0, '', ''
        if tool == 'ovs-ofctl':
            command = argv[argv.index('--') + 1]
            answers = {'dump-flows': 'dump-flows.of15.txt', 'dump-groups': 'dump-groups.of15.txt',
                       'dump-meters': 'dump-meters.of15.txt', 'dump-tlv-map': 'dump-tlv-map.of15.txt'}
            if command in answers:
                return 0, fixture(answers[command]), ''
        return 1, '', 'unexpected command %s' % argv

    def commands(self, tool):
        return [argv for argv, _data in self.calls if os.path.basename(argv[0]) == tool]


def run(capsys, switch, check=False, diff=False, **args):
    params = {'db': 'tcp:127.0.0.1:6640', 'rundir': '/nonexistent/run', 'save_dir': '/nonexistent/save'}
    params.update(args)
    params['_ansible_check_mode'] = check
    params['_ansible_diff'] = diff

    def method(_self, argv, data=None, timeout=None):  # pylint: disable=unused-argument
        return switch(argv, data)

    with patch_module_args(params):
        with mock.patch.object(_exec.Runner, 'run', method):
            with mock.patch.object(flow_restore_wait.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/bin/' + name):
                with pytest.raises(SystemExit):
                    flow_restore_wait.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def live_rundir(tmp_path):
    """A run dir whose pidfile names pid 4242 and whose control socket accepts connections."""
    rundir = tmp_path / 'run'
    rundir.mkdir()
    (rundir / 'ovs-vswitchd.pid').write_text('4242\n')
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(rundir / 'ovs-vswitchd.4242.ctl'))
    server.listen(8)
    yield str(rundir)
    server.close()


def test_cleared_four_ways(capsys):
    switch = Switch(flag=True)
    res = run(capsys, switch, check=True, diff=True, state='cleared')
    assert res['changed'] and res['stuck_flag_found'] and switch.flag
    assert res['diff'] == {'before': 'flow-restore-wait=true\n', 'after': ''}
    assert not [c for c in switch.commands('ovs-vsctl') if 'remove' in c]
    res = run(capsys, switch, state='cleared')
    assert res['changed'] and not switch.flag
    remove = [c for c in switch.commands('ovs-vsctl') if 'remove' in c]
    # no vswitchd runs: the change must not wait for one
    assert remove == [['/usr/bin/ovs-vsctl', '--db=tcp:127.0.0.1:6640', '--timeout=60', '--no-wait', '--if-exists', 'remove',
                       'Open_vSwitch', '.', 'other_config', 'flow-restore-wait']]
    res = run(capsys, switch, state='cleared')
    assert not res['changed'] and not res['stuck_flag_found']
    res = run(capsys, switch, check=True, state='cleared')
    assert not res['changed']


def test_saved_check_mode_reports_counts_and_writes_nothing(capsys, live_rundir, tmp_path):
    save_dir = str(tmp_path / 'save')
    switch = Switch()
    res = run(capsys, switch, check=True, diff=True, state='saved', rundir=live_rundir, save_dir=save_dir)
    assert res['changed']
    assert res['bridges']['br-fx']['before'] == {'flows': 40, 'groups': 4, 'meters': 2, 'tlv': 2}
    assert res['bridges']['br-fx']['of_version'] == 'OpenFlow15'
    assert res['diff']['after'] == 'br-fx: flows=40 groups=4 meters=2 tlv=2\n'
    assert not os.path.exists(save_dir)
    dumps = switch.commands('ovs-ofctl')
    assert sorted(c[c.index('--') + 1] for c in dumps) == ['dump-flows', 'dump-groups', 'dump-meters', 'dump-tlv-map']
    for argv in dumps:
        assert argv[1:3] == ['-O', 'OpenFlow15']
        assert argv[argv.index('--') + 2] == 'unix:%s/br-fx.mgmt' % live_rundir


def test_saved_writes_0600_files_then_is_idempotent(capsys, live_rundir, tmp_path):
    save_dir = str(tmp_path / 'save')
    res = run(capsys, Switch(), state='saved', rundir=live_rundir, save_dir=save_dir)
    assert res['changed']
    assert oct(os.stat(save_dir).st_mode & 0o777) == '0o700'
    names = sorted(os.listdir(save_dir))
    assert names == ['br-fx.flows', 'br-fx.groups', 'br-fx.meters', 'br-fx.tlv', 'manifest.json']
    assert set(oct(os.stat(os.path.join(save_dir, n)).st_mode & 0o777) for n in names) == set(['0o600'])
    with open(os.path.join(save_dir, 'manifest.json')) as f:
        manifest = json.load(f)
    assert manifest['operation'] == 'saved' and manifest['bridges']['br-fx']['counts']['flows'] == 40
    res = run(capsys, Switch(), state='saved', rundir=live_rundir, save_dir=save_dir)
    assert not res['changed']


def test_saved_refuses_to_overwrite_an_unfinished_restart(capsys, live_rundir, tmp_path):
    save_dir = tmp_path / 'save'
    save_dir.mkdir()
    counts = {'flows': 0, 'groups': 0, 'meters': 0, 'tlv': 0}
    (save_dir / 'manifest.json').write_text(json.dumps({'operation': 'restarted', 'phase': 'started', 'old_pid': 1,
                                                        'bridges': {'br-fx': {'of_version': 'OpenFlow15', 'counts': counts}}}))
    res = run(capsys, Switch(), state='saved', rundir=live_rundir, save_dir=str(save_dir))
    assert res['failed'] and 'refusing to overwrite' in res['msg']
    assert sorted(os.listdir(str(save_dir))) == ['manifest.json']


def test_restarted_without_vswitchd_and_without_saved_state_changes_nothing(capsys, tmp_path):
    switch = Switch()
    res = run(capsys, switch, state='restarted', restart_command=['/bin/true'], save_dir=str(tmp_path / 'save'))
    assert res['failed'] and 'ovs-vswitchd is not running' in res['msg']
    assert 'not touched' in res['node_state']
    assert switch.commands('ovs-ofctl') == []
    assert not [c for c in switch.commands('ovs-vsctl') if 'set' in c or 'remove' in c]


def test_restarted_needs_a_restart_command(capsys):
    res = run(capsys, Switch(), state='restarted')
    assert res['failed'] and 'needs restart_command' in res['msg']


def test_restarted_check_mode_says_what_it_would_do(capsys, live_rundir, tmp_path):
    switch = Switch()
    res = run(capsys, switch, check=True, state='restarted', restart_command=['/bin/true'], rundir=live_rundir,
              save_dir=str(tmp_path / 'save'))
    assert res['changed'] and res['msg'].startswith('would save 1 bridge(s) (br-fx)')
    assert 'pid 4242' in res['msg']
    assert not os.path.exists(str(tmp_path / 'save'))
    assert not [c for c in switch.calls if c[0][0] == '/bin/true']
    assert not [c for c in switch.commands('ovs-vsctl') if 'set' in c or 'remove' in c]
