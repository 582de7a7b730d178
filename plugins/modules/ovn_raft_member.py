#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ovn_raft_member
short_description: Remove or add a member of a clustered OVN database (OVSDB raft) safely
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - O(state=absent) removes a server, named by O(server_id) or O(address), from the raft cluster of an OVN Northbound
    or Southbound database. It uses C(cluster/leave) when it holds the control socket of that server itself, else
    C(cluster/kick). It then waits until the leader has committed the removal and checks, after a hold time, that the
    removal held (a kick can be dropped silently after a re-election).
  - Before any change it refuses, changing nothing, when there is no leader, when log entries stay uncommitted for
    O(settle_timeout) seconds, when fewer than a majority of members are live, or when the removal would leave fewer live
    members than the new majority (kicking a live member while another is down loses quorum).
  - A member counts as live only when the leader has an established raft connection from it (the C(Connections:) line of
    C(cluster/status); a member whose process died loses it within milliseconds) and the leader received a message from it
    after the module started looking (it samples the leader for up to two heartbeats, two thirds of the election timer, plus
    half a second). A member that died a moment ago, or whose liveness cannot be confirmed in that time, is not counted.
  - A full server UUID in O(server_id) must match a member exactly; since C(cluster/status) shows other members by their
    4-digit prefix only, it is verified through the member's own control socket (O(ctl) or O(peer_ctls)), else refused.
    A short id shared by several members is refused.
  - A failure after the module changed something (a kick or leave was accepted, a stale DB file moved, C(join-cluster) run)
    reports C(changed=true) and says what was done; the re-run it suggests continues from there.
  - O(state=present) makes the server at O(address) a member (host deployments). It runs C(ovsdb-tool join-cluster)
    with the cluster id and the remote list, starts the server with O(start_command), and waits until the new member
    has caught up with the leader's log. An old server id still registered at the same address is removed first
    when O(remove_stale=true) (otherwise the module refuses, since joining would leave two entries at that address); an
    existing DB file that is not a current member is moved aside only when O(wipe_stale_db=true).
  - Liveness is judged on the leader's view (only the leader tracks every member). When O(ctl) is a follower, give
    the other members' control sockets in O(peer_ctls), or run the module on the leader's host.
extends_documentation_fragment:
  - cni.ovs._attributes
  - cni.ovs._attributes.ACTIONGROUP_OVS
  - cni.ovs.raft
options:
  state:
    description: Whether the server must be a member (V(present)) or not (V(absent)).
    type: str
    choices: [absent, present]
    default: present
  server_id:
    description:
      - The server to remove, as the 4-hex-digit short id printed by C(cluster/status) or the full server UUID.
      - Only with O(state=absent).
    type: str
  address:
    description:
      - With O(state=absent), the server to remove, as a raft address (V(tcp:172.18.0.5:6643)) or a bare IP.
        When two servers share that address, the module fails and lists their ids; use O(server_id).
      - With O(state=present), the raft address of the new member (V(tcp:<ip>:<port>) or V(ssl:<ip>:<port>)).
    type: str
  method:
    description:
      - How to remove a server. V(auto) uses C(cluster/leave) when O(ctl) or one of O(peer_ctls) is the server itself,
        else C(cluster/kick). V(kick) always kicks; V(leave) requires the server's own control socket.
    type: str
    choices: [auto, kick, leave]
    default: auto
  backup:
    description:
      - With O(state=absent), save a standalone copy of O(db_file) (C(ovsdb-tool cluster-to-standalone)) in
        O(backup_dir), mode 0600, before changing anything. The path is returned in RV(backup_file).
    type: bool
    default: false
  backup_dir:
    description: Directory for O(backup). Defaults to the directory of O(db_file).
    type: path
  db_file:
    description:
      - With O(state=absent) and O(backup), the clustered DB file of the member at O(ctl) (Kube-OVN on the host
        C(/etc/origin/ovn/ovnnb_db.db)).
      - With O(state=present), the DB file of the new member, created by C(ovsdb-tool join-cluster).
    type: path
  new_ctl:
    description: With O(state=present), the control socket the new member's C(ovsdb-server) listens on.
    type: path
  start_command:
    description:
      - With O(state=present), the argv that starts the new member's C(ovsdb-server) (it must return once the server
        runs, for example with C(--detach)), such as C(ovn-ctl start_nb_ovsdb ...) or C(ovsdb-server --detach ...).
      - Run without a shell.
    type: list
    elements: str
  remotes:
    description:
      - With O(state=present), raft addresses of existing members given to C(join-cluster). Defaults to every member
        of the leader's view except those at O(address).
    type: list
    elements: str
  remove_stale:
    description:
      - With O(state=present), remove old server ids registered at O(address) (a replaced server) before joining.
    type: bool
    default: false
  wipe_stale_db:
    description:
      - With O(state=present), move an existing O(db_file) that does not belong to a current member aside
        (renamed to C(<db_file>.stale-<UTC time>), mode 0600) before joining. A server restarted on such a file
        (for example one kicked while it was down) campaigns forever.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for a removal to be committed, or for a new member to catch up. A finite number, more than 0, at most 86400.
    type: raw
    default: 60
  settle_timeout:
    description: Seconds to wait for uncommitted entries to drain before refusing. A finite number from 0 to 3600.
    type: raw
    default: 5
  hold:
    description:
      - Seconds to watch a committed removal before declaring it held. Defaults to two election timers. A finite number from 0 to 3600.
    type: raw
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the server list of the leader before and after.
  idempotent:
    support: full
notes:
  - Needs C(ovsdb-tool) on the host. Paths must be absolute.
  - After a member was removed while it was down, wipe its DB file before that host serves again, or it campaigns forever.
seealso:
  - module: cni.ovs.ovn_cluster_info
  - name: ovsdb(7) clustered databases
    description: cluster/leave versus cluster/kick, join-cluster.
    link: https://docs.openvswitch.org/en/latest/ref/ovsdb.7/
"""

EXAMPLES = r"""
- name: Remove the NB member at 172.18.0.5 (seed 002), asked on the leader's host, with a backup first
  cni.ovs.ovn_raft_member:
    db: nb
    state: absent
    address: 172.18.0.5
    backup: true
    db_file: /etc/origin/ovn/ovnnb_db.db
    backup_dir: /root/ovn-backup

- name: Remove by server id (short or full)
  cni.ovs.ovn_raft_member:
    db: sb
    state: absent
    server_id: e9f7

- name: Join a new SB member on this host, replacing an old id at the same address
  cni.ovs.ovn_raft_member:
    db: sb
    state: present
    ctl: /run/ovn/s1.ctl
    address: tcp:198.18.0.13:6644
    db_file: /var/lib/ovn/ovnsb_db.db
    new_ctl: /run/ovn/ovnsb_db.ctl
    remove_stale: true
    wipe_stale_db: true
    start_command:
      - ovsdb-server
      - --detach
      - --no-chdir
      - --pidfile=/run/ovn/ovnsb_db.pid
      - --unixctl=/run/ovn/ovnsb_db.ctl
      - --remote=punix:/run/ovn/ovnsb_db.sock
      - /var/lib/ovn/ovnsb_db.db
"""

RETURN = r"""
action:
  description:
    - What was done or, in check mode, would be done (C(none), C(leave), C(kick), C(join), C(start), C(wait)).
    - C(start) also covers a DB file left by an earlier run whose start command failed (a join request that never ran).
    - C(wait) (the new server is already joining) changes nothing and reports C(changed=false).
  returned: success
  type: str
server_id:
  description: With O(state=absent), the short id removed (or that would be); with O(state=present), the new member's id.
  returned: when known
  type: str
removed:
  description: Short ids removed by this run (the target, or stale ids at the new member's address).
  returned: success
  type: list
  elements: str
elapsed_ms:
  description: Milliseconds from the request to the verified end state.
  returned: changed and not check mode
  type: int
backup_file:
  description: Standalone copy made before the removal (mode 0600), or the path the stale DB file was moved to.
  returned: when a backup was made or a stale file moved
  type: str
servers_before:
  description: Server list of the leader before the change (C(id), C(address)).
  returned: success
  type: list
  elements: dict
servers_after:
  description: Server list of the leader after the change.
  returned: changed and not check mode
  type: list
  elements: dict
msg:
  description: What was decided and why.
  returned: always
  type: str
"""

import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cni.ovs.plugins.module_utils._raft_health import (
    COMMON_NUMBERS, LivenessProof, RaftInputError, check_number, foreign_leaders, full_id, normalize_server_id,
    parse_address, pick_leader,
)
from ansible_collections.cni.ovs.plugins.module_utils._raft_plan import (
    caught_up, find_servers, plan_join, plan_removal, removal_done, resolve_target,
)
from ansible_collections.cni.ovs.plugins.module_utils._exec import CommandError, command_details, fail_command
from ansible_collections.cni.ovs.plugins.module_utils._raft_options import (
    RAFT_ARGSPEC, check_path, check_raft_options, check_raft_sockets, fail_input,
)
from ansible_collections.cni.ovs.plugins.module_utils._raft_runner import RaftCommands


def _servers(status):
    return [{'id': s['id'], 'address': s['address']} for s in (status or {}).get('servers') or []]


def _seen(views):
    return [(v.ctl, v.status and v.status.get('role'), v.status and [s['id'] for s in v.status['servers']], v.error) for v in views]


class RaftMember:
    """Drives one change; all commands go through ``self.cmds`` (whose ``_run`` tests patch)."""

    def __init__(self, module, info, ctl):
        self.module = module
        self.p = module.params
        self.db = info['name']
        self.ctl = ctl
        self.ctls = [ctl] + [c for c in self.p['peer_ctls'] if c != ctl]
        self.cmds = RaftCommands(self.db)
        self.sleep = time.sleep
        self.clock = time.monotonic
        self.cmds.clock = self.now
        self.done = []
        self.cluster_id = None  # full UUID of the cluster ctl belongs to, learnt from its first view

    def now(self):
        """``self.clock()``, looked up at call time (tests replace ``clock``)."""
        return self.clock()

    def fail(self, msg, changed=False, **kw):
        self.module.fail_json(msg='%s: %s' % (self.db, msg), changed=changed, **kw)

    def views(self, exclude_id=None):
        out = []
        for c in self.ctls:
            v = self.cmds.view(c)
            if exclude_id and v.status and v.status.get('server_id') == exclude_id:
                continue
            out.append(v)
        return out

    def leader_of(self, views):
        """The leader among ``views`` of the cluster ``ctl`` belongs to (the one rule, ``pick_leader``), or None.

        Fails, naming both cluster ids, when the only leader seen leads another cluster
        (a control socket of another cluster in peer_ctls): nothing is decided on its view.
        """
        statuses = [v.status for v in views]
        if self.cluster_id is None:
            own = [v.status for v in views if v.ctl == self.ctl and v.status]
            self.cluster_id = full_id(own[0], 'cluster_id') if own else None
        i = pick_leader(statuses, self.cluster_id)
        if i is None:
            foreign = foreign_leaders(statuses, self.cluster_id)
            if foreign:
                other = views[foreign[0]]
                told = ('Done so far: %s.' % '; '.join(self.done)) if self.done else 'Nothing was changed.'
                self.fail('the only leader seen, server %s through %s, leads cluster %s, but ctl %s is a member of cluster %s: '
                          'a control socket of another cluster was given. Give ctl and peer_ctls of one cluster. %s'
                          % (full_id(other.status, 'server_id'), other.ctl, full_id(other.status, 'cluster_id'), self.ctl,
                             self.cluster_id, told), changed=bool(self.done))
        return None if i is None else views[i]

    def settled_leader(self):
        """Leader view with no uncommitted entries, re-sampled for up to settle_timeout seconds."""
        deadline = self.clock() + self.p['settle_timeout']
        while True:
            views = self.views()
            leader = self.leader_of(views)
            if leader is None or not leader.status.get('entries_not_committed') or self.clock() >= deadline:
                return views, leader
            self.sleep(0.05)

    # ---- absent ------------------------------------------------------------
    def prove(self, leader, target):
        """Sample the leader until every other member is proven live or lost (and entries settle); returns (view, proof)."""
        proof = LivenessProof(self.clock())
        settle_until = proof.started + self.p['settle_timeout']
        view = leader
        while True:
            view = self.cmds.view(leader.ctl)
            st = view.status
            if (not st or st.get('role') != 'leader' or st.get('status') != 'cluster member'
                    or st.get('server_id') != leader.status.get('server_id') or st.get('term') != leader.status.get('term')):
                self.fail('the leader %s changed or stopped answering while the liveness of the members was being confirmed '
                          '(%s). Nothing was changed; re-run once the cluster has a stable leader.'
                          % (leader.status.get('server_id'), view.error or '%s in term %s' % (st.get('role'), st.get('term'))))
            proof.add(st, view.sampled_at)
            others = [s['id'] for s in st['servers'] if s['id'] != target]
            now = self.clock()
            proven = not proof.undecided(others) or now >= proof.deadline()
            settled = not st.get('entries_not_committed') or now >= settle_until
            if proven and settled:
                return view, proof
            self.sleep(0.05)

    def remove(self, views, leader, target, method, name=None):
        """Plan, refuse or run one removal; returns (changed, result dict).  ``name`` is what cluster/kick gets."""
        own = [v for v in views if v.status and v.status.get('server_id') == target
               and v.status.get('server_id_full', '').startswith(target) and v.status.get('status') == 'cluster member']
        if name and len(name) > 4:
            own = [v for v in own if v.status.get('server_id_full') == name]
        local_id = target if own else (views[0].status or {}).get('server_id')
        plan = plan_removal(leader.status, target, local_id=local_id, method=method, stale_factor=self.p['stale_factor'])
        res = {'action': plan['action'], 'server_id': target, 'msg': plan['reason'], 'servers_before': _servers(leader.status)}
        if plan['action'] == 'none':
            return False, res
        if plan['action'] == 'refuse':
            self.fail('refusing to remove %s: %s. Nothing was changed; fix the cluster (see ovn_cluster_info) and re-run.'
                      % (target, plan['reason']), servers=_servers(leader.status))
        # One sample is not enough: a member killed a moment ago can still look fresh. Prove liveness over time.
        lview, proof = self.prove(leader, target)
        plan = plan_removal(lview.status, target, local_id=local_id, method=method, stale_factor=self.p['stale_factor'],
                            alive=proof.alive())
        res.update(action=plan['action'], msg=plan['reason'], servers_before=_servers(lview.status))
        if plan['action'] == 'none':
            return False, res
        if plan['action'] == 'refuse':
            unsure = proof.undecided([s['id'] for s in lview.status['servers'] if s['id'] != target])
            lost = sorted(proof.lost)
            self.fail('refusing to remove %s: %s (lost: %s; not heard from by the leader within %.1fs: %s). Nothing was changed; '
                      'fix the cluster (see ovn_cluster_info) and re-run.'
                      % (target, plan['reason'], ', '.join(lost) or 'none', proof.deadline() - proof.started,
                         ', '.join(unsure) or 'none'), servers=_servers(lview.status))
        if self.module.check_mode:
            return True, res
        start = self.clock()
        if plan['action'] == 'leave':
            self.cmds.leave(own[0].ctl)
            sent = 'cluster/leave was sent through %s' % own[0].ctl
        else:
            via = lview if lview.status.get('server_id') != target else None
            if via is None:
                others = [v for v in views if v.status and v.status.get('server_id') != target and v.status.get('status') == 'cluster member']
                via = others[0] if others else lview
            self.cmds.kick(via.ctl, name or target)
            sent = 'cluster/kick %s was accepted by %s' % (name or target, via.ctl)
        after = self.verify_removed(target, lview.status.get('election_timer') or 1000, sent)
        res.update(elapsed_ms=int((self.clock() - start) * 1000), servers_after=_servers(after))
        return True, res

    def verify_removed(self, target, timer_ms, sent):
        deadline = self.clock() + self.p['timeout']
        last = None
        while True:
            views = self.views(exclude_id=target)
            done = [v for v in views if v.status and removal_done(v.status, target)]
            lead = [v for v in done if v.status.get('role') == 'leader']
            if lead or done:
                last = (lead or done)[0]
                break
            if self.clock() >= deadline:
                self.fail('%s, but the removal of %s is not committed after %ss: it may have been dropped (quorum lost, '
                          're-election), so the cluster may still list %s. The request changed the cluster state; check it with '
                          'ovn_cluster_info and re-run once there is a leader (a re-run removes %s if it is still listed). Views: %s'
                          % (sent, target, self.p['timeout'], target, target, _seen(views)), changed=True, server_id=target)
            self.sleep(0.02)
        hold = self.p['hold'] if self.p['hold'] is not None else 2.0 * timer_ms / 1000.0
        if hold > 0:
            self.sleep(hold)
            views = self.views(exclude_id=target)
            ok = [v for v in views if v.status and removal_done(v.status, target)]
            if not ok:
                self.fail('%s and the removal of %s was committed, but it did not hold for %ss (dropped after a re-election, or no '
                          'member answers). Check with ovn_cluster_info and re-run once there is a leader. Views: %s'
                          % (sent, target, hold, _seen(views)), changed=True, server_id=target)
            lead = [v for v in ok if v.status.get('role') == 'leader']
            last = (lead or ok)[0]
        return last.status

    def absent(self):
        views, leader = self.settled_leader()
        local = views[0]
        if local.status is None and not local.not_member:
            self.fail('%s. Nothing was changed.' % local.error)
        known = dict((v.status['server_id'], v.status['server_id_full']) for v in views
                     if v.status and v.status.get('server_id_full') and v.status.get('status') == 'cluster member')
        if leader is None:
            if local.status and local.status.get('leader_id'):
                # A follower knows the configuration: enough to say "already absent".
                tgt = self.resolve(local.status, known)
                if tgt['id'] is None:
                    return dict(changed=False, action='none', removed=[], servers_before=_servers(local.status),
                                msg='%s: %s in the configuration known to %s' % (self.name(), tgt['reason'], local.status['server_id']))
            self.fail('no leader view: %s is %s and none of peer_ctls is the leader. Liveness of the other members can only '
                      'be judged on the leader: run on the leader host or give its control socket in peer_ctls. Nothing was changed.'
                      % (self.ctl, local.error or local.status.get('role')))
        tgt = self.resolve(leader.status, known)
        tid = tgt['id']
        if tid is None:
            return dict(changed=False, action='none', removed=[], servers_before=_servers(leader.status),
                        msg='%s is not a member of cluster %s: %s' % (self.name(), leader.status.get('cluster_id'), tgt['reason']))
        backup_file = None
        if self.p['backup'] and not self.module.check_mode:
            plan = plan_removal(leader.status, tid, method=self.p['method'], stale_factor=self.p['stale_factor'])
            if plan['action'] == 'refuse':
                self.fail('refusing to remove %s: %s. Nothing was changed.' % (tid, plan['reason']))
            backup_file = self.backup(leader.status)
        changed, res = self.remove(views, leader, tid, self.p['method'], tgt['name'])
        res.update(changed=changed, removed=[tid] if changed else [])
        if backup_file:
            res['backup_file'] = backup_file
        if changed and self.module._diff:
            res['diff'] = {'before': '\n'.join('%(id)s %(address)s' % s for s in res['servers_before']) + '\n',
                           'after': '\n'.join('%(id)s %(address)s' % s for s in res.get('servers_after', [s for s in res['servers_before']
                                                                                                          if s['id'] != tid])) + '\n'}
        return res

    def name(self):
        return 'server_id %s' % self.p['server_id'] if self.p['server_id'] else 'address %s' % self.p['address']

    def resolve(self, status, known):
        try:
            return resolve_target(status, server_id=self.p['server_id'], address=self.p['address'], known_full_ids=known)
        except RaftInputError as exc:
            self.fail('%s. Nothing was changed.' % exc, servers=_servers(status))

    def backup(self, status):
        db_file = self.p['db_file']
        if not os.path.isfile(db_file):
            self.fail('backup requested but db_file %s does not exist. Nothing was changed.' % db_file)
        bdir = self.p['backup_dir'] or os.path.dirname(db_file)
        if not os.path.isdir(bdir):
            self.fail('backup_dir %s is not a directory. Nothing was changed.' % bdir)
        dest = os.path.join(bdir, '%s-%s-%s.standalone.db' % (self.db, status.get('cluster_id'), time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())))
        try:
            return self.cmds.backup(db_file, dest)
        except CommandError as exc:
            self.fail('backup of %s failed: %s. Nothing was changed.' % (db_file, exc), **command_details(exc))

    # ---- present -----------------------------------------------------------
    def present(self):
        p = self.p
        views, leader = self.settled_leader()
        if leader is None:
            self.fail('no leader among %s (%s); a member can only join a cluster with a leader. Nothing was changed.'
                      % (', '.join(self.ctls), '; '.join('%s: %s' % (v.ctl, v.error or v.status.get('role')) for v in views)))
        nv = self.cmds.view(p['new_ctl'])
        new_status = nv.status if nv.status else ({'status': 'unknown cluster'} if nv.not_member else None)
        if nv.error and not nv.missing and not nv.not_member:
            self.fail('the new member\'s socket %s answers but: %s. Nothing was changed.' % (p['new_ctl'], nv.error))
        exists = os.path.exists(p['db_file'])
        sid = cid = None
        fresh = False
        if exists:
            sid, cid = self.cmds.db_ids(p['db_file'])
            local = self.cmds.fresh_join_address(p['db_file']) if sid else None
            fresh = local is not None and find_servers({'servers': [{'id': '-', 'address': local}]}, address=p['address']) != []
        plan = plan_join(leader.status, p['address'], new_status, sid, cid, p['remove_stale'], p['wipe_stale_db'], exists, fresh)
        res = {'action': plan['action'], 'msg': plan['reason'], 'servers_before': _servers(leader.status),
               'server_id': plan.get('new_server_id'), 'removed': []}
        if plan['action'] == 'refuse':
            self.fail('refusing to join %s: %s. Nothing was changed.' % (p['address'], plan['reason']), servers=_servers(leader.status))
        if plan['action'] in ('join', 'start') and not p['start_command']:
            self.fail('%s needs start_command to start the new member. Nothing was changed.' % plan['reason'])
        if plan['action'] in ('none', 'wait') and not plan['remove']:
            # "wait": the server is already joining; nothing to change, only wait for it.
            if plan['action'] == 'wait' and not self.module.check_mode:
                new = self.wait_caught_up([])
                res.update(server_id=new['server_id'], msg='%s; it caught up' % plan['reason'])
            res['changed'] = False
            return res
        if self.module.check_mode:
            res.update(changed=True, removed=plan['remove'])
            return res
        start = self.clock()
        done = self.done
        for old in plan['remove']:
            views, leader = self.settled_leader()
            if leader is None:
                self.fail('lost the leader while removing stale ids; done so far: %s. Re-run once there is a leader.'
                          % ('; '.join(done) or 'nothing'), changed=bool(done), removed=res['removed'])
            ch, _r = self.remove(views, leader, old, 'kick')
            if ch:
                res['removed'].append(old)
                done.append('removed stale id %s' % old)
        if plan['wipe']:
            dest = '%s.stale-%s' % (p['db_file'], time.strftime('%Y%m%dT%H%M%SZ', time.gmtime()))
            try:
                os.rename(p['db_file'], dest)
                os.chmod(dest, 0o600)
            except OSError as exc:
                self.fail('moving the stale DB file %s aside failed: %s; done so far: %s.' % (p['db_file'], exc, '; '.join(done) or 'nothing'),
                          changed=bool(done), removed=res['removed'])
            res['backup_file'] = dest
            done.append('moved the stale DB file %s to %s' % (p['db_file'], dest))
        if plan['action'] == 'join':
            views, leader = self.settled_leader()
            if leader is None:
                self.fail('lost the leader before join-cluster; done so far: %s. Re-run once there is a leader.'
                          % ('; '.join(done) or 'nothing'), changed=bool(done), removed=res['removed'], backup_file=res.get('backup_file'))
            remotes = p['remotes'] or [s['address'] for s in leader.status['servers']
                                       if not find_servers({'servers': [s]}, address=p['address'])]
            try:
                self.cmds.join(p['db_file'], p['address'], remotes, leader.status.get('cluster_id_full'))
            except CommandError as exc:
                self.fail('join-cluster failed: %s. Done so far: %s. Nothing else was changed; remove a partial %s if one '
                          'was left, then re-run.' % (exc, '; '.join(done) or 'nothing', p['db_file']),
                          changed=bool(done), removed=res['removed'], backup_file=res.get('backup_file'), **command_details(exc))
            done.append('join-cluster wrote %s (a join request of %s that runs when the server starts)' % (p['db_file'], p['address']))
        try:
            self.cmds.start(p['start_command'])
        except CommandError as exc:
            self.fail('%s. Done so far: %s. The new server is not running and not yet a member; fix start_command and re-run: '
                      'the re-run starts the server on %s.' % (exc, '; '.join(done) or 'nothing', p['db_file']),
                      changed=bool(done), removed=res['removed'], backup_file=res.get('backup_file'), **command_details(exc))
        done.append('started the server')
        new = self.wait_caught_up(done)
        res.update(changed=True, server_id=new['server_id'], elapsed_ms=int((self.clock() - start) * 1000))
        _v, leader = self.settled_leader()
        res['servers_after'] = _servers(leader.status if leader else new)
        return res

    def wait_caught_up(self, done):
        deadline = self.clock() + self.p['timeout']
        target = None
        nv = None
        while self.clock() < deadline:
            nv = self.cmds.view(self.p['new_ctl'])
            if nv.status and nv.status.get('status') == 'cluster member' and nv.status.get('leader_id'):
                if target is None:
                    leader = self.leader_of(self.views())
                    if leader is not None and any(s['id'] == nv.status['server_id'] for s in leader.status['servers']):
                        target = leader.status['log_next_index']
                if target is not None and caught_up(nv.status, target):
                    return nv.status
            self.sleep(0.02)
        self.fail('the new member at %s did not catch up within %ss (last status: %s). Done so far: %s; check its log, then re-run.'
                  % (self.p['address'], self.p['timeout'], nv.status if nv and nv.status else (nv.error if nv else None),
                     '; '.join(done) or 'nothing'), changed=bool(done))
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            RAFT_ARGSPEC,
            state=dict(type='str', choices=['absent', 'present'], default='present'),
            server_id=dict(type='str'),
            address=dict(type='str'),
            method=dict(type='str', choices=['auto', 'kick', 'leave'], default='auto'),
            backup=dict(type='bool', default=False),
            backup_dir=dict(type='path'),
            db_file=dict(type='path'),
            new_ctl=dict(type='path'),
            start_command=dict(type='list', elements='str'),
            remotes=dict(type='list', elements='str'),
            remove_stale=dict(type='bool', default=False),
            wipe_stale_db=dict(type='bool', default=False),
            timeout=dict(type='raw', default=60),
            settle_timeout=dict(type='raw', default=5),
            hold=dict(type='raw'),
        ),
        mutually_exclusive=[('server_id', 'address')],
        required_if=[
            ('state', 'absent', ('server_id', 'address'), True),
            ('state', 'present', ('address', 'db_file', 'new_ctl')),
            ('backup', True, ('db_file',)),
        ],
        supports_check_mode=True,
    )
    p = module.params
    try:
        info, ctl = check_raft_options(p)
        for key in ('timeout', 'settle_timeout', 'hold'):
            low, low_ok, high = COMMON_NUMBERS[key]
            p[key] = check_number(key, p[key], low, low_ok, high)
        if p['server_id'] is not None:
            if p['state'] == 'present':
                raise RaftInputError('server_id is only for state=absent; a new member gets its id from join-cluster')
            normalize_server_id(p['server_id'])
        if p['address'] is not None:
            a = parse_address(p['address'])
            if p['state'] == 'present' and a['proto'] is None:
                raise RaftInputError('address %r must be a raft address such as tcp:172.18.0.5:6643 to join' % p['address'])
        for r in p['remotes'] or []:
            if parse_address(r)['proto'] is None:
                raise RaftInputError('remote %r must be a raft address such as tcp:172.18.0.3:6643' % r)
        if p['start_command'] is not None and (not p['start_command'] or not all(isinstance(a, str) and a for a in p['start_command'])):
            raise RaftInputError('start_command must be a non-empty list of non-empty strings (an argv), got %r' % (p['start_command'],))
        if p['start_command'] and p['start_command'][0].startswith('-'):
            raise RaftInputError('start_command must start with the program to run, got %r' % (p['start_command'][0],))
        for name, val in [('db_file', p['db_file']), ('new_ctl', p['new_ctl']), ('backup_dir', p['backup_dir'])]:
            check_path(name, val)
        check_raft_sockets(info, ctl, p['peer_ctls'])
    except RaftInputError as exc:
        fail_input(module, exc)
    if p['state'] == 'absent' and p['backup']:
        if not os.path.isfile(p['db_file']):
            module.fail_json(msg='backup requested but db_file %s does not exist or is not a file. Nothing was changed.' % p['db_file'])
        bdir = p['backup_dir'] or os.path.dirname(p['db_file'])
        if not os.path.isdir(bdir):
            module.fail_json(msg='backup_dir %s is not a directory. Nothing was changed.' % bdir)
        try:
            probe = tempfile.NamedTemporaryFile(dir=bdir, prefix='.cniovs-probe-')
            probe.close()
        except OSError as exc:
            module.fail_json(msg='backup_dir %s is not writable: %s. Nothing was changed.' % (bdir, exc))
    if p['state'] == 'present':
        ddir = os.path.dirname(p['db_file'])
        if not os.path.isdir(ddir):
            module.fail_json(msg='db_file %s: directory %s does not exist. Nothing was changed.' % (p['db_file'], ddir))
        if os.path.isdir(p['db_file']):
            module.fail_json(msg='db_file %s is a directory. Nothing was changed.' % p['db_file'])

    member = RaftMember(module, info, ctl)
    try:
        result = member.absent() if p['state'] == 'absent' else member.present()
    except CommandError as exc:
        told = ('Done before: %s.' % '; '.join(member.done)) if member.done else 'Nothing was changed.'
        fail_command(module, exc, prefix=info['name'], suffix=told, changed=bool(member.done), commands=member.cmds.commands)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
