# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The commands the raft modules run (``ovs-appctl``, ``ovsdb-client``, ``ovsdb-tool``).

Every command goes through the one runner, :class:`_exec.Runner` (argv list, ``LANG=C``;
unit tests patch :meth:`_exec.Runner.run`); a failing command raises :class:`_exec.CommandError`.
Decisions live in ``_raft_health`` (health) and ``_raft_plan`` (plans); parsing in ``_raft``.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time

from ansible_collections.cni.ovs.plugins.module_utils._exec import CommandError, Runner
from ansible_collections.cni.ovs.plugins.module_utils._raft import RaftStatusParseError, parse_cluster_status
from ansible_collections.cni.ovs.plugins.module_utils._raft_health import parse_server_row

__all__ = ['RaftCommands', 'View']


class View:
    """What one control socket said: ``status`` (parsed) or ``error`` (text), plus the raw text."""

    def __init__(self, ctl, status=None, error=None, text=None, missing=False, not_member=False, sampled_at=None):
        self.ctl = ctl
        self.sampled_at = sampled_at
        self.status = status
        self.error = error
        self.text = text
        self.missing = missing
        self.not_member = not_member

    def as_dict(self):
        return {'ctl': self.ctl, 'role': self.status.get('role') if self.status else None,
                'server_id': self.status.get('server_id') if self.status else None,
                'error': self.error}


class RaftCommands:
    """Runs the OVS tools for one database through ``runner`` (an :class:`_exec.Runner`)."""

    def __init__(self, db_name, runner=None, appctl='ovs-appctl', client='ovsdb-client', tool='ovsdb-tool'):
        self.runner = runner or Runner()
        self.db = db_name
        self.appctl = appctl
        self.client = client
        self.tool = tool
        self.clock = time.monotonic
        # a frozen member must not hang the module: ovs-appctl gives up after this many seconds
        self.appctl_timeout = 10

    @property
    def commands(self):
        """Every argv run so far, in order."""
        return self.runner.commands

    # ---- ovs-appctl ---------------------------------------------------------
    def view(self, ctl):
        """cluster/status through ``ctl``; never raises for the states a member can be in."""
        if not os.path.exists(ctl):
            return View(ctl, error='control socket %s does not exist (is ovsdb-server running there?)' % ctl, missing=True)
        if not stat.S_ISSOCK(os.stat(ctl).st_mode):
            return View(ctl, error='%s is not a socket' % ctl, missing=True)
        sampled_at = self.clock()
        rc, out, err = self.runner.run([self.appctl, '--timeout=%d' % self.appctl_timeout, '-t', ctl, 'cluster/status', self.db])
        text = out if out.strip() else err
        if rc != 0:
            both = (out + '\n' + err).strip()
            if 'unknown cluster' in both or 'unknown database' in both:
                return View(ctl, error='%s answers "unknown cluster" for %s: it is not (or no longer) a member' % (ctl, self.db),
                            text=both, not_member=True)
            return View(ctl, error='cluster/status %s through %s failed (rc=%d): %s' % (self.db, ctl, rc, both), text=both)
        try:
            return View(ctl, status=parse_cluster_status(out), text=out, sampled_at=sampled_at)
        except RaftStatusParseError as exc:
            return View(ctl, error='cannot parse cluster/status from %s: %s' % (ctl, exc), text=text)

    def kick(self, ctl, server):
        return self.runner.check([self.appctl, '--timeout=%d' % self.appctl_timeout, '-t', ctl, 'cluster/kick', self.db, server]).strip()

    def leave(self, ctl):
        return self.runner.check([self.appctl, '--timeout=%d' % self.appctl_timeout, '-t', ctl, 'cluster/leave', self.db]).strip()

    # ---- ovsdb-client -------------------------------------------------------
    def server_row(self, remote):
        query = json.dumps(['_Server', {'op': 'select', 'table': 'Database', 'where': [['name', '==', self.db]],
                                        'columns': ['name', 'model', 'connected', 'leader', 'index', 'cid', 'sid']}])
        out = self.runner.check([self.client, '--format=json', '--timeout=10', 'query', remote, query])
        return parse_server_row(out, self.db)

    # ---- ovsdb-tool ---------------------------------------------------------
    def db_ids(self, db_file):
        """(sid, cid) of a clustered DB file; cid None while it has not joined yet; (None, None) if not clustered."""
        rc, _o, _e = self.runner.run([self.tool, 'db-is-clustered', db_file])
        if rc != 0:
            return None, None
        sid = self.runner.check([self.tool, 'db-sid', db_file]).strip()
        rc, out, _e = self.runner.run([self.tool, 'db-cid', db_file])
        return sid, (out.strip() if rc == 0 else None)

    def fresh_join_address(self, db_file):
        """The local address of a DB file that holds only the join request written by join-cluster (never run), else None."""
        rc, out, _e = self.runner.run([self.tool, 'show-log', db_file])
        if rc != 0 or len(re.findall(r'^record \d+:', out, re.M)) != 1 or 'remote_addresses:' not in out:
            return None
        m = re.search(r'^ local address: "([^"]+)"', out, re.M)
        return m.group(1) if m else None

    def backup(self, db_file, dest):
        """Standalone copy of a clustered DB file, mode 0600."""
        old = os.umask(0o077)
        try:
            self.runner.check([self.tool, 'cluster-to-standalone', dest, db_file])
        finally:
            os.umask(old)
        os.chmod(dest, 0o600)
        return dest

    def join(self, db_file, address, remotes, cid=None):
        argv = [self.tool, 'join-cluster']
        if cid:
            argv.append('--cid=%s' % cid)
        argv += [db_file, self.db, address] + list(remotes)
        return self.runner.check(argv)

    def start(self, argv):
        rc, out, err = self.runner.run(list(argv))
        if rc != 0:
            raise CommandError(argv, rc, out, err, what='start_command %s' % ' '.join(argv))
