# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real OVSDB raft clusters on 127.0.0.x for the raft fault and hostile tests.

Members are started by tests/lib/rl.sh (raftlab.sh): real
ovsdb-server processes serving OVN_Northbound, member i at tcp:127.0.0.<i>:<port>, files in a private
temp dir. ``RaftLab.close()`` stops every server it started (fixtures call it, also on failure).
Modules run in-process (``run_module``), so a test can patch the module's commands between phases.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RL = os.path.join(HERE, 'rl.sh')
NB = 'OVN_Northbound'
NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema'
ENV = dict(os.environ, LANG='C', LC_ALL='C')


def free_port(n):
    """A TCP port free on 127.0.0.1..n (tried by binding), chosen at random in 20000-29999."""
    import random
    for _attempt in range(200):
        port = random.randint(20000, 29999)
        socks = []
        try:
            for i in range(1, n + 1):
                s = socket.socket()
                socks.append(s)
                s.bind(('127.0.0.%d' % i, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError('no free port')


def parse_status(text):
    from ansible_collections.cni.ovs.plugins.module_utils._raft import parse_cluster_status
    return parse_cluster_status(text)


class RaftLab:
    """One real raft cluster of ``n`` members (names ``<prefix>1``..``<prefix>n``)."""

    def __init__(self, n, timer_ms=1000, prefix='n'):
        self.n = n
        self.prefix = prefix
        self.timer_ms = timer_ms
        self.dir = tempfile.mkdtemp(prefix='cniovs-raftlab-')
        self.port = free_port(n)
        r = subprocess.run(['bash', RL, self.dir, 'create', prefix, NB, NB_SCHEMA, str(self.port), str(n)],
                           env=ENV, capture_output=True, text=True, timeout=120, check=False)
        self.stopped = set()
        if r.returncode != 0:
            self.close()
            raise RuntimeError('rl.sh create failed: %s %s' % (r.stdout, r.stderr))
        try:
            self.set_timer(timer_ms)
        except Exception:
            self.close()
            raise

    def set_timer(self, timer_ms):
        """Raise the election timer in steps (OVS accepts at most doubling per change) and wait until every member has it."""
        current = 1000
        while current != timer_ms:
            step = min(timer_ms, current * 2)
            lead = self.wait_leader(10)
            r = self.appctl(lead, 'cluster/change-election-timer', NB, str(step))
            if r.returncode != 0:
                raise RuntimeError('change-election-timer %d: %s' % (step, r.stdout + r.stderr))
            deadline = time.monotonic() + 10
            while any((self.status(i) or {}).get('election_timer') != step for i in range(1, self.n + 1)):
                if time.monotonic() > deadline:
                    raise RuntimeError('election timer %d not applied' % step)
                time.sleep(0.05)
            current = step

    # ---- paths -------------------------------------------------------------
    def name(self, i):
        return '%s%d' % (self.prefix, i)

    def ctl(self, i):
        return os.path.join(self.dir, self.name(i) + '.ctl')

    def sock(self, i):
        return os.path.join(self.dir, self.name(i) + '.sock')

    def db(self, i):
        return os.path.join(self.dir, self.name(i) + '.db')

    def address(self, i):
        return 'tcp:127.0.0.%d:%d' % (i, self.port)

    def pid(self, i):
        try:
            with open(os.path.join(self.dir, self.name(i) + '.pid')) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def ctls(self, exclude=()):
        return [self.ctl(i) for i in range(1, self.n + 1) if i not in exclude]

    # ---- state -------------------------------------------------------------
    def appctl(self, i, *args):
        return subprocess.run(['ovs-appctl', '--timeout=5', '-t', self.ctl(i)] + list(args), env=ENV, capture_output=True, text=True,
                              timeout=10, check=False)

    def status(self, i):
        """Parsed cluster/status of member i, or None when it does not answer as a member."""
        if i in self.stopped:
            return None
        r = self.appctl(i, 'cluster/status', NB)
        if r.returncode != 0:
            return None
        try:
            return parse_status(r.stdout)
        except ValueError:
            return None

    def sid(self, i):
        r = self.appctl(i, 'cluster/sid', NB)
        return r.stdout.strip()

    def leader(self, exclude=()):
        """Index of the member that is leader (cluster member), or None."""
        for i in range(1, self.n + 1):
            if i in exclude or i in self.stopped:
                continue
            st = self.status(i)
            if st and st['role'] == 'leader' and st['status'] == 'cluster member':
                return i
        return None

    def wait_leader(self, timeout=30.0, exclude=()):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            i = self.leader(exclude)
            if i is not None:
                return i
            time.sleep(0.05)
        return None

    def members(self):
        """Short ids in the leader's configuration (None when there is no leader)."""
        i = self.leader()
        if i is None:
            return None
        return sorted(s['id'] for s in self.status(i)['servers'])

    def index_of(self, short):
        for i in range(1, self.n + 1):
            if i not in self.stopped and self.sid(i)[:4] == short:
                return i
        return None

    def followers(self):
        lead = self.leader()
        return [i for i in range(1, self.n + 1) if i != lead and i not in self.stopped]

    def wait_all_heard(self, timeout=20.0):
        """Until the leader has an established connection from, and recently heard from, every running member."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lead = self.leader()
            if lead is not None:
                st = self.status(lead)
                up = set(c['server_id'] for c in st['connections'] if c['direction'] == 'in' and c['established'])
                others = [s for s in st['servers'] if not s['self']]
                if len(others) == self.n - 1 - len(self.stopped) and all(s['id'] in up for s in others):
                    return lead
            time.sleep(0.05)
        raise AssertionError('cluster did not settle: %s' % [self.status(i) for i in range(1, self.n + 1)])

    # ---- faults ------------------------------------------------------------
    def kill(self, i, sig=signal.SIGKILL):
        pid = self.pid(i)
        if pid:
            os.kill(pid, sig)
        if sig == signal.SIGCONT:
            self.stopped.discard(i)
        else:
            self.stopped.add(i)
        if sig == signal.SIGKILL:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                # reap if it is our child (it is not: ovsdb-server --detach), else wait for PID 1
                time.sleep(0.01)

    def start(self, i):
        r = subprocess.run(['bash', RL, self.dir, 'start', self.name(i)], env=ENV, capture_output=True, text=True, timeout=30, check=False)
        if r.returncode != 0:
            raise RuntimeError('start %s failed: %s' % (self.name(i), r.stderr))
        self.stopped.discard(i)

    def start_argv(self, i):
        r = subprocess.run(['bash', RL, self.dir, 'start-argv', self.name(i)], env=ENV, capture_output=True, text=True, timeout=30, check=True)
        return r.stdout.splitlines()

    def snapshot_files(self):
        """Names and sizes of the DB files (what a refused call must leave as it was: no file moved or created)."""
        return sorted(f for f in os.listdir(self.dir) if f.endswith('.db') or '.stale-' in f or f.endswith('.standalone.db'))

    def close(self):
        for f in os.listdir(self.dir) if os.path.isdir(self.dir) else []:
            if f.endswith('.pid'):
                try:
                    with open(os.path.join(self.dir, f)) as fh:
                        pid = int(fh.read().strip())
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGTERM)
                except (OSError, ValueError):
                    pass
        time.sleep(0.2)
        shutil.rmtree(self.dir, ignore_errors=True)


class Writer:
    """Concurrent ovn-nbctl writes (ls-add) against the cluster's client sockets until stopped; counts ok/failed."""

    def __init__(self, lab, timeout=20, exclude=()):
        self.lab = lab
        # the members a test is about to fault are left out: a client stuck on a frozen server is not a lost write
        self.db = ','.join('unix:%s' % lab.sock(i) for i in range(1, lab.n + 1) if i not in exclude)
        self.timeout = timeout
        self.ok = 0
        self.failed = 0
        self.errors = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        k = 0
        while not self._stop.is_set():
            k += 1
            try:
                r = subprocess.run(['ovn-nbctl', '--db=%s' % self.db, '--timeout=%d' % self.timeout, '--may-exist', 'ls-add',
                                    'w%d-%d' % (os.getpid(), k)], env=ENV, capture_output=True, text=True,
                                   timeout=self.timeout + 5, check=False)
                good = r.returncode == 0
                err = r.stderr.strip()
            except subprocess.TimeoutExpired:
                good, err = False, 'timeout'
            if good:
                self.ok += 1
            else:
                self.failed += 1
                self.errors.append(err[:200])
            time.sleep(0.01)

    def __enter__(self):
        self._t.start()
        return self

    def stop(self):
        self._stop.set()
        self._t.join(self.timeout + 10)
        return self.ok, self.failed

    def __exit__(self, *exc):
        self.stop()


def write_table(rows, header, path):
    """Fixed-width table to stdout and to ``path`` (created with its directory)."""
    widths = [max(len(str(r[k])) for r in [dict(zip(header, header))] + rows) for k in header]
    lines = ['  '.join(str(h).ljust(w) for h, w in zip(header, widths))]
    lines += ['  '.join(str(r[h]).ljust(w) for h, w in zip(header, widths)) for r in rows]
    text = '\n'.join(lines) + '\n'
    print('\n' + text)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return text
