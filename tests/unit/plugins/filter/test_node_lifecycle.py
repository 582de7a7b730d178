# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nodes_not_ready, untolerated_pods and tolerations_without: the list logic of the node
lifecycle, one tested rule instead of Jinja loops in each role."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.filter import nodes_not_ready as nnr
from ansible_collections.cni.ovs.plugins.filter import tolerations_without as tw
from ansible_collections.cni.ovs.plugins.filter import untolerated_pods as up


def node(name, ready=None):
    conds = [{'type': 'MemoryPressure', 'status': 'False'}]
    if ready is not None:
        conds.append({'type': 'Ready', 'status': ready})
    return {'metadata': {'name': name}, 'status': {'conditions': conds}}


def pod(name, tolerations=None, phase='Running', ns='apps', mirror=False, deleting=False):
    meta = {'name': name, 'namespace': ns}
    if mirror:
        meta['annotations'] = {'kubernetes.io/config.mirror': 'abc'}
    if deleting:
        meta['deletionTimestamp'] = '2026-12-04T00:00:00Z'
    return {'metadata': meta, 'spec': {'nodeName': 'n1', 'tolerations': tolerations}, 'status': {'phase': phase}}


def test_registered():
    assert nnr.FilterModule().filters()['nodes_not_ready'] is nnr.nodes_not_ready
    assert up.FilterModule().filters()['untolerated_pods'] is up.untolerated_pods
    assert tw.FilterModule().filters()['tolerations_without'] is tw.tolerations_without


def test_nodes_not_ready():
    nodes = [node('c', 'True'), node('b', 'False'), node('a', 'Unknown'), node('d'), node('e', 'True'),
             {'metadata': {'name': 'f'}}]
    assert nnr.nodes_not_ready(nodes) == ['a', 'b', 'd', 'f']
    assert nnr.nodes_not_ready([]) == []


@pytest.mark.parametrize('value, match', [
    ('node-1', r'nodes: expected a list of Node objects, got str'),
    ([['x']], r'nodes\[0\]: expected Node objects'),
    ([{'metadata': {}}], r'nodes\[0\]\.metadata\.name: a Node needs a name'),
    ([{'metadata': {'name': 'a'}, 'status': 'Ready'}], r"nodes\[0\]\.status: expected dict, got str 'Ready'"),
    ([{'metadata': {'name': 'a'}, 'status': {'conditions': {'type': 'Ready'}}}], r'nodes\[0\]\.status\.conditions: expected list'),
])
def test_nodes_not_ready_bad_input(value, match):
    with pytest.raises(AnsibleFilterError, match=match):
        nnr.nodes_not_ready(value)


# Kubernetes Toleration.ToleratesTaint, for the taint evict-user-pods:NoExecute (value "").
@pytest.mark.parametrize('tol, tolerated', [
    ({'operator': 'Exists'}, True),                                       # tolerates every taint
    ({'operator': 'Exists', 'effect': 'NoExecute'}, True),                # every NoExecute taint
    ({'operator': 'Exists', 'effect': 'NoSchedule'}, False),              # other effect
    ({'key': 'evict-user-pods', 'operator': 'Exists'}, True),
    ({'key': 'evict-user-pods', 'effect': 'NoExecute'}, True),            # Equal (default) with value ""
    ({'key': 'evict-user-pods', 'operator': 'Equal', 'value': ''}, True),
    ({'key': 'evict-user-pods', 'operator': 'Equal', 'value': 'x'}, False),
    ({'key': 'other', 'operator': 'Exists'}, False),
    ({'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists', 'effect': 'NoExecute', 'tolerationSeconds': 300}, False),
    ({'operator': 'Equal'}, False),                                       # empty key with Equal matches nothing keyed
])
def test_tolerates_like_kubernetes(tol, tolerated):
    out = up.untolerated_pods([pod('p', [tol])], 'evict-user-pods')
    assert out == ([] if tolerated else ['apps/p'])


def test_untolerated_pods_skips_finished_and_mirror_keeps_deleting():
    pods = [pod('done', phase='Succeeded'), pod('failed', phase='Failed'), pod('static', mirror=True),
            pod('leaving', deleting=True), pod('web'), pod('ds', [{'operator': 'Exists'}]), pod('nothing', [])]
    assert up.untolerated_pods(pods, 'evict-user-pods') == ['apps/leaving', 'apps/web', 'apps/nothing']


def test_untolerated_pods_other_effect_and_value():
    pods = [pod('a', [{'key': 'k', 'value': 'v', 'effect': 'NoSchedule'}]), pod('b', [{'key': 'k', 'value': 'v'}])]
    assert up.untolerated_pods(pods, 'k', effect='NoSchedule', value='v') == []
    assert up.untolerated_pods(pods, 'k', effect='NoExecute', value='v') == ['apps/a']
    assert up.untolerated_pods(pods, 'k', effect='NoExecute') == ['apps/a', 'apps/b']


@pytest.mark.parametrize('kwargs, match', [
    ({}, r'key: the taint key is required'),
    ({'key': ''}, r'key: a taint needs a non-empty key'),
    ({'key': 7}, r'key: expected str, got int 7'),
    ({'key': 'k', 'effect': 'NoExec'}, r"effect: expected one of NoSchedule, PreferNoSchedule, NoExecute, got 'NoExec'"),
    ({'key': 'k', 'value': True}, r'value: expected str, got True'),
])
def test_untolerated_pods_bad_args(kwargs, match):
    with pytest.raises(AnsibleFilterError, match=match):
        up.untolerated_pods([pod('p')], **kwargs)


@pytest.mark.parametrize('pods, match', [
    ({'items': []}, r'pods: expected a list of Pod objects, got dict'),
    ([pod('p', {'operator': 'Exists'})], r'pods\[0\]\.spec\.tolerations: expected list, got dict'),
    ([pod('p', ['Exists'])], r'pods\[0\]\.spec\.tolerations\[0\]: expected dict, got str'),
    ([pod('p', [{'operator': 'exists'}])], r"pods\[0\]\.spec\.tolerations\[0\]\.operator: expected Equal or Exists, got 'exists'"),
])
def test_untolerated_pods_bad_pods(pods, match):
    with pytest.raises(AnsibleFilterError, match=match):
        up.untolerated_pods(pods, 'k')


def test_tolerations_without_removes_only_the_catch_all():
    tols = [{'operator': 'Exists', 'effect': 'NoExecute'},
            {'operator': 'Exists', 'effect': 'NoSchedule'},
            {'key': 'CriticalAddonsOnly', 'operator': 'Exists'},
            {'operator': 'Exists'},  # no effect: not the NoExecute catch-all shape, kept
            {'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists', 'effect': 'NoExecute'}]
    assert tw.tolerations_without(tols) == tols[1:]
    assert tw.tolerations_without(tols, effect='NoSchedule') == [tols[0]] + tols[2:]
    assert tw.tolerations_without(tols, effect='', operator='Exists', key='') == [tols[0], tols[1], tols[2], tols[4]]
    assert tw.tolerations_without([]) == []


@pytest.mark.parametrize('tols, match', [
    (None, r'tolerations: expected a list, got NoneType'),
    ([None], r'tolerations\[0\]: expected a toleration'),
    (['x'], r'tolerations\[0\]: expected dict, got str'),
    ([{'effect': 1}], r'tolerations\[0\]\.effect: expected str, got int 1'),
])
def test_tolerations_without_bad_input(tols, match):
    with pytest.raises(AnsibleFilterError, match=match):
        tw.tolerations_without(tols)
