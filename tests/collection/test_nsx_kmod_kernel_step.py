# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 18: the kernel step of nsx_kmod_switch is said explicitly. A kernel switch without a target
release (the default kernel step is `switch`), contradictory kernel inputs, and options of the wrong
type stop playbooks/nsx_kmod_switch.yml on the first tasks of its preflight, naming the variable and
the allowed values, before any other task runs and before the change plays start. Real
ansible-playbook and the real playbook on local hosts (the fixture of test_batches)."""

from __future__ import annotations

import pytest

from test_batches import fixture_run  # noqa: F401  pylint: disable=unused-import

KERNEL = 'Preflight | Kernel step (nsx_kmod_switch_kernel_step), checked before anything changes'
TYPES = 'Preflight | Option types (booleans are booleans, lists are lists)'
INPUTS = 'Preflight | Check the inputs'
INCLUDE = 'Preflight | Role preflight'  # the playbook's include_role of preflight.yml


def _names(out):
    return [t['task']['name'].split(' : ', 1)[-1] for p in out['plays'] for t in p['tasks']]


def _task(out, name):
    return [t for p in out['plays'] for t in p['tasks'] if t['task']['name'].split(' : ', 1)[-1] == name][0]


def _failed_msgs(task):
    msgs = []
    for host in task['hosts'].values():
        if host.get('failed'):
            msgs.append(host.get('msg', ''))
        msgs += [r['msg'] for r in host.get('results', []) if r.get('failed')]
    return ' | '.join(msgs)


def _refused_at(out, name):
    """The run stopped at task `name` of the preflight play; nothing after it ran, nothing changed."""
    names = _names(out)
    assert name in names, names
    assert names[-1] == name, 'tasks ran after the refusal: %s' % names
    assert names[names.index(INCLUDE) + 1] == KERNEL, 'the kernel step is not the role\'s first task: %s' % names
    assert len(out['plays']) == 1, 'the change plays must not start'
    assert all(s['changed'] == 0 for s in out['stats'].values()), out['stats']
    return _failed_msgs(_task(out, name))


@pytest.mark.parametrize('extra, expected', [
    # the default kernel step is switch: without a target release the run is refused
    ([], ['nsx_kmod_switch_kernel_step=switch needs nsx_kmod_switch_kernel_target_release',
          'nsx_kmod_switch_kernel_step=modules_only']),
    (['-e', 'nsx_kmod_switch_kernel_step=switch'], ['needs nsx_kmod_switch_kernel_target_release']),
    (['-e', 'nsx_kmod_switch_kernel_step=switch', '-e', 'nsx_kmod_switch_kernel_target_release=../../boot'],
     ['nsx_kmod_switch_kernel_target_release="../../boot" is not a kernel release name']),
    (['-e', 'nsx_kmod_switch_kernel_step=modules_only', '-e', 'nsx_kmod_switch_kernel_target_release=6.1.0-13-amd64'],
     ['modules_only changes no kernel', 'nsx_kmod_switch_kernel_target_release="6.1.0-13-amd64"']),
    (['-e', 'nsx_kmod_switch_kernel_step=modules_only', '-e', '{"nsx_kmod_switch_kernel_packages": ["kernel-6.1"]}'],
     ['modules_only installs no kernel', 'nsx_kmod_switch_kernel_packages=["kernel-6.1"]']),
    (['-e', 'nsx_kmod_switch_kernel_step=modules_only', '-e', 'nsx_kmod_switch_kernel_packages=[]'],
     ['nsx_kmod_switch_kernel_packages="[]" is a str, not a list']),
    (['-e', '{"nsx_kmod_switch_kernel_step": "switch", "nsx_kmod_switch_kernel_target_release": 6}'],
     ['nsx_kmod_switch_kernel_target_release=6 is a int, not a kernel release name']),
])
def test_kernel_step_refused_on_the_first_preflight_task(run, extra, expected):
    rc, out = run('nsx_kmod_switch.yml', '-e', 'direction=to_upstream', *extra)
    assert rc != 0
    msg = _refused_at(out, KERNEL)
    for text in expected:
        assert text in msg, msg
    assert 'Nothing was changed' in msg, msg


def test_unknown_kernel_step_is_refused_naming_the_choices(run):
    """An unknown choice is refused before the role's first task, by the argument validation of the
    preflight entry point (it names the variable and the choices), or by the kernel step task."""
    rc, out = run('nsx_kmod_switch.yml', '-e', 'direction=to_upstream', '-e', 'nsx_kmod_switch_kernel_step=kernel')
    assert rc != 0
    assert len(out['plays']) == 1 and all(s['changed'] == 0 for s in out['stats'].values())
    names = _names(out)
    assert TYPES not in names and INPUTS not in names, names
    last = out['plays'][0]['tasks'][-1]
    msg = _failed_msgs(last)
    assert 'nsx_kmod_switch_kernel_step' in msg and 'switch' in msg and 'modules_only' in msg, msg


@pytest.mark.parametrize('extra, name', [
    (['-e', 'nsx_kmod_switch_reboot=maybe'], 'nsx_kmod_switch_reboot'),
    (['-e', '{"nsx_kmod_switch_backup": "flase"}'], 'nsx_kmod_switch_backup'),
    (['-e', 'nsx_kmod_switch_daemonsets=nsx-node-agent'], 'nsx_kmod_switch_daemonsets'),
])
def test_wrong_types_refused_before_the_cluster_is_read(run, extra, name):
    rc, out = run('nsx_kmod_switch.yml', '-e', 'direction=to_upstream', '-e', 'nsx_kmod_switch_kernel_step=modules_only', *extra)
    assert rc != 0
    names = _names(out)
    if TYPES not in names:  # refused by the argument validation of the entry point (type str for a list)
        assert KERNEL not in names and name in _failed_msgs(out['plays'][0]['tasks'][-1]), names
        return
    msg = _refused_at(out, TYPES)
    assert name in msg and 'Nothing was changed' in msg, msg


@pytest.mark.parametrize('extra', [
    ['-e', 'nsx_kmod_switch_kernel_step=modules_only'],
    ['-e', '{"nsx_kmod_switch_kernel_step": "modules_only", "nsx_kmod_switch_reboot": "false"}'],
    ['-e', 'nsx_kmod_switch_kernel_step=switch', '-e', 'nsx_kmod_switch_kernel_target_release=5.14.0-427.el9.x86_64',
     '-e', '{"nsx_kmod_switch_kernel_packages": ["kernel-5.14.0-427.el9"]}'],
])
def test_explicit_kernel_step_passes(run, extra):
    rc, out = run('nsx_kmod_switch.yml', '-e', 'direction=to_upstream', *extra)
    names = _names(out)
    for name in (KERNEL, TYPES):
        task = _task(out, name)
        assert not any(h.get('failed') for h in task['hosts'].values()), task
    # no kubeconfig on the test machine: the run stops at the input check, still before any change
    assert rc != 0 and names[-1] == INPUTS, names
    assert all(s['changed'] == 0 for s in out['stats'].values())


@pytest.mark.parametrize('value', ['grub2', 'true', '{"nsx_kmod_switch_boot_default": 1}'])
def test_unknown_boot_default_is_refused_naming_the_choices(run, value):
    """nsx_kmod_switch_boot_default (grubby | none) is refused before anything reads the cluster, by the
    argument validation of the preflight entry point or by the kernel step task, naming the choices."""
    extra = ['-e', value] if value.startswith('{') else ['-e', 'nsx_kmod_switch_boot_default=' + value]
    rc, out = run('nsx_kmod_switch.yml', '-e', 'direction=to_upstream', '-e', 'nsx_kmod_switch_kernel_step=switch',
                  '-e', 'nsx_kmod_switch_kernel_target_release=5.14.0-427.el9.x86_64', *extra)
    assert rc != 0
    assert len(out['plays']) == 1 and all(s['changed'] == 0 for s in out['stats'].values())
    names = _names(out)
    assert INPUTS not in names, names
    msg = _failed_msgs(out['plays'][0]['tasks'][-1])
    assert 'nsx_kmod_switch_boot_default' in msg and 'grubby' in msg and 'none' in msg, msg
