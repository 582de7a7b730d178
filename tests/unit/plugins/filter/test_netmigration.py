# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cidr_overlaps and pods_in_error filters (seed 001 preflight and post-migration checks)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.filter import cidr_overlaps as co
from ansible_collections.cni.ovs.plugins.filter import pods_in_error as pe

OVN_RESERVED = ['100.64.0.0/16', '100.88.0.0/16', '169.254.169.0/29', 'fd98::/64', 'fd97::/64', 'fd69::/125']


def test_registered():
    assert co.FilterModule().filters()['cidr_overlaps'] is co.cidr_overlaps
    assert pe.FilterModule().filters()['pods_in_error'] is pe.pods_in_error


def test_lab_networks_clear():
    # the lab's Network.config cluster (lab/manifests/openshift-sdn/10-01-network-cluster.yaml) and node IPs
    nets = [{'cidr': '198.19.128.0/17', 'hostPrefix': 23}, '198.19.0.0/20', '198.18.0.11', '198.18.0.12']
    assert co.cidr_overlaps(nets, OVN_RESERVED) == []


@pytest.mark.parametrize('nets, expected', [
    ([{'cidr': '100.64.0.0/14', 'hostPrefix': 23}], [{'network': '100.64.0.0/14', 'reserved': '100.64.0.0/16'}]),
    (['100.88.12.0/24'], [{'network': '100.88.12.0/24', 'reserved': '100.88.0.0/16'}]),
    (['169.254.169.3'], [{'network': '169.254.169.3/32', 'reserved': '169.254.169.0/29'}]),
    (['169.254.169.8/29'], []),  # adjacent, not overlapping
    (['fd98::/48'], [{'network': 'fd98::/48', 'reserved': 'fd98::/64'}]),
    (['10.128.0.5/14'], []),  # host bits ignored, no overlap
    (['100.0.0.0/8', 'fd00::/8'], [{'network': '100.0.0.0/8', 'reserved': '100.64.0.0/16'},
                                   {'network': '100.0.0.0/8', 'reserved': '100.88.0.0/16'},
                                   {'network': 'fd00::/8', 'reserved': 'fd98::/64'},
                                   {'network': 'fd00::/8', 'reserved': 'fd97::/64'},
                                   {'network': 'fd00::/8', 'reserved': 'fd69::/125'}]),
])
def test_overlaps(nets, expected):
    assert co.cidr_overlaps(nets, OVN_RESERVED) == expected


@pytest.mark.parametrize('nets, reserved, match', [
    (['10.0.0.0/33'], OVN_RESERVED, r"networks\[0\]: '10.0.0.0/33' is not"),
    ([{'hostPrefix': 23}], OVN_RESERVED, r"networks\[0\].cidr: expected a CIDR string or a dict with key cidr, got dict \{'hostPrefix': 23\}"),
    ('10.0.0.0/8', OVN_RESERVED, 'networks: expected a list'),
    (['10.0.0.0/8'], ['bogus'], r"reserved\[0\]: 'bogus' is not"),
])
def test_overlaps_bad_input(nets, reserved, match):
    with pytest.raises(AnsibleFilterError, match=match):
        co.cidr_overlaps(nets, reserved)


def _pod(name, node='lab-node-2', phase='Running', statuses=None, init=None, **meta):
    pod = {'metadata': dict({'name': name, 'namespace': 'lab-apps'}, **meta),
           'spec': {'nodeName': node},
           'status': {'phase': phase, 'containerStatuses': statuses or [
               {'name': 'web', 'ready': True, 'state': {'running': {'startedAt': '2026-12-02T00:00:00Z'}}}]}}
    if init is not None:
        pod['status']['initContainerStatuses'] = init
    return pod


def test_pods_in_error():
    pods = [
        _pod('ok'),
        _pod('done', phase='Succeeded', statuses=[{'name': 'job', 'state': {'terminated': {'exitCode': 0}}}]),
        _pod('crash', statuses=[{'name': 'web', 'state': {'waiting': {'reason': 'CrashLoopBackOff'}}}]),
        _pod('pending-ok', phase='Pending', statuses=[{'name': 'web', 'state': {'waiting': {'reason': 'ContainerCreating'}}}]),
        _pod('failed', phase='Failed', statuses=[]),
        _pod('evicted', phase='Failed', statuses=[], ),
        _pod('init', phase='Pending', init=[{'name': 'setup', 'state': {'terminated': {'exitCode': 2}}}]),
        _pod('other-node', node='lab-node-3', statuses=[{'name': 'web', 'state': {'waiting': {'reason': 'ErrImagePull'}}}]),
        _pod('going', phase='Failed', deletionTimestamp='2026-12-02T00:00:00Z'),
    ]
    pods[5]['status']['reason'] = 'Evicted'
    got = pe.pods_in_error(pods)
    assert [(p['pod'], p['reason']) for p in got] == [
        ('lab-apps/crash', 'web: CrashLoopBackOff'),
        ('lab-apps/failed', 'Failed'),
        ('lab-apps/evicted', 'Evicted'),
        ('lab-apps/init', 'setup: exit code 2'),
        ('lab-apps/other-node', 'web: ErrImagePull'),
    ]
    assert [p['pod'] for p in pe.pods_in_error(pods, node='lab-node-3')] == ['lab-apps/other-node']
    assert pe.pods_in_error([_pod('ok')]) == []


@pytest.mark.parametrize('pods, match', [
    ({'items': []}, 'pods: expected a list of Pod objects'),
    (['web-1'], r"pods\[0\]: expected Pod objects \(dicts\), got str 'web-1'"),
])
def test_pods_bad_input(pods, match):
    with pytest.raises(AnsibleFilterError, match=match):
        pe.pods_in_error(pods)


from ansible_collections.cni.ovs.plugins.filter import mco_progress as mp  # noqa: E402  pylint: disable=wrong-import-position

MCD = 'machineconfiguration.openshift.io/'


def _mcp(name, config, status_config, machines, updated, degraded=0, paused=False):
    return {'metadata': {'name': name}, 'spec': {'configuration': {'name': config}, 'paused': paused},
            'status': {'configuration': {'name': status_config}, 'machineCount': machines,
                       'updatedMachineCount': updated, 'degradedMachineCount': degraded}}


def _node(name, current, desired, state):
    return {'metadata': {'name': name, 'annotations': {MCD + 'currentConfig': current, MCD + 'desiredConfig': desired,
                                                       MCD + 'state': state}}}


def test_mco_progress_waits_for_new_config_and_pools():
    new_m, new_w = 'rendered-master-c36cec5c93', 'rendered-worker-f6b8c7770e'
    pools = [_mcp('master', new_m, new_m, 1, 1), _mcp('worker', new_w, 'rendered-worker-0sdn', 2, 1)]
    nodes = [_node('lab-node-1', new_m, new_m, 'Done'),
             _node('lab-node-2', new_w, new_w, 'Done'),
             # still on the old config, Done: not done (the seed's check alone would pass it)
             _node('lab-node-3', 'rendered-worker-0sdn', 'rendered-worker-0sdn', 'Done')]
    got = mp.mco_progress(pools, nodes, ['master', 'worker'])
    assert not got['done']
    assert got['pending'] == ['lab-node-3', 'pool/worker']
    assert got['summary'] == 'pools updated: master 1/1, worker 1/2; nodes done 2/3 (waiting: lab-node-3 Done)'
    nodes[2] = _node('lab-node-3', 'rendered-worker-0sdn', new_w, 'Working')
    assert mp.mco_progress(pools, nodes, ['master', 'worker'])['nodes']['lab-node-3'] == {
        'current': 'rendered-worker-0sdn', 'desired': new_w, 'state': 'Working', 'done': False}
    nodes[2] = _node('lab-node-3', new_w, new_w, 'Done')
    pools[1] = _mcp('worker', new_w, new_w, 2, 2)
    got = mp.mco_progress(pools, nodes, ['master', 'worker'], node_names=['lab-node-1', 'lab-node-2', 'lab-node-3'])
    assert got['done'] and got['pending'] == []
    # a degraded pool, a node named but absent
    pools[1] = _mcp('worker', new_w, new_w, 2, 2, degraded=1)
    got = mp.mco_progress(pools, nodes, ['worker'], node_names=['lab-node-2', 'lab-node-9'])
    assert got['pending'] == ['lab-node-9', 'pool/worker']
    assert got['nodes']['lab-node-9']['state'] == 'missing'


@pytest.mark.parametrize('pools, names, match', [
    ([_mcp('master', 'a', 'a', 1, 1)], ['master', 'infra'], r'MachineConfigPool\(s\) infra not found \(have: master\)'),
    ([], [], 'pool_names: expected a non-empty list'),
    ({'items': []}, ['master'], 'pools and nodes: expected lists'),
])
def test_mco_progress_bad_input(pools, names, match):
    with pytest.raises(AnsibleFilterError, match=match):
        mp.mco_progress(pools, [], names)


@pytest.mark.parametrize('code, in_error', [(0, False), ('0', False), (' 0 ', False), (2, True), ('2', True), ('-1', True), (None, False)])
def test_pods_exit_code_string_counts_as_its_integer(code, in_error):
    # regression: exitCode "0" (a string, from a templated object) used to count as an error ("exit code 0")
    pod = _pod('job', statuses=[{'name': 'c', 'state': {'terminated': {'exitCode': code}}}])
    got = pe.pods_in_error([pod])
    assert bool(got) is in_error
    if in_error:
        assert got[0]['reason'] == 'c: exit code %d' % int(code)


def test_mco_progress_node_names_string_refused():
    # regression: node_names='lab-node-1' was read letter by letter (nodes 'l', 'a', 'b', ... pending)
    pools = [_mcp('master', 'a', 'a', 1, 1)]
    with pytest.raises(AnsibleFilterError, match=r"mco_progress: node_names: expected a list of names, got str 'lab-node-1'"):
        mp.mco_progress(pools, [_node('lab-node-1', 'a', 'a', 'Done')], ['master'], node_names='lab-node-1')
    assert mp.mco_progress(pools, [_node('lab-node-1', 'a', 'a', 'Done')], ['master'], node_names=['lab-node-1'])['done']


def test_wrong_types_are_filter_errors_not_tracebacks():
    # regression: these raised AttributeError ('str' object has no attribute 'get')
    with pytest.raises(AnsibleFilterError, match=r"pods_in_error: pods\[0\].status: expected a dict \(an object\), got str 'Running'"):
        pe.pods_in_error([{'metadata': {'name': 'x'}, 'status': 'Running'}])
    with pytest.raises(AnsibleFilterError, match=r'mco_progress: pools\[0\]: expected an object \(dict\), got NoneType None'):
        mp.mco_progress([None], [], ['master'])
    with pytest.raises(AnsibleFilterError, match=r'mco_progress: nodes\[0\]: expected an object \(dict\), got NoneType None'):
        mp.mco_progress([_mcp('master', 'a', 'a', 1, 1)], [None], ['master'])
