# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure list logic of the node lifecycle (role cni.ovs._node and the roles that drain nodes):
which Nodes are not Ready, which pods do not tolerate a taint, a toleration list without the
catch-all one.  No Ansible imports: used by the nodes_not_ready, untolerated_pods and
tolerations_without filters and unit-tested on its own.  Kubernetes semantics follow
k8s.io/api/core/v1 Toleration.ToleratesTaint."""

from __future__ import annotations

EFFECTS = ('', 'NoSchedule', 'PreferNoSchedule', 'NoExecute')
OPERATORS = ('', 'Equal', 'Exists')


class NodeListError(ValueError):
    """Bad input (the message names the field and the value)."""


def _short(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def _typed(value, types, where, default=None):
    """value if it has one of types, default if it is None, else an error naming where."""
    if value is None:
        return default
    if isinstance(value, bool) and bool not in types:
        raise NodeListError('%s: expected %s, got %s' % (where, '/'.join(t.__name__ for t in types), _short(value)))
    if not isinstance(value, types):
        raise NodeListError('%s: expected %s, got %s %s' % (where, '/'.join(t.__name__ for t in types),
                                                            type(value).__name__, _short(value)))
    return value


def _objects(value, what):
    if not isinstance(value, (list, tuple)):
        raise NodeListError('%s: expected a list of %s objects, got %s %s' % (what.lower() + 's', what, type(value).__name__, _short(value)))
    for i, obj in enumerate(value):
        if not isinstance(obj, dict):
            raise NodeListError('%ss[%d]: expected %s objects (dicts), got %s %s'
                                % (what.lower(), i, what, type(obj).__name__, _short(obj)))
    return value


def node_ready(node, where='node'):
    """True when the Node's Ready condition has status "True"."""
    status = _typed(node.get('status'), (dict,), where + '.status', {})
    for j, cond in enumerate(_typed(status.get('conditions'), (list,), where + '.status.conditions', [])):
        cond = _typed(cond, (dict,), '%s.status.conditions[%d]' % (where, j), {})
        if cond.get('type') == 'Ready':
            return cond.get('status') == 'True'
    return False


def nodes_not_ready(nodes):
    """Sorted names of the Nodes whose Ready condition is not "True" (missing counts as not Ready)."""
    out = []
    for i, node in enumerate(_objects(nodes, 'Node')):
        where = 'nodes[%d]' % i
        meta = _typed(node.get('metadata'), (dict,), where + '.metadata', {})
        name = _typed(meta.get('name'), (str,), where + '.metadata.name', '')
        if not name:
            raise NodeListError('%s.metadata.name: a Node needs a name, got %s' % (where, _short(meta.get('name'))))
        if not node_ready(node, where):
            out.append(name)
    return sorted(out)


def _taint_args(key, effect, value):
    _typed(key, (str,), 'key')
    if not key:
        raise NodeListError('key: a taint needs a non-empty key')
    if effect not in EFFECTS[1:]:
        raise NodeListError('effect: expected one of %s, got %s' % (', '.join(EFFECTS[1:]), _short(effect)))
    _typed(value, (str,), 'value')


def tolerates(toleration, key, effect='NoExecute', value='', where='toleration'):
    """Kubernetes Toleration.ToleratesTaint for the taint key=value:effect."""
    tol = _typed(toleration, (dict,), where, {})
    t_effect = _typed(tol.get('effect'), (str,), where + '.effect', '')
    t_key = _typed(tol.get('key'), (str,), where + '.key', '')
    t_op = _typed(tol.get('operator'), (str,), where + '.operator', '')
    t_value = _typed(tol.get('value'), (str,), where + '.value', '')
    if t_op not in OPERATORS:
        raise NodeListError('%s.operator: expected Equal or Exists, got %s' % (where, _short(t_op)))
    if t_effect and t_effect != effect:
        return False
    if t_key and t_key != key:
        return False
    if t_op == 'Exists':
        return True
    # Equal (the default): an empty key matches no keyed taint (the API server refuses it anyway).
    return t_key == key and t_value == value


def untolerated_pods(pods, key, effect='NoExecute', value=''):
    """"namespace/name" of the pods that do not tolerate the taint key=value:effect.

    Finished pods (Succeeded, Failed) and mirror (static) pods are left out: a taint does not
    remove them.  Pods being deleted are kept: they have not left yet."""
    _taint_args(key, effect, value)
    out = []
    for i, pod in enumerate(_objects(pods, 'Pod')):
        where = 'pods[%d]' % i
        meta = _typed(pod.get('metadata'), (dict,), where + '.metadata', {})
        spec = _typed(pod.get('spec'), (dict,), where + '.spec', {})
        status = _typed(pod.get('status'), (dict,), where + '.status', {})
        if _typed(status.get('phase'), (str,), where + '.status.phase', '') in ('Succeeded', 'Failed'):
            continue
        if 'kubernetes.io/config.mirror' in _typed(meta.get('annotations'), (dict,), where + '.metadata.annotations', {}):
            continue
        tols = _typed(spec.get('tolerations'), (list,), where + '.spec.tolerations', [])
        if any(tolerates(t, key, effect, value, '%s.spec.tolerations[%d]' % (where, j)) for j, t in enumerate(tols)):
            continue
        out.append('%s/%s' % (_typed(meta.get('namespace'), (str,), where + '.metadata.namespace', ''),
                              _typed(meta.get('name'), (str,), where + '.metadata.name', '')))
    return out


def tolerations_without(tolerations, effect='NoExecute', operator='Exists', key=''):
    """The tolerations except those equal to {effect, operator, key} (missing fields read as "").

    The default removes the catch-all NoExecute toleration {operator: Exists} that keeps a
    DaemonSet's pods on a node whatever NoExecute taint it gets."""
    if not isinstance(tolerations, (list, tuple)):
        raise NodeListError('tolerations: expected a list, got %s %s' % (type(tolerations).__name__, _short(tolerations)))
    for name, val in (('effect', effect), ('operator', operator), ('key', key)):
        _typed(val, (str,), name)
    out = []
    for j, tol in enumerate(tolerations):
        where = 'tolerations[%d]' % j
        tol = _typed(tol, (dict,), where)
        if tol is None:
            raise NodeListError('%s: expected a toleration (dict), got None' % where)
        if (_typed(tol.get('effect'), (str,), where + '.effect', ''), _typed(tol.get('operator'), (str,), where + '.operator', ''),
                _typed(tol.get('key'), (str,), where + '.key', '')) == (effect, operator, key):
            continue
        out.append(tol)
    return out
