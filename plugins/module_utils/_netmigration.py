# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure checks of the cluster network migration (seed 001): address-range overlaps and
pods in an error state.  No Ansible imports: used by the cidr_overlaps and pods_in_error
filters and unit-tested on its own."""

from __future__ import annotations

import ipaddress
import re

# Container states a person running the seed's `oc get pods -A` reads as "in error".
ERROR_REASONS = frozenset([
    'CrashLoopBackOff', 'Error', 'CreateContainerError', 'CreateContainerConfigError',
    'RunContainerError', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName',
    'ContainerCannotRun', 'StartError', 'OOMKilled',
])


class NetMigrationError(ValueError):
    """Bad input (the message names the value)."""


def _short(value, limit=80):
    """repr() of value for an error message, cut to limit characters (a 10 MB input stays readable)."""
    text = repr(value)
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def _cut(text, limit=200):
    """Plain text cut to limit characters for an error message."""
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def _kind(value):
    return type(value).__name__


def _network(value, what):
    entry = value
    if isinstance(value, dict):
        value = value.get('cidr')
        what = '%s.cidr' % what
    if not isinstance(value, str) or not value.strip():
        raise NetMigrationError('%s: expected a CIDR string or a dict with key cidr, got %s %s'
                                % (what, _kind(entry), _short(entry)))
    if '%' in value:
        raise NetMigrationError('%s: %s is a scoped address (%%zone); expected a network or an address without a zone'
                                % (what, _short(value)))
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise NetMigrationError('%s: %s is not an IPv4/IPv6 network or address: %s' % (what, _short(value), _short(str(exc), 120)))


def cidr_overlaps(networks, reserved):
    """Pairs (network, reserved) that share addresses, in input order.

    networks / reserved: lists of CIDR strings, plain addresses (taken as /32 or /128) or
    dicts with a cidr key (Network.config clusterNetwork entries).  IPv4 and IPv6 never overlap."""
    if not isinstance(networks, (list, tuple)):
        raise NetMigrationError('networks: expected a list, got %s %s' % (_kind(networks), _short(networks)))
    if not isinstance(reserved, (list, tuple)):
        raise NetMigrationError('reserved: expected a list, got %s %s' % (_kind(reserved), _short(reserved)))
    res = [_network(r, 'reserved[%d]' % i) for i, r in enumerate(reserved)]
    out = []
    for i, n in enumerate(networks):
        net = _network(n, 'networks[%d]' % i)
        for r in res:
            if net.version == r.version and net.overlaps(r):
                out.append({'network': str(net), 'reserved': str(r)})
    return out


_TYPE_WORDS = {dict: 'dict (an object)', list: 'list', str: 'string', int: 'integer', bool: 'boolean'}


def _typed(value, types, where, default=None):
    """value when it is one of types; None (absent) gives default; anything else is an error naming where and the value.

    A boolean is not an integer here (YAML ``true`` where a count is meant is refused)."""
    if value is None:
        return default
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise NetMigrationError('%s: expected a %s, got %s %s'
                                % (where, ' or '.join(_TYPE_WORDS.get(t, t.__name__) for t in types), _kind(value), _short(value)))
    return value


def _exit_code(value, where):
    """An exit code: an integer, or a string of one ("0" from a templated object counts as 0)."""
    if isinstance(value, str) and re.match(r'\s*[-+]?[0-9]{1,10}\s*\Z', value):
        return int(value)
    return _typed(value, (int,), where, default=0)


def _item(value, where):
    """A list item that must be an object (None is not absent here: it is an error)."""
    if not isinstance(value, dict):
        raise NetMigrationError('%s: expected a dict (an object), got %s %s' % (where, _kind(value), _short(value)))
    return value


def _container_error(status, where):
    _item(status, where)
    state = _typed(status.get('state'), (dict,), where + '.state', {})
    waiting = _typed(state.get('waiting'), (dict,), where + '.state.waiting', {})
    reason = _typed(waiting.get('reason'), (str,), where + '.state.waiting.reason')
    if reason in ERROR_REASONS:
        return reason
    term = _typed(state.get('terminated'), (dict,), where + '.state.terminated', {})
    code = _exit_code(term.get('exitCode'), where + '.state.terminated.exitCode')
    term_reason = _typed(term.get('reason'), (str,), where + '.state.terminated.reason')
    if term and code != 0:
        return term_reason or 'exit code %s' % code
    return None


def pods_in_error(pods, node=None):
    """Pods (k8s_info resources) in an error state, optionally only those on node.

    Error: phase Failed or Unknown, or a (init) container waiting in an error reason
    (CrashLoopBackOff, ImagePullBackOff, ...) or terminated with a non-zero exit code
    (an integer, or a string holding one: "0" is 0).
    Succeeded pods (completed jobs) and pods being deleted are not errors.
    A field of the wrong type (a status that is a string, an item that is not an object)
    is an error naming the field and the value."""
    if not isinstance(pods, (list, tuple)):
        raise NetMigrationError('pods: expected a list of Pod objects, got %s %s' % (_kind(pods), _short(pods)))
    _typed(node, (str,), 'node')
    out = []
    for i, pod in enumerate(pods):
        where = 'pods[%d]' % i
        if not isinstance(pod, dict):
            raise NetMigrationError('%s: expected Pod objects (dicts), got %s %s' % (where, _kind(pod), _short(pod)))
        meta = _typed(pod.get('metadata'), (dict,), where + '.metadata', {})
        spec = _typed(pod.get('spec'), (dict,), where + '.spec', {})
        status = _typed(pod.get('status'), (dict,), where + '.status', {})
        on = _typed(spec.get('nodeName'), (str,), where + '.spec.nodeName', '')
        name = _typed(meta.get('name'), (str,), where + '.metadata.name', '')
        namespace = _typed(meta.get('namespace'), (str,), where + '.metadata.namespace', '')
        phase = _typed(status.get('phase'), (str,), where + '.status.phase', '')
        if node is not None and on != node:
            continue
        if meta.get('deletionTimestamp'):
            continue
        reason = None
        if phase in ('Failed', 'Unknown'):
            reason = _typed(status.get('reason'), (str,), where + '.status.reason') or phase
        elif phase != 'Succeeded':
            for key in ('initContainerStatuses', 'containerStatuses'):
                for j, cs in enumerate(_typed(status.get(key), (list,), '%s.status.%s' % (where, key), [])):
                    reason = _container_error(cs, '%s.status.%s[%d]' % (where, key, j))
                    if reason:
                        reason = '%s: %s' % (_typed(cs.get('name'), (str,), '%s.status.%s[%d].name' % (where, key, j), '?'), reason)
                        break
                if reason:
                    break
        if reason:
            out.append({'pod': '%s/%s' % (namespace, name), 'node': on, 'phase': phase, 'reason': reason})
    return out


MCD = 'machineconfiguration.openshift.io/'


def _conditions(obj, where):
    out = {}
    status = _typed(obj.get('status'), (dict,), where + '.status', {})
    for i, c in enumerate(_typed(status.get('conditions'), (list,), where + '.status.conditions', [])):
        c = _item(c, '%s.status.conditions[%d]' % (where, i))
        out[c.get('type')] = c.get('status')
    return out


def _names(value, what, allow_none):
    """A list of non-empty names; a string where the list is meant is refused (it would be read letter by letter)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (list, tuple)):
        raise NetMigrationError('%s: expected a list of names, got %s %s' % (what, _kind(value), _short(value)))
    for i, name in enumerate(value):
        if not isinstance(name, str) or not name:
            raise NetMigrationError('%s[%d]: expected a name (non-empty string), got %s %s' % (what, i, _kind(name), _short(name)))
    return list(value)


def _count(st, key, where):
    value = _typed(st.get(key), (int,), '%s.status.%s' % (where, key), 0)
    if value < 0:
        raise NetMigrationError('%s.status.%s: expected a count (>= 0), got %s' % (where, key, _short(value)))
    return value


def _object_name(obj, what):
    if not isinstance(obj, dict):
        raise NetMigrationError('%s: expected an object (dict), got %s %s' % (what, _kind(obj), _short(obj)))
    meta = _typed(obj.get('metadata'), (dict,), what + '.metadata', {})
    name = meta.get('name')
    if not isinstance(name, str) or not name:
        raise NetMigrationError('%s.metadata.name: expected a name (non-empty string), got %s %s' % (what, _kind(name), _short(name)))
    return meta, name


def mco_progress(pools, nodes, pool_names, node_names=None):
    """Progress of a machine-config rollout (seed 001: every node Done, currentConfig ==
    desiredConfig; here also: on its pool's current spec.configuration, and every pool
    reporting all machines updated).

    pools / nodes: MachineConfigPool and Node objects; pool_names: the pools to wait for;
    node_names: the nodes to wait for (default all nodes given).  Returns a dict with
    done (bool), pools {name: {...}}, nodes {name: {...}}, pending (node and pool names)
    and summary (one line for a person).  Objects, names and fields of the wrong type
    are errors naming them."""
    if not isinstance(pools, (list, tuple)) or not isinstance(nodes, (list, tuple)):
        raise NetMigrationError('pools and nodes: expected lists of objects, got %s %s / %s %s'
                                % (_kind(pools), _short(pools), _kind(nodes), _short(nodes)))
    if not isinstance(pool_names, (list, tuple)) or not pool_names:
        raise NetMigrationError('pool_names: expected a non-empty list of MachineConfigPool names, got %s %s'
                                % (_kind(pool_names), _short(pool_names)))
    pool_names = _names(pool_names, 'pool_names', False)
    node_names = _names(node_names, 'node_names', True)
    by_name = {}
    for i, p in enumerate(pools):
        by_name[_object_name(p, 'pools[%d]' % i)[1]] = (p, 'pools[%d]' % i)
    missing = [n for n in pool_names if n not in by_name]
    if missing:
        raise NetMigrationError('MachineConfigPool(s) %s not found (have: %s)' % (_cut(', '.join(missing)), _cut(', '.join(sorted(by_name)))))
    out_pools, targets = {}, set()
    for name in pool_names:
        p, where = by_name[name]
        spec = _typed(p.get('spec'), (dict,), where + '.spec', {})
        st = _typed(p.get('status'), (dict,), where + '.status', {})
        target = _typed(_typed(spec.get('configuration'), (dict,), where + '.spec.configuration', {}).get('name'),
                        (str,), where + '.spec.configuration.name', '')
        targets.add(target)
        machines, updated = _count(st, 'machineCount', where), _count(st, 'updatedMachineCount', where)
        degraded = _count(st, 'degradedMachineCount', where)
        current = _typed(_typed(st.get('configuration'), (dict,), where + '.status.configuration', {}).get('name'),
                         (str,), where + '.status.configuration.name')
        out_pools[name] = {
            'config': target, 'machines': machines, 'updated': updated,
            'paused': _typed(spec.get('paused'), (bool,), where + '.spec.paused', False),
            'degraded': degraded,
            'done': (current == target and updated == machines
                     and not degraded and _conditions(p, where).get('Degraded') != 'True'),
        }
    out_nodes = {}
    for i, n in enumerate(nodes):
        where = 'nodes[%d]' % i
        meta, name = _object_name(n, where)
        if node_names is not None and name not in node_names:
            continue
        ann = _typed(meta.get('annotations'), (dict,), where + '.metadata.annotations', {})
        cur, des, state = [_typed(ann.get(MCD + k), (str,), '%s.metadata.annotations[%s%s]' % (where, MCD, k), '')
                           for k in ('currentConfig', 'desiredConfig', 'state')]
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
