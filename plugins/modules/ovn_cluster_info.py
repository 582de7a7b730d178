#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_cluster_info
short_description: Report the raft membership and health of a clustered OVN database
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - Reads C(ovs-appctl cluster/status) through the control socket of one OVSDB raft member (OVN Northbound or Southbound),
    the C(_Server) row of that database through its client socket, and builds a health verdict.
  - The verdict says whether there is a leader, which members are connected, the quorum size and how many more members
    may be lost, uncommitted entries, stale members (no message for more than O(stale_factor) election timers),
    servers sharing an address, and members whose address is not in O(expected_addresses).
  - A member counts as connected only when the leader has an established raft connection from it (the C(Connections:) line)
    and received a message from it after the module started; the module samples the leader for up to two heartbeats (two thirds
    of the election timer) plus half a second to confirm it. A member that died a moment ago is reported unreachable at once.
  - Only the leader knows when it last heard from every member. Asked on a follower, the verdict lists what cannot be
    judged in RV(health.cannot_judge); give the other members' control sockets in O(peer_ctls) and the module follows
    to the leader.
  - The exit code of C(cluster/status) is 0 in every raft state; this module never uses it as a health signal.
extends_documentation_fragment:
  - cni.ovs._attributes
  - cni.ovs._attributes.INFO_MODULE
  - cni.ovs._attributes.ACTIONGROUP_OVS
  - cni.ovs.raft
options:
  remote:
    description:
      - OVSDB client connection of the member asked in O(ctl), used to read its C(_Server) row
        (for example V(unix:/var/run/ovn/ovnnb_db.sock), the default for V(nb)).
      - Set to an empty string to skip the C(_Server) query.
    type: str
  expected_addresses:
    description:
      - Addresses the members should have, as bare IPs (V(172.18.0.3)) or raft addresses (V(tcp:[172.18.0.3]:6643)).
      - Members at other addresses are reported in RV(health.unexpected_members), expected addresses without a member
        in RV(health.missing_addresses).
    type: list
    elements: str
attributes:
  idempotent:
    support: full
notes:
  - Needs C(ovsdb-client) on the host unless O(remote) is empty.
seealso:
  - module: cni.ovs.ovn_raft_member
  - name: ovsdb(7) clustered databases
    description: How OVSDB raft clusters are changed.
    link: https://docs.openvswitch.org/en/latest/ref/ovsdb.7/
"""

EXAMPLES = r"""
- name: Health of the Kube-OVN Northbound cluster, asked on this ovn-central host
  cni.ovs.ovn_cluster_info:
    db: nb
    expected_addresses: "{{ node_ips.split(',') }}"
  register: nb

- name: Stop unless the cluster is healthy
  ansible.builtin.assert:
    that: nb.health.healthy
    fail_msg: "{{ nb.health.problems }}"

- name: Ask any member, judge on the leader (all members on one host, as in a lab)
  cni.ovs.ovn_cluster_info:
    db: OVN_Southbound
    ctl: /run/ovn/s2.ctl
    peer_ctls: [/run/ovn/s1.ctl, /run/ovn/s3.ctl]
    remote: unix:/run/ovn/s2.sock
"""

RETURN = r"""
status:
  description: Parsed C(cluster/status) of the member asked in O(ctl) (see the C(cni.ovs.raft_status) filter for the keys).
  returned: success
  type: dict
leader_status:
  description: Parsed C(cluster/status) of the leader, when O(ctl) or one of O(peer_ctls) is the leader; else null.
  returned: success
  type: dict
server_row:
  description: The C(_Server) C(Database) row of this database on the member asked (C(name), C(model), C(connected),
    C(leader), C(index), C(cid), C(sid)); null when O(remote) is empty.
  returned: success
  type: dict
  sample: {"name": "OVN_Northbound", "model": "clustered", "connected": true, "leader": false, "index": 4,
           "cid": "b1b1622a-41cb-4523-b9fe-00329493220d", "sid": "07a21ddd-e92e-4a5a-b235-f3d19f7f5650"}
health:
  description: The verdict.
  returned: success
  type: dict
  contains:
    healthy:
      description: True when no problem was found in what could be judged.
      type: bool
    judged_on:
      description: C(leader), C(follower), C(candidate) or the status of a server that is not a member.
      type: str
    problems:
      description: Human-readable problems found.
      type: list
      elements: str
    cannot_judge:
      description: What cannot be judged from this view (asked on a follower without the leader's socket).
      type: list
      elements: str
    has_leader:
      description: Whether a leader is known.
      type: bool
    leader_id:
      description: Short id of the leader, or null.
      type: str
    leader_address:
      description: Raft address of the leader, or null.
      type: str
    members:
      description: Number of servers in the configuration.
      type: int
    quorum:
      description: Majority size.
      type: int
    connected_members:
      description: Ids with an established connection to the leader that the leader heard from after the module started
        (null when not judged on the leader).
      type: list
      elements: str
    unreachable_members:
      description: Ids without an established connection to the leader, or not heard from while the module sampled
        (null when not judged on the leader).
      type: list
      elements: str
    stale_members:
      description: Ids not heard from for more than O(stale_factor) election timers (null when not judged on the leader).
      type: list
      elements: str
    can_lose:
      description: How many more members may be lost while keeping a majority (negative when already below; null when unknown).
      type: int
    entries_not_committed:
      description: Log entries not yet committed.
      type: int
    duplicate_addresses:
      description: Addresses held by more than one server id (C(address), C(ids)).
      type: list
      elements: dict
    unexpected_members:
      description: Members whose address is not in O(expected_addresses) (null without O(expected_addresses)).
      type: list
      elements: dict
    missing_addresses:
      description: Entries of O(expected_addresses) without a member (null without O(expected_addresses)).
      type: list
      elements: str
    liveness:
      description: Per-server C(id), C(address), C(self), C(last_msg_ms), C(match_index), C(connection) (C(up)/C(down) from the
        C(Connections:) line), C(lost), C(connected), C(stale).
      type: list
      elements: dict
views:
  description: Which control sockets answered and how (C(ctl), C(role), C(server_id), C(error)).
  returned: success
  type: list
  elements: dict
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cni.ovs.plugins.module_utils._raft_health import (
    LivenessProof, RaftInputError, assess_health, full_id, parse_address, pick_leader,
)
from ansible_collections.cni.ovs.plugins.module_utils._raft_options import RAFT_ARGSPEC, check_raft_options, check_raft_sockets, fail_input
from ansible_collections.cni.ovs.plugins.module_utils._exec import CommandError, fail_command
from ansible_collections.cni.ovs.plugins.module_utils._raft_runner import RaftCommands


def prove_liveness(cmds, leader, sleep=time.sleep):
    """Sample the leader until every member is proven live or lost (at most two heartbeats + 0.5 s); returns (status, alive ids)."""
    proof = LivenessProof(cmds.clock())
    status = leader.status
    while True:
        v = cmds.view(leader.ctl)
        st = v.status
        if not st or st.get('role') != 'leader' or st.get('server_id') != status.get('server_id') or st.get('term') != status.get('term'):
            # Leadership moved while sampling: nothing is proven; the verdict says so.
            return status, set(m for m in proof.alive() if m == status.get('server_id'))
        status = st
        proof.add(st, v.sampled_at)
        if not proof.undecided() or cmds.clock() >= proof.deadline():
            return status, proof.alive()
        sleep(0.05)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            RAFT_ARGSPEC,
            remote=dict(type='str'),
            expected_addresses=dict(type='list', elements='str'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        info, ctl = check_raft_options(p)
        for a in p['expected_addresses'] or []:
            parse_address(a)
        if p['remote'] and not (p['remote'].startswith(('unix:', 'tcp:', 'ssl:')) and len(p['remote']) <= 4096):
            raise RaftInputError('remote must be an OVSDB connection such as unix:/var/run/ovn/ovnnb_db.sock or tcp:127.0.0.1:6641, got %r'
                                 % p['remote'][:200])
        check_raft_sockets(info, ctl, p['peer_ctls'])
    except RaftInputError as exc:
        fail_input(module, exc)
    remote = info['remote'] if p['remote'] is None else p['remote']

    cmds = RaftCommands(info['name'])
    view = cmds.view(ctl)
    if view.status is None:
        module.fail_json(msg='%s: %s' % (info['name'], view.error), views=[view.as_dict()], output=view.text)
    views = [view]
    for peer in p['peer_ctls']:
        if pick_leader([v.status for v in views], full_id(view.status, 'cluster_id')) is not None:
            break
        views.append(cmds.view(peer))
    i = pick_leader([v.status for v in views], full_id(view.status, 'cluster_id'))
    leader = views[i] if i is not None else None

    server_row = None
    if remote:
        if remote.startswith('unix:') and not os.path.exists(remote[5:]):
            module.fail_json(msg='%s: client socket %s does not exist; give remote (or remote: "" to skip the _Server query)'
                             % (info['name'], remote[5:]))
        try:
            server_row = cmds.server_row(remote)
        except CommandError as exc:
            fail_command(module, exc, prefix='%s: reading the _Server row through %s failed' % (info['name'], remote))
        except RaftInputError as exc:
            module.fail_json(msg='%s: reading the _Server row through %s failed: %s' % (info['name'], remote, exc))

    alive = None
    leader_status = leader.status if leader else None
    if leader is not None:
        leader_status, alive = prove_liveness(cmds, leader)
        if leader is view:
            view.status = leader_status
    judged = leader_status if leader else view.status
    health = assess_health(judged, p['expected_addresses'], p['stale_factor'],
                           server_row if judged is view.status else None, alive=alive)
    module.exit_json(changed=False, status=view.status, leader_status=leader_status,
                     server_row=server_row, health=health, views=[v.as_dict() for v in views])


if __name__ == '__main__':
    main()
