# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: raft_status
short_description: Parse the output of C(ovs-appctl cluster/status) of an OVSDB raft member
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Turns the text printed by C(ovs-appctl -t <ctl> cluster/status <database>) (or by Kube-OVN's
    C(kubectl ko nb status) / C(kubectl ko sb status)) into a dictionary.
  - Works on output gathered on the node (M(ansible.builtin.command)) or through the Kubernetes API
    (M(kubernetes.core.k8s_exec) into an C(ovn-central) pod).
  - The exit code of C(cluster/status) is 0 in every raft state, and its C(Status) line alone is no
    health signal; look at C(role), C(leader_id), C(entries_not_committed), C(connections) and C(servers),
    or use the C(cni.ovs.ovn_cluster_info) module for a health verdict.
  - Fails with an error naming the offending line and value when the text is not such output, including
    inconsistent text (a C(Leader) that is not in a non-empty C(Servers) list, C(Log [A, B]) with A after B,
    a negative or non-numeric counter).
options:
  _input:
    description: The text of C(cluster/status), as one string (for example C(result.stdout)).
    type: string
    required: true
seealso:
  - name: ovsdb(7) clustered databases
    description: How OVSDB raft clusters are formed and changed.
    link: https://docs.openvswitch.org/en/latest/ref/ovsdb.7/
"""

EXAMPLES = r"""
- name: Read the NB raft status on an ovn-central host
  ansible.builtin.command:
    argv: [ovs-appctl, -t, /var/run/ovn/ovnnb_db.ctl, cluster/status, OVN_Northbound]
  register: nb_status
  changed_when: false

- name: Fail unless this member sees a leader and every entry is committed
  ansible.builtin.assert:
    that:
      - (nb_status.stdout | cni.ovs.raft_status).leader_id is not none
      - (nb_status.stdout | cni.ovs.raft_status).entries_not_committed == 0

- name: Map node IPs to raft server ids (as step 1 of the Kube-OVN procedure does by eye)
  ansible.builtin.debug:
    msg: "{{ (nb_status.stdout | cni.ovs.raft_status).servers | items2dict(key_name='address', value_name='id') }}"
"""

RETURN = r"""
_value:
  description: The parsed status.
  type: dict
  contains:
    name:
      description: Database name, for example C(OVN_Northbound).
      type: str
    cluster_id:
      description: Short (4 hex digit) cluster id; null while the server is still joining.
      type: str
    cluster_id_full:
      description: Full cluster UUID; null while joining.
      type: str
    server_id:
      description: Short id of the server that answered.
      type: str
    server_id_full:
      description: Full server UUID.
      type: str
    address:
      description: Raft address of the server, for example C(tcp:[172.18.0.3]:6643).
      type: str
    status:
      description: C(cluster member), C(joining cluster), C(leaving cluster), C(left cluster), ...
      type: str
    remotes_for_joining:
      description: Remotes a joining server is trying.
      type: list
      elements: str
    role:
      description: C(leader), C(follower) or C(candidate).
      type: str
    term:
      description: Current raft term.
      type: int
    leader:
      description: As printed, C(self), a short server id or C(unknown).
      type: str
    leader_id:
      description: Short id of the leader as this server knows it, or null when it knows none.
      type: str
    vote:
      description: Vote in the current term (C(self), a short id or C(unknown)).
      type: str
    last_election_started_ms:
      description: Milliseconds since the last election this server started, or null.
      type: int
    last_election_reason:
      description: Why that election started (for example C(timeout), C(leadership_transfer)).
      type: str
    last_election_won_ms:
      description: Milliseconds since this server last won an election, or null.
      type: int
    election_timer:
      description: Election timer in milliseconds.
      type: int
    log_first_index:
      description: First index in the log (the C(A) of C(Log [A, B])).
      type: int
    log_next_index:
      description: Next index to be written (the C(B) of C(Log [A, B])).
      type: int
    log_last_index:
      description: Last index written (C(log_next_index) - 1).
      type: int
    entries_not_committed:
      description: Log entries not yet committed.
      type: int
    entries_not_applied:
      description: Log entries not yet applied.
      type: int
    connections:
      description: Raft connections; C(established) is false for an attempt in parentheses.
      type: list
      elements: dict
      contains:
        direction:
          description: C(in) or C(out).
          type: str
        server_id:
          description: Peer short id (C(0000) while the peer has not identified itself).
          type: str
        established:
          description: Whether the connection is up.
          type: bool
    connections_listed:
      description: Whether a C(Connections) line was printed (without it, C(connections) says nothing about liveness).
      type: bool
    disconnections:
      description: Number of disconnections seen.
      type: int
    servers:
      description: The cluster's servers as this server knows them.
      type: list
      elements: dict
      contains:
        id:
          description: Short server id.
          type: str
        address:
          description: Raft address.
          type: str
        self:
          description: Whether this is the server that answered.
          type: bool
        voted_for:
          description: Short id this server voted for (candidates), or null.
          type: str
        next_index:
          description: Next log index to send (known on the leader only), or null.
          type: int
        match_index:
          description: Highest log index known replicated (leader only), or null.
          type: int
        last_msg_ms:
          description: Milliseconds since the last message from this server, or null.
          type: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._raft import RaftStatusParseError, parse_cluster_status


def raft_status(text):
    """Parse ``cluster/status`` text (see DOCUMENTATION)."""
    if not isinstance(text, str):
        raise AnsibleFilterError('raft_status: expected the text of cluster/status as a string, got %s' % type(text).__name__)
    try:
        return parse_cluster_status(text)
    except RaftStatusParseError as exc:
        raise AnsibleFilterError('raft_status: %s' % exc)


class FilterModule:
    """cni.ovs.raft_status filter."""

    def filters(self):
        return {'raft_status': raft_status}
