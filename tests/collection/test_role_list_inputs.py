# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A list option given as a string (`-e ovs_hot_upgrade_deb_files=[]`, key=value form) stops the
hot upgrade in its preflight, naming the option and how to pass a list, before any command runs on
a node. Real ansible-playbook and the real playbook on local hosts (the fixture of test_batches)."""

from __future__ import annotations

import pytest

from test_batches import fixture_run  # noqa: F401  pylint: disable=unused-import

CHECK = 'Preflight | List options are lists'


def _names(out):
    """Task names of the run, without the 'role : ' prefix of role tasks."""
    return [t['task']['name'].split(' : ', 1)[-1] for p in out['plays'] for t in p['tasks']]


def _task(out, name):
    return [t for p in out['plays'] for t in p['tasks'] if t['task']['name'].split(' : ', 1)[-1] == name][0]


@pytest.mark.parametrize('extra', ['ovs_hot_upgrade_deb_files=[]', 'ovs_hot_upgrade_bridges=br-int',
                                   '{"ovs_hot_upgrade_probe_command": {"a": 1}}'])
def test_string_for_a_list_is_refused_before_any_command(run, extra):
    rc, out = run('ovs_hot_upgrade.yml', '-e', extra)
    assert rc != 0
    names = _names(out)
    assert CHECK in names, names
    assert 'Preflight | ovsdb-server answers' not in names, names
    assert len(out['plays']) == 1, 'the change play must not start'
    task = _task(out, CHECK)
    msgs = ' '.join(r['msg'] for h in task['hosts'].values() for r in h.get('results', []) if r.get('failed'))
    key = extra.split('=')[0] if '=' in extra and not extra.startswith('{') else 'ovs_hot_upgrade_probe_command'
    assert key in msgs and 'not a list' in msgs and 'Nothing was changed' in msgs, msgs


def test_lists_pass(run):
    rc, out = run('ovs_hot_upgrade.yml', '-e', '{"ovs_hot_upgrade_deb_files": [], "ovs_hot_upgrade_bridges": ["br-int"]}')
    task = _task(out, CHECK)
    assert not any(h.get('failed') for h in task['hosts'].values()), task
    # the local hosts have no OVS: the run stops later, at the first command on a node
    assert rc != 0
    assert 'Preflight | ovsdb-server answers' in _names(out), _names(out)
