# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When is a rollout over: the rules of `kubectl rollout status` for Deployments and DaemonSets
(k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go). No Ansible imports: used by the
rollout_complete filter and unit-tested on its own.

kubernetes.core's own wait for a Deployment (module_utils/k8s/waiter.py deployment_ready) checks
replicas == availableReplicas with the new generation observed, but not updatedReplicas: in the
middle of a rolling update, while every old pod is still available, it says ready."""

from __future__ import annotations


class RolloutError(ValueError):
    """Bad input (the message names the field and the value)."""


def _short(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def _dict(value, where):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RolloutError('%s: expected a dict, got %s %s' % (where, type(value).__name__, _short(value)))
    return value


def _int(value, where, default=0):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise RolloutError('%s: expected an integer, got %s %s' % (where, type(value).__name__, _short(value)))
    return value


def rollout_status(obj):
    """(done, reason) for a Deployment or DaemonSet object (a dict as kubernetes.core returns it)."""
    obj = _dict(obj, 'object')
    if not obj:
        return False, 'no object'
    kind = obj.get('kind')
    if kind not in ('Deployment', 'DaemonSet'):
        raise RolloutError('kind: expected Deployment or DaemonSet, got %s' % _short(kind))
    meta = _dict(obj.get('metadata'), 'metadata')
    spec = _dict(obj.get('spec'), 'spec')
    status = _dict(obj.get('status'), 'status')
    generation = _int(meta.get('generation'), 'metadata.generation')
    observed = _int(status.get('observedGeneration'), 'status.observedGeneration', -1)
    if observed < generation:
        return False, 'generation %d not observed yet (observed %d)' % (generation, observed)
    if kind == 'Deployment':
        want = _int(spec.get('replicas'), 'spec.replicas', 1)
        updated = _int(status.get('updatedReplicas'), 'status.updatedReplicas')
        replicas = _int(status.get('replicas'), 'status.replicas')
        available = _int(status.get('availableReplicas'), 'status.availableReplicas')
        if updated < want:
            return False, '%d of %d new replicas updated' % (updated, want)
        if replicas > updated:
            return False, '%d old replicas pending termination' % (replicas - updated)
        if available < updated:
            return False, '%d of %d updated replicas available' % (available, updated)
        return True, 'rolled out: %d replicas updated and available' % updated
    # DaemonSet
    desired = _int(status.get('desiredNumberScheduled'), 'status.desiredNumberScheduled')
    updated = _int(status.get('updatedNumberScheduled'), 'status.updatedNumberScheduled')
    available = _int(status.get('numberAvailable'), 'status.numberAvailable')
    if updated < desired:
        return False, '%d of %d pods updated' % (updated, desired)
    if available < desired:
        return False, '%d of %d updated pods available' % (available, desired)
    return True, 'rolled out: %d pods updated and available' % desired
