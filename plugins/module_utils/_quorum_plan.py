# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure quorum arithmetic of a raft membership plan (issue 18): for every step of a plan, how
many members the cluster has during it, how many of them can be down at that moment, the
majority (quorum) and the margin, that is how many further failures the cluster survives
during that step.  No Ansible imports: used by the ``quorum_plan`` filter and unit-tested on its
own.

Step actions:

``join``
    A new member joins.  OVSDB adds it to the configuration once it has caught up, so during
    the step it counts as a live member: ``n + 1`` members.
``leave``
    A member is removed (``cluster/kick`` or ``cluster/leave``).  The removal is committed by
    the configuration that still holds it: ``n`` members during the step, ``n - 1`` after.
``restart_each``
    Every member is restarted, one at a time (a Kubernetes rolling update of the ovn-central
    Deployment after a ``NODE_IPS`` change).  During each restart one more member is down.
``none``
    No member changes or restarts (a label, a scale, the clients, a host clean-up): the margin
    of the cluster as it stands.

A member already unreachable (``down``) stays down until it leaves.
"""

from __future__ import annotations

ACTIONS = ('join', 'leave', 'restart_each', 'none')
MAX_MEMBERS = 1000  # no OVSDB raft cluster comes near it; keeps the plan and its messages bounded
MAX_STEPS = 1000


class QuorumPlanError(ValueError):
    """A refused input (the message names it and its value)."""


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def quorum(members):
    """Majority of a cluster of ``members`` servers: floor(n/2) + 1."""
    if isinstance(members, bool) or not isinstance(members, int) or members < 0:
        raise QuorumPlanError('members must be a whole number from 0, got %s' % _short(members))
    return members // 2 + 1


def _names(value, what):
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
        raise QuorumPlanError('%s must be a list of member names (addresses), got %s' % (what, _short(value)))
    if len(value) > MAX_MEMBERS:
        raise QuorumPlanError('%s has %d entries; at most %d are accepted' % (what, len(value), MAX_MEMBERS))
    seen = []
    for name in value:
        if not isinstance(name, str) or not name.strip():
            raise QuorumPlanError('%s must hold non-empty strings, got %s' % (what, _short(name)))
        if name in seen:
            raise QuorumPlanError('%s names %s twice' % (what, _short(name)))
        seen.append(name)
    return seen


def _steps(value):
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
        raise QuorumPlanError('steps must be a list of {step, action, member} dictionaries, got %s' % _short(value))
    if len(value) > MAX_STEPS:
        raise QuorumPlanError('steps has %d entries; at most %d are accepted' % (len(value), MAX_STEPS))
    out = []
    for index, step in enumerate(value, 1):
        if not isinstance(step, dict):
            raise QuorumPlanError('step %d must be a dictionary, got %s' % (index, _short(step)))
        unknown = sorted(str(k) for k in step if k not in ('step', 'action', 'member'))
        if unknown:
            raise QuorumPlanError('step %d has unknown keys %s (allowed: step, action, member)' % (index, ', '.join(unknown)))
        name = step.get('step')
        if not isinstance(name, str) or not name.strip():
            raise QuorumPlanError('step %d needs a non-empty string "step" (its name), got %s' % (index, _short(name)))
        action = step.get('action')
        if not isinstance(action, str) or action not in ACTIONS:
            raise QuorumPlanError('step %d (%s): action must be one of %s, got %s'
                                  % (index, name, ', '.join(ACTIONS), _short(action)))
        member = step.get('member')
        if action in ('join', 'leave'):
            if not isinstance(member, str) or not member.strip():
                raise QuorumPlanError('step %d (%s): action %s needs a non-empty string "member", got %s'
                                      % (index, name, action, _short(member)))
        elif member is not None:
            raise QuorumPlanError('step %d (%s): action %s takes no member, got %s' % (index, name, action, _short(member)))
        out.append((name, action, member))
    return out


def plan(members, steps, down=(), strict=True):
    """One row per step: ``step``, ``action``, ``member``, ``done`` (a join of a member or a leave of
    a non-member when ``strict`` is false: nothing changes), ``members`` (during the step),
    ``down`` (members that may be down during it: the unreachable ones, plus the restarting one),
    ``live``, ``quorum``, ``margin`` (``live - quorum``: the further failures tolerated; negative when
    the step itself leaves fewer live members than the majority), ``members_after`` and ``text``
    (the row as one line).

    ``members`` are the current members' names (addresses), ``down`` those of them already
    unreachable.  With ``strict`` (the default), a join of a member or a leave of a non-member is
    an error; without it, such a step is a step already done (a re-run)."""
    current = _names(members, 'members')
    unreachable = _names(down, 'down')
    if not isinstance(strict, bool):
        raise QuorumPlanError('strict must be a boolean, got %s' % _short(strict))
    strangers = [d for d in unreachable if d not in current]
    if strangers:
        raise QuorumPlanError('down names %s, which %s not in members %s'
                              % (', '.join(strangers), 'is' if len(strangers) == 1 else 'are', _short(current)))
    rows = []
    for index, (name, action, member) in enumerate(_steps(steps), 1):
        done = False
        if action == 'join' and member in current or action == 'leave' and member not in current:
            if strict:
                raise QuorumPlanError('step %d (%s): %s %s, which %s a member' % (
                    index, name, action, member, 'is already' if action == 'join' else 'is not'))
            done = True
        n = len(current)
        down_now = len(unreachable)
        if action == 'join' and not done:
            n += 1
        elif action == 'restart_each' and n > down_now:
            down_now += 1  # the live member being restarted
        q = quorum(n)
        live = n - down_now
        if action == 'join' and not done:
            current = current + [member]
        elif action == 'leave' and not done:
            current = [m for m in current if m != member]
            unreachable = [m for m in unreachable if m != member]
        rows.append({'step': name, 'action': action, 'member': member, 'done': done, 'members': n,
                     'down': down_now, 'live': live, 'quorum': q, 'margin': live - q,
                     'members_after': len(current),
                     'text': '%d. %s%s: members %d, down during step %d, quorum %d, margin %d%s' % (
                         index, name, ' (already done)' if done else '', n, down_now, q, live - q,
                         ' (quorum lost during the step)' if live < q else '')})
    return rows


def lowest(rows):
    """The first row with the lowest margin, or None for an empty plan."""
    best = None
    for row in rows:
        if best is None or row['margin'] < best['margin']:
            best = row
    return best
