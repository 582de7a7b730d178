# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure checks of the cluster network migration (seed 001): address-range overlaps and
pods in an error state.  No Ansible imports: used by the cidr_overlaps and pods_in_error
filters and unit-tested on its own."""

from __future__ import annotations

import ipaddress

# Container states a person running the seed's `oc get pods -A` reads as "in error".
ERROR_REASONS = frozenset([
    'CrashLoopBackOff', 'Error', 'CreateContainerError', 'CreateContainerConfigError',
    'RunContainerError', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName',
    'ContainerCannotRun', 'StartError', 'OOMKilled',
])


class NetMigrationError(ValueError):
    """Bad input (the message names the value)."""


def _network(value, what):
    if isinstance(value, dict):
        value = value.get('cidr')
    if not isinstance(value, str) or not value.strip():
        raise NetMigrationError('%s: expected a CIDR string or a dict with key cidr, got %r' % (what, value))
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise NetMigrationError('%s: %r is not an IPv4/IPv6 network or address: %s' % (what, value, exc))


def cidr_overlaps(networks, reserved):
    """Pairs (network, reserved) that share addresses, in input order.

    networks / reserved: lists of CIDR strings, plain addresses (taken as /32 or /128) or
    dicts with a cidr key (Network.config clusterNetwork entries).  IPv4 and IPv6 never overlap."""
    if not isinstance(networks, (list, tuple)):
        raise NetMigrationError('networks: expected a list, got %r' % (networks,))
    if not isinstance(reserved, (list, tuple)):
        raise NetMigrationError('reserved: expected a list, got %r' % (reserved,))
    res = [(r, _network(r, 'reserved')) for r in reserved]
    out = []
    for n in networks:
        net = _network(n, 'networks')
        for raw, r in res:
            if net.version == r.version and net.overlaps(r):
                out.append({'network': str(net), 'reserved': str(r)})
    return out


def _container_error(status):
    state = status.get('state') or {}
    waiting = state.get('waiting') or {}
    if waiting.get('reason') in ERROR_REASONS:
        return waiting['reason']
    term = state.get('terminated') or {}
    if term and term.get('exitCode', 0) != 0:
        return term.get('reason') or 'exit code %s' % term.get('exitCode')
    return None


def pods_in_error(pods, node=None):
    """Pods (k8s_info resources) in an error state, optionally only those on node.

    Error: phase Failed or Unknown, or a (init) container waiting in an error reason
    (CrashLoopBackOff, ImagePullBackOff, ...) or terminated with a non-zero exit code.
    Succeeded pods (completed jobs) and pods being deleted are not errors."""
    if not isinstance(pods, (list, tuple)):
        raise NetMigrationError('pods: expected a list of Pod objects, got %r' % (pods,))
    out = []
    for pod in pods:
        if not isinstance(pod, dict):
            raise NetMigrationError('pods: expected Pod objects (dicts), got %r' % (pod,))
        meta, spec, status = pod.get('metadata') or {}, pod.get('spec') or {}, pod.get('status') or {}
        where = spec.get('nodeName') or ''
        if node is not None and where != node:
            continue
        if meta.get('deletionTimestamp'):
            continue
        phase = status.get('phase') or ''
        reason = None
        if phase in ('Failed', 'Unknown'):
            reason = status.get('reason') or phase
        elif phase != 'Succeeded':
            for cs in (status.get('initContainerStatuses') or []) + (status.get('containerStatuses') or []):
                reason = _container_error(cs)
                if reason:
                    reason = '%s: %s' % (cs.get('name', '?'), reason)
                    break
        if reason:
            out.append({'pod': '%s/%s' % (meta.get('namespace', ''), meta.get('name', '')),
                        'node': where, 'phase': phase, 'reason': reason})
    return out


MCD = 'machineconfiguration.openshift.io/'


def _conditions(obj):
    return dict((c.get('type'), c.get('status')) for c in (obj.get('status') or {}).get('conditions') or [])


def mco_progress(pools, nodes, pool_names, node_names=None):
    """Progress of a machine-config rollout (seed 001: every node Done, currentConfig ==
    desiredConfig; here also: on its pool's current spec.configuration, and every pool
    reporting all machines updated).

    pools / nodes: MachineConfigPool and Node objects; pool_names: the pools to wait for;
    node_names: the nodes to wait for (default all nodes given).  Returns a dict with
    done (bool), pools {name: {...}}, nodes {name: {...}}, pending (node and pool names)
    and summary (one line for a person)."""
    if not isinstance(pools, (list, tuple)) or not isinstance(nodes, (list, tuple)):
        raise NetMigrationError('pools and nodes: expected lists of objects, got %r / %r' % (type(pools), type(nodes)))
    if not isinstance(pool_names, (list, tuple)) or not pool_names:
        raise NetMigrationError('pool_names: expected a non-empty list of MachineConfigPool names, got %r' % (pool_names,))
    by_name = dict(((p.get('metadata') or {}).get('name'), p) for p in pools)
    missing = [n for n in pool_names if n not in by_name]
    if missing:
        raise NetMigrationError('MachineConfigPool(s) %s not found (have: %s)' % (', '.join(missing), ', '.join(sorted(k for k in by_name if k))))
    out_pools, targets = {}, set()
    for name in pool_names:
        p = by_name[name]
        spec, st = p.get('spec') or {}, p.get('status') or {}
        target = (spec.get('configuration') or {}).get('name', '')
        targets.add(target)
        machines, updated = st.get('machineCount', 0), st.get('updatedMachineCount', 0)
        out_pools[name] = {
            'config': target, 'machines': machines, 'updated': updated, 'paused': bool(spec.get('paused')),
            'degraded': st.get('degradedMachineCount', 0) or 0,
            'done': ((st.get('configuration') or {}).get('name') == target and updated == machines
                     and not st.get('degradedMachineCount') and _conditions(p).get('Degraded') != 'True'),
        }
    out_nodes = {}
    for n in nodes:
        meta = n.get('metadata') or {}
        name = meta.get('name')
        if node_names is not None and name not in node_names:
            continue
        ann = meta.get('annotations') or {}
        cur, des, state = ann.get(MCD + 'currentConfig', ''), ann.get(MCD + 'desiredConfig', ''), ann.get(MCD + 'state', '')
        out_nodes[name] = {'current': cur, 'desired': des, 'state': state,
                           'done': state == 'Done' and cur == des and cur in targets}
    if node_names is not None:
        for name in node_names:
            out_nodes.setdefault(name, {'current': '', 'desired': '', 'state': 'missing', 'done': False})
    pending = sorted(k for k, v in out_nodes.items() if not v['done']) + sorted('pool/' + k for k, v in out_pools.items() if not v['done'])
    parts = ['%s %d/%d' % (k, v['updated'], v['machines']) for k, v in out_pools.items()]
    busy = ['%s %s' % (k, v['state'] or '?') for k, v in sorted(out_nodes.items()) if not v['done']]
    summary = 'pools updated: %s; nodes done %d/%d%s' % (
        ', '.join(parts), sum(1 for v in out_nodes.values() if v['done']), len(out_nodes),
        (' (waiting: %s)' % ', '.join(busy)) if busy else '')
    return {'done': not pending, 'pools': out_pools, 'nodes': out_nodes, 'pending': pending, 'summary': summary}
