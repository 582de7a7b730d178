# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure planning of OVSDB raft membership changes: which member the user named, how to remove
it (or refuse), whether a removal is done, how to join a new member, whether it caught up.

No I/O here. Inputs are statuses parsed by ``_raft.parse_cluster_status``; liveness and
validation come from ``_raft_health``. ``ovn_raft_member`` runs the commands.
"""

from __future__ import annotations

from ansible_collections.cni.ovs.plugins.module_utils._raft_health import (
    RaftInputError, address_matches, member_liveness, normalize_server_id, parse_address,
)

__all__ = ['find_servers', 'resolve_target', 'plan_removal', 'removal_done', 'plan_join', 'caught_up']


def find_servers(status, server_id=None, address=None):
    """Servers of ``status`` matching a short server id or an address (full or bare IP).

    A full server UUID matches on its 4-digit prefix here; use
    :func:`resolve_target` to match it exactly.
    """
    if server_id is not None:
        short, full = normalize_server_id(server_id)
        found = [s for s in status.get('servers') or [] if s['id'] == short]
        if full and status.get('server_id') == short and status.get('server_id_full') not in (None, full):
            # The full id names a different server than the one answering, with the same 4-digit prefix.
            return [s for s in found if not s['self']]
        return found
    wanted = parse_address(address)
    return [s for s in status.get('servers') or [] if address_matches(wanted, s['address'])]


def resolve_target(status, server_id=None, address=None, known_full_ids=None):
    """Which member of ``status`` the user named, exactly.

    ``known_full_ids`` maps short ids to the full server UUIDs learnt from the
    members' own ``cluster/status`` (``Server ID:`` lines): ``cluster/status``
    shows other members by their 4-digit prefix only.  Returns ``{'id': short
    or None, 'name': what to pass to cluster/kick, 'reason': str}`` with
    ``id`` None when no member matches; raises :class:`RaftInputError` when
    the name is ambiguous or a full id cannot be verified.
    """
    known = dict(known_full_ids or {})
    if status.get('server_id') and status.get('server_id_full'):
        known[status['server_id']] = status['server_id_full']
    servers = status.get('servers') or []
    if server_id is None:
        found = find_servers(status, address=address)
        if len(found) > 1:
            raise RaftInputError('address %r is held by several servers (%s); name the one to remove with server_id'
                                 % (address, ', '.join(s['id'] for s in found)))
        if not found:
            return {'id': None, 'name': None, 'reason': 'no member at address %s' % address}
        sid = found[0]['id']
        return {'id': sid, 'name': known.get(sid, sid), 'reason': 'member %s is at %s' % (sid, found[0]['address'])}
    short, full = normalize_server_id(server_id)
    found = [s for s in servers if s['id'] == short]
    if not found:
        return {'id': None, 'name': None, 'reason': 'no member has server id %s' % server_id}
    if len(found) > 1:
        if full is None:
            raise RaftInputError('server_id %r is ambiguous: %d members share that short id (at %s); give the full server UUID'
                                 % (server_id, len(found), ', '.join(s['address'] for s in found)))
        raise RaftInputError('server_id %r: %d members share the prefix %s and cluster/status shows only prefixes; '
                             'remove it through its own control socket (cluster/leave) or by address'
                             % (server_id, len(found), short))
    if full is None:
        return {'id': short, 'name': known.get(short, short), 'reason': 'member %s' % short}
    if short not in known:
        raise RaftInputError('server_id %r cannot be verified: member %s shares its first 4 digits, but cluster/status shows '
                             'other members by that prefix only; give the control socket of %s in ctl or peer_ctls, '
                             'or use the short id %s' % (server_id, short, short, short))
    if known[short] != full:
        return {'id': None, 'name': None,
                'reason': 'no member has server id %s (member %s is %s)' % (full, short, known[short])}
    return {'id': short, 'name': full, 'reason': 'member %s' % full}


def plan_removal(leader_status, target_id, local_id=None, method='auto', stale_factor=3.0, alive=None):
    """Decide how to remove ``target_id`` given the leader's view.

    Returns ``{'action': 'none'|'leave'|'kick'|'refuse', 'reason': str, ...}``.
    ``leave`` is chosen when the target is the member whose control socket we
    hold (``local_id``) and ``method`` is ``auto``/``leave``.  Refuses when
    there is no leader, entries are uncommitted, the cluster has no live
    majority now, or would have none after the removal.  ``alive`` is the set
    of ids a :class:`LivenessProof` confirmed; without it one sample decides.
    """
    if leader_status.get('role') != 'leader' or leader_status.get('status') != 'cluster member':
        return {'action': 'refuse', 'reason': 'no leader view: the server asked is %s (%s), not the leader'
                % (leader_status.get('role'), leader_status.get('status'))}
    servers = leader_status['servers']
    ids = [s['id'] for s in servers]
    if target_id not in ids:
        return {'action': 'none', 'reason': 'server %s is not a member of %s' % (target_id, leader_status.get('name'))}
    if leader_status.get('entries_not_committed'):
        return {'action': 'refuse', 'reason': '%d log entries are not yet committed on the leader %s'
                % (leader_status['entries_not_committed'], leader_status['server_id'])}
    live = member_liveness(leader_status, stale_factor)
    connected = set(m['id'] for m in live if m['connected'])
    if alive is not None:
        connected &= set(alive)
    n = len(servers)
    majority_now = n // 2 + 1
    if len(connected) < majority_now:
        return {'action': 'refuse', 'reason': 'only %d of %d members are confirmed live by the leader (%s); a change needs %d'
                % (len(connected), n, ', '.join(sorted(connected)), majority_now)}
    remaining = [i for i in ids if i != target_id]
    if not remaining:
        return {'action': 'refuse', 'reason': 'server %s is the last member of the cluster' % target_id}
    majority_after = len(remaining) // 2 + 1
    live_after = [i for i in remaining if i in connected]
    if len(live_after) < majority_after:
        down = [i for i in remaining if i not in connected]
        return {'action': 'refuse', 'reason': 'removing %s would leave %d confirmed live of %d members (%s down or not confirmed live), '
                'below the majority of %d' % (target_id, len(live_after), len(remaining), ', '.join(down), majority_after)}
    if method == 'leave' and target_id != local_id:
        return {'action': 'refuse', 'reason': 'method leave needs the control socket of %s itself' % target_id}
    action = 'leave' if (target_id == local_id and method in ('auto', 'leave')) else 'kick'
    return {'action': action, 'reason': 'server %s can be removed: %d of %d remaining members connected, majority %d'
            % (target_id, len(live_after), len(remaining), majority_after),
            'target_connected': target_id in connected}


def removal_done(view, target_id):
    """Whether ``view`` (a parsed status of a member other than the target) shows the removal committed.

    True when the view knows a leader other than the target, the target is not
    in its server list and no entries are left uncommitted.
    """
    if view is None or view.get('status') != 'cluster member':
        return False
    if not view.get('leader_id') or view.get('leader_id') == target_id:
        return False
    if view.get('entries_not_committed'):
        return False
    return all(s['id'] != target_id for s in view.get('servers') or [])


def plan_join(leader_status, address, new_status=None, db_file_sid=None, db_file_cid=None,
              remove_stale=False, wipe_stale_db=False, db_file_exists=False, db_file_fresh=False):
    """Decide how to make the server at ``address`` a member.

    ``new_status`` is the parsed status of the server answering on the new
    member's control socket (None when nothing answers, ``{'status': 'unknown cluster'}``
    style dicts are accepted too); ``db_file_sid``/``db_file_cid`` are what
    ``ovsdb-tool db-sid``/``db-cid`` say about the new member's DB file, and
    ``db_file_fresh`` whether that file is a join request that never ran (only
    the header written by ``join-cluster``, as a failed start leaves it).

    Returns ``{'action': 'none'|'join'|'start'|'wait'|'refuse', 'remove': [ids], 'wipe': bool, 'reason'}``.
    """
    wanted = parse_address(address)
    if wanted['proto'] is None:
        raise RaftInputError('address %r must be a full raft address such as tcp:172.18.0.5:6643 to join' % address)
    if leader_status.get('role') != 'leader' or leader_status.get('status') != 'cluster member':
        return {'action': 'refuse', 'remove': [], 'wipe': False,
                'reason': 'no leader view: the server asked is %s (%s), not the leader' % (leader_status.get('role'), leader_status.get('status'))}
    at_addr = [s['id'] for s in leader_status['servers'] if address_matches(wanted, s['address'])]
    cid = leader_status.get('cluster_id_full')
    new_sid = None
    if new_status and new_status.get('server_id') and new_status.get('cluster_id_full') in (None, cid):
        new_sid = new_status['server_id']
    res = {'action': 'none', 'remove': [], 'wipe': False, 'member_ids_at_address': at_addr, 'new_server_id': new_sid}
    if new_sid and new_sid in at_addr:
        stale = [i for i in at_addr if i != new_sid]
        res['remove'] = stale
        if stale and not remove_stale:
            res.update(action='refuse', reason='server %s at %s is a member, but old server id(s) %s share its address; '
                       'set remove_stale: true to remove them' % (new_sid, address, ', '.join(stale)))
            return res
        res['reason'] = 'server %s at %s is already a member' % (new_sid, address)
        return res
    if new_status is not None and new_status.get('status') == 'joining cluster' and new_status.get('server_id'):
        res.update(action='wait', reason='server %s at %s is still joining cluster %s' % (new_status['server_id'], address, leader_status.get('cluster_id')))
        return res
    if new_status is not None:
        res.update(action='refuse', reason='a server answers on the new member\'s control socket (server %s, status %s) but is not a member '
                   'at %s of cluster %s; stop it first (a server kicked while down and restarted on its old file campaigns forever), '
                   'then re-run with wipe_stale_db: true'
                   % (new_status.get('server_id'), new_status.get('status'), address, leader_status.get('cluster_id')))
        return res
    if db_file_exists and db_file_sid and db_file_sid[:4] in at_addr and db_file_cid in (None, cid):
        # The member exists and its file is intact; it is only down: start it, remove nothing.
        res.update(action='start', reason='server %s at %s is a member whose server is down; starting it' % (db_file_sid[:4], address))
        res['remove'] = [i for i in at_addr if i != db_file_sid[:4]]
        if res['remove'] and not remove_stale:
            res.update(action='refuse', reason='old server id(s) %s share address %s with %s; set remove_stale: true'
                       % (', '.join(res['remove']), address, db_file_sid[:4]))
        return res
    if at_addr and not remove_stale:
        res.update(action='refuse', remove=at_addr, reason='address %s is held by old server id(s) %s in cluster %s; joining now would leave '
                   'two entries at that address: set remove_stale: true to remove them first' % (address, ', '.join(at_addr), leader_status.get('cluster_id')))
        return res
    res['remove'] = at_addr
    live = set(m['id'] for m in member_liveness(leader_status) if m['connected'])
    remaining = [s['id'] for s in leader_status['servers'] if s['id'] not in at_addr]
    live_remaining = [i for i in remaining if i in live]
    needed = (len(remaining) + 1) // 2 + 1
    if len(live_remaining) < needed:
        res.update(action='refuse', reason='only %d of the %d members that stay are connected to the leader; with the new member the '
                   'cluster needs %d: bring the down members back or remove them first' % (len(live_remaining), len(remaining), needed))
        return res
    if (db_file_exists and db_file_fresh and db_file_sid and db_file_sid[:4] not in at_addr
            and db_file_cid in (None, cid) and not at_addr):
        # join-cluster ran but the server never started (a failed start_command): start it, it joins.
        res.update(action='start', reason='the DB file holds a join request of server %s for %s that never ran; starting it'
                   % (db_file_sid[:4], address))
        res['new_server_id'] = db_file_sid[:4]
        return res
    if db_file_exists:
        if not wipe_stale_db:
            res.update(action='refuse', reason='the DB file exists but is not a member of cluster %s (server id %s, cluster id %s); '
                       'set wipe_stale_db: true to move it aside' % (leader_status.get('cluster_id'), db_file_sid, db_file_cid))
            return res
        res['wipe'] = True
    res.update(action='join', reason='joining %s to cluster %s' % (address, leader_status.get('cluster_id')))
    return res


def caught_up(new_status, leader_next_index):
    """Whether the new member is a caught-up cluster member (its log reaches the leader's next index sampled earlier)."""
    if not new_status or new_status.get('status') != 'cluster member' or not new_status.get('leader_id'):
        return False
    if new_status.get('entries_not_applied'):
        return False
    return (new_status.get('log_next_index') or 0) >= leader_next_index
