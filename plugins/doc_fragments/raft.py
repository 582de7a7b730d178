# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options shared by the raft modules ovn_raft_member and ovn_cluster_info (argument spec: module_utils/_raft_options.py)."""

    DOCUMENTATION = r"""
options:
  db:
    description:
      - V(nb), V(sb), or a full database name such as V(OVN_Northbound).
    type: str
    required: true
  ctl:
    description:
      - Control socket (C(ovsdb-server --unixctl)) of a member of the cluster on this host; it must exist and be a socket.
      - Defaults to the Kube-OVN layout for V(nb) and V(sb), C(/var/run/ovn/ovnnb_db.ctl) and C(/var/run/ovn/ovnsb_db.ctl);
        required for other databases.
      - An absolute path of at most 4096 characters.
    type: path
  peer_ctls:
    description:
      - Control sockets of other members of the same cluster reachable from this host, used to find the leader (only the leader
        knows the liveness of every member). A missing socket (a stopped member) is reported, not fatal.
      - A leader seen here that leads another cluster than O(ctl)'s is never used.
      - Absolute paths of at most 4096 characters.
    type: list
    elements: path
    default: []
  stale_factor:
    description:
      - A member is stale when the leader has not heard from it for more than this many election timers.
      - A finite number, more than 0, at most 1000.
    type: raw
    default: 3
notes:
  - Needs C(ovs-appctl) on the host.
  - The leader is chosen by one rule, on full server and cluster UUIDs; when several servers claim leadership the highest term
    wins, and two claims in one term give no leader.
"""
