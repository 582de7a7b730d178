# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.filter.rollout_complete import FilterModule, rollout_complete


def dep(generation=9, want=3, **status):
    return {'kind': 'Deployment', 'metadata': {'generation': generation}, 'spec': {'replicas': want}, 'status': status}


def ds(generation=2, **status):
    return {'kind': 'DaemonSet', 'metadata': {'generation': generation}, 'status': status}


def test_registered():
    assert FilterModule().filters()['rollout_complete'] is rollout_complete


# The status seen in CI when kubernetes.core's Deployment wait returned 4 s into the NODE_IPS rollout
# of ovn-central: every old pod available, one new pod missing.
MID_ROLLOUT = dep(observedGeneration=9, replicas=3, updatedReplicas=2, readyReplicas=3, availableReplicas=3, terminatingReplicas=0)


@pytest.mark.parametrize('obj, done, reason', [
    (MID_ROLLOUT, False, '2 of 3 new replicas updated'),
    (dep(observedGeneration=8, replicas=3, updatedReplicas=3, availableReplicas=3), False, 'generation 9 not observed yet'),
    (dep(observedGeneration=9, replicas=4, updatedReplicas=3, availableReplicas=3), False, '1 old replicas pending termination'),
    (dep(observedGeneration=9, replicas=3, updatedReplicas=3, availableReplicas=2, unavailableReplicas=1), False, '2 of 3 updated'),
    (dep(observedGeneration=9, replicas=3, updatedReplicas=3, availableReplicas=3), True, 'rolled out: 3'),
    (dep(generation=2, want=0, observedGeneration=2), True, 'rolled out: 0'),
    (ds(observedGeneration=2, desiredNumberScheduled=4, updatedNumberScheduled=3, numberAvailable=4), False, '3 of 4 pods updated'),
    (ds(observedGeneration=2, desiredNumberScheduled=4, updatedNumberScheduled=4, numberAvailable=3), False, '3 of 4 updated pods'),
    (ds(observedGeneration=2, desiredNumberScheduled=4, updatedNumberScheduled=4, numberAvailable=4), True, 'rolled out: 4 pods'),
    (None, False, 'no object'),
    ({}, False, 'no object'),
])
def test_rollout_status(obj, done, reason):
    assert rollout_complete(obj) is done
    got = rollout_complete(obj, reason=True)
    assert got['done'] is done and reason in got['reason'], got


@pytest.mark.parametrize('obj, reason, text', [
    ({'kind': 'StatefulSet', 'metadata': {}}, False, "kind: expected Deployment or DaemonSet, got 'StatefulSet'"),
    (dep(observedGeneration='9'), False, "status.observedGeneration: expected an integer, got str '9'"),
    (dep(observedGeneration=9, updatedReplicas=True), False, 'status.updatedReplicas: expected an integer, got bool True'),
    ({'kind': 'Deployment', 'status': []}, False, 'status: expected a dict, got list []'),
    (['Deployment'], False, "object: expected a dict, got list ['Deployment']"),
    (MID_ROLLOUT, 'yes', "reason: expected a boolean, got str 'yes'"),
])
def test_bad_input_names_the_field(obj, reason, text):
    with pytest.raises(AnsibleFilterError) as err:
        rollout_complete(obj, reason=reason)
    assert text in str(err.value)
