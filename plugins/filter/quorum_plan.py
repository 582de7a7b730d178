# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: quorum_plan
short_description: Quorum margin of every step of a raft membership plan
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - "For every step of a plan that changes an OVSDB raft cluster (a join, a removal, a rolling restart of every
    member), returns the members during the step, how many of them may be down during it, the majority
    (C(floor(members / 2) + 1)) and the margin: how many further failures the cluster survives during that step
    (live members minus the majority)."
  - "A margin of 0 means one more failure during the step stops NB/SB writes; a negative margin means the step
    itself leaves fewer live members than the majority (for example a rolling restart of a 2-member cluster)."
  - "Actions: V(join) (a new member; OVSDB adds it once it has caught up, so it counts as live: members + 1),
    V(leave) (a kick or leave; committed while the member is still in the configuration: members during the step,
    members - 1 after), V(restart_each) (every member restarted one at a time, as a Kubernetes rolling update of the
    ovn-central Deployment after a C(NODE_IPS) change does: one more member down during each restart), V(none)
    (nothing changes in raft: a label, a scale, the clients, a clean-up)."
  - "Members already unreachable (O(down)) count as down until they leave."
  - "Every refused input is an error naming it and its value: members that are not a list of non-empty strings, a
    name given twice, a down member that is not a member, an unknown action or key, a join or leave without a
    member, more than 1000 members or steps."
options:
  _input:
    description: The current members' names (their addresses), for example the IPs of the leader's C(cluster/status).
    type: list
    elements: str
    required: true
  steps:
    description:
      - The plan, in order. Each step is a dictionary with C(step) (its name, shown in the table), C(action)
        (V(join), V(leave), V(restart_each) or V(none)) and, for V(join) and V(leave), C(member) (a name).
    type: list
    elements: dict
    required: true
  down:
    description: Members (names from the input) that are unreachable now, for example the leader's unreachable or
      stale members.
    type: list
    elements: str
    default: []
  strict:
    description:
      - With V(true), a join of a member or a leave of a non-member is an error.
      - With V(false), such a step is reported as already done (C(done=true)) and changes nothing (a re-run of a plan
        that stopped half-way).
    type: bool
    default: true
"""

EXAMPLES = r"""
# 3 -> 4 -> 3 replacement in Kube-OVN (each NODE_IPS change rolls every ovn-central pod).
- name: Quorum plan
  ansible.builtin.set_fact:
    plan: >-
      {{ ['198.18.0.11', '198.18.0.12', '198.18.0.13'] | cni.ovs.quorum_plan([
           {'step': 'NODE_IPS rollout (add)', 'action': 'restart_each'},
           {'step': 'join 198.18.0.14', 'action': 'join', 'member': '198.18.0.14'},
           {'step': 'kick 198.18.0.13', 'action': 'leave', 'member': '198.18.0.13'},
           {'step': 'NODE_IPS rollout (remove)', 'action': 'restart_each'}]) }}
# margins: 0, 1, 1, 0

- name: Print one line per step
  ansible.builtin.debug:
    msg: "{{ plan | map(attribute='text') | list }}"

- name: Refuse a plan whose margin reaches 0
  ansible.builtin.assert:
    that: plan | selectattr('margin', 'lt', 1) | list | length == 0
    fail_msg: "{{ (plan | selectattr('margin', 'lt', 1) | first).text }}"

# A dead member (198.18.0.13) removed from 3: margin 0 at the kick, -1 during the rollout of the 2 left.
- name: Removal of a dead member
  ansible.builtin.debug:
    msg: >-
      {{ ['198.18.0.11', '198.18.0.12', '198.18.0.13'] | cni.ovs.quorum_plan([
           {'step': 'kick', 'action': 'leave', 'member': '198.18.0.13'},
           {'step': 'rollout', 'action': 'restart_each'}], down=['198.18.0.13']) | map(attribute='margin') | list }}
"""

RETURN = r"""
_value:
  description: One dictionary per step, in order.
  type: list
  elements: dict
  contains:
    step:
      description: The step's name.
      type: str
    action:
      description: The step's action.
      type: str
    member:
      description: The member that joins or leaves (null for the other actions).
      type: str
    done:
      description: The step was already done (only with O(strict=false)); it changed nothing.
      type: bool
    members:
      description: Members in the cluster during the step.
      type: int
    down:
      description: Members that may be down during the step (the unreachable ones, plus the restarting one).
      type: int
    live:
      description: Members minus down.
      type: int
    quorum:
      description: The majority, C(floor(members / 2) + 1).
      type: int
    margin:
      description: Live members minus the majority; further failures tolerated during the step (negative when the step
        itself loses the majority).
      type: int
    members_after:
      description: Members after the step.
      type: int
    text:
      description: "The row as one line, for example C(2. join 198.18.0.14: members 4, down during step 0, quorum 3, margin 1)."
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._quorum_plan import QuorumPlanError
from ansible_collections.cni.ovs.plugins.module_utils._quorum_plan import plan as _plan


def quorum_plan(members, steps, down=None, strict=True):
    """Quorum margin of every step of a raft membership plan (see DOCUMENTATION)."""
    try:
        return _plan(members, steps, down=[] if down is None else down, strict=strict)
    except QuorumPlanError as exc:
        raise AnsibleFilterError('quorum_plan: %s' % exc)


class FilterModule:
    """cni.ovs.quorum_plan filter."""

    def filters(self):
        return {'quorum_plan': quorum_plan}
