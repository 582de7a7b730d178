# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Core of the OVS hot restart with flow-restore-wait (save, flag, stop, start, restore, clear).

The state machine of cni.ovs.flow_restore_wait lives here, with its daemons (the command
runner ``run``), its filesystem (``SaveDir``) and its clock (``Clock``) injected, so that
tests can stop it at every phase boundary (``hook``, called with a name from ``BOUNDARIES``).
The module keeps argument handling and wiring only.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import signal
import socket
import stat
import struct
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.cni.ovs.plugins.module_utils._atomic import write_atomic
from ansible_collections.cni.ovs.plugins.module_utils._exec import CommandError
from ansible_collections.cni.ovs.plugins.module_utils._ovs import (
    OF_VERSIONS,
    PHASES,
    STATE_KINDS,
    BridgeState,
    OvsParseError,
    OvsPlanError,
    RestorePlan,
    build_restore_plan,
    decide_resume,
    ofport_changes,
    parse_bridges,
    parse_flow_restore_wait,
    parse_flows,
    parse_groups,
    parse_meters,
    parse_ofports,
    parse_tlv_map,
    plan_groups_flows,
    plan_meters_tlv,
    safe_bridge_filename,
)

POLL = 0.005
# Seconds a daemon whose stop request failed gets to exit before the failure counts.
EXIT_GRACE = 2.0

# Phase boundaries of state=restarted, in order. ``hook(name)`` is called at each one;
# the fault-injection tests kill daemons there. Every boundary is also a point where a
# crash of the module itself leaves a manifest that a re-run resumes from.
#   saved     the files and manifest (phase saved) are written; nothing was touched yet
#   stopping  the manifest says stopping; the old vswitchd is about to be stopped
#   stopped   the old vswitchd is gone (manifest phase stopped)
#   flag_set  flow-restore-wait=true is set (start=command: after the stop)
#   started   the new vswitchd answers on every bridge (manifest phase started)
#   restored  every bridge holds the saved state; the flag is still set
#   cleared   the flag is removed; the manifest is not yet done
BOUNDARIES = ('saved', 'stopping', 'stopped', 'flag_set', 'started', 'restored', 'cleared')

MANIFEST = 'manifest.json'
MANIFEST_VERSION = 2
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


class Abort(Exception):
    """Failure with a message for the user; ``node_state`` says how to resume."""

    def __init__(self, msg, node_state=None):
        super(Abort, self).__init__(msg)
        self.msg = msg
        self.node_state = node_state


class Clock:
    """The clock of the core (injected: tests may replace it)."""

    @staticmethod
    def monotonic():
        return time.monotonic()

    @staticmethod
    def sleep(seconds):
        time.sleep(seconds)

    @staticmethod
    def utc_stamp():
        return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def digest(text):
    return 'sha256:' + hashlib.sha256(text.encode('utf-8')).hexdigest()


def _shown(value, limit=120):
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + '...(%d characters)' % len(text)


def check_dir_safe(path, param='save_dir'):
    """Refuse a directory that others could tamper with: a symlink, not a directory, owned by
    someone other than root or this user, or writable by everyone without the sticky bit."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise Abort('%s=%s cannot be examined: %s; nothing was changed' % (param, path, exc.strerror))
    if stat.S_ISLNK(st.st_mode):
        raise Abort('%s=%s is a symlink; give the real directory (symlinks in save_dir are refused because they '
                    'can be replaced); nothing was changed' % (param, path))
    if not stat.S_ISDIR(st.st_mode):
        raise Abort('%s=%s exists and is not a directory; nothing was changed' % (param, path))
    if st.st_uid not in (0, os.geteuid()):
        raise Abort('%s=%s is owned by uid %d, not by root or the user running the module (uid %d); '
                    'nothing was changed' % (param, path, st.st_uid, os.geteuid()))
    if st.st_mode & stat.S_IWOTH and not st.st_mode & stat.S_ISVTX:
        raise Abort('%s=%s is writable by everyone without the sticky bit (mode %04o); use a private directory; '
                    'nothing was changed' % (param, path, stat.S_IMODE(st.st_mode)))


class SaveDir:
    """The filesystem of the core: the save directory (injected: tests may replace it).

    Files are written by the one atomic writer (``_atomic.write_atomic``: a fresh mkstemp file,
    mode 0600, in the directory itself, fsync'ed and renamed over the target, then the directory
    fsync'ed), so a planted symlink is never followed.
    An existing directory is never chmod'ed; one the module creates is mode 0700.
    """

    def __init__(self, path, param='save_dir'):
        self.path = path
        self.param = param
        self.checked = False

    def check(self, create=False):
        """Validate the directory (and create it with ``create``). Returns whether it exists."""
        if not isinstance(self.path, str) or not self.path:
            raise Abort('%s=%s must be a non-empty absolute path; nothing was changed' % (self.param, _shown(self.path)))
        if '\0' in self.path or len(self.path) > 4096:
            raise Abort('%s=%s is not a usable path; nothing was changed' % (self.param, _shown(self.path)))
        if '..' in self.path.split('/'):
            raise Abort('%s=%s contains a .. component; give the path without it; nothing was changed' % (self.param, _shown(self.path)))
        if not os.path.isabs(self.path):
            raise Abort('%s=%s is a relative path; give an absolute one; nothing was changed' % (self.param, _shown(self.path)))
        if os.path.lexists(self.path):
            check_dir_safe(self.path, self.param)
            self.checked = True
            return True
        # The nearest existing ancestor must be safe too, or the new directory could be swapped.
        parent = os.path.dirname(self.path.rstrip('/')) or '/'
        while not os.path.lexists(parent):
            parent = os.path.dirname(parent)
        try:
            check_dir_safe(os.path.realpath(parent), '%s (parent %s of)' % (self.param, parent))
        except Abort as exc:
            raise Abort('%s=%s cannot be created safely: %s' % (self.param, self.path, exc.msg))
        if not create:
            return False
        try:
            os.makedirs(self.path, 0o700)
        except OSError as exc:
            raise Abort('%s=%s cannot be created: %s; nothing was saved' % (self.param, self.path, exc.strerror))
        check_dir_safe(self.path, self.param)
        self.checked = True
        return True

    def file(self, name):
        return os.path.join(self.path, name)

    def write(self, name, text):
        if not self.checked:
            self.check(create=True)
        write_atomic(self.file(name), text, mode=0o600)

    def read(self, name, limit=None):
        """Text of a regular file in the directory (not through a symlink); None when missing."""
        try:
            fd = os.open(self.file(name), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno == 2:
                return None
            raise Abort('%s cannot be read: %s (a symlink is refused); nothing was changed' % (self.file(name), exc.strerror))
        with os.fdopen(fd, 'rb') as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise Abort('%s is not a regular file; nothing was changed' % self.file(name))
            data = f.read(limit + 1 if limit else -1)
        if limit and len(data) > limit:
            raise Abort('%s is larger than %d bytes; nothing was changed' % (self.file(name), limit))
        try:
            return data.decode('utf-8')
        except UnicodeDecodeError:
            raise Abort('%s is not UTF-8 text; nothing was changed' % self.file(name))


def resolve_argv(argv, param, path_env=None):
    """Check that the program of an argument vector exists and is executable (bare names
    through PATH, like execvp). ``env [-i] [NAME=VALUE...] PROG`` is followed to PROG.
    Returns the list of resolved programs."""
    if not isinstance(argv, list) or not argv:
        raise Abort('%s=%s must be a non-empty list of strings; nothing was changed' % (param, _shown(argv)))
    for arg in argv:
        if not isinstance(arg, str) or '\0' in arg:
            raise Abort('%s=%s: element %s is not a usable string; nothing was changed' % (param, _shown(argv), _shown(arg)))
    path_env = os.environ.get('PATH', os.defpath) if path_env is None else path_env
    programs = [argv[0]]
    if os.path.basename(argv[0]) == 'env':
        rest = argv[1:]
        while rest and (rest[0].startswith('-') or '=' in rest[0]):
            rest = rest[1:]
        if rest:
            programs.append(rest[0])
    resolved = []
    for prog in programs:
        if not prog:
            raise Abort('%s=%s: an empty program name; nothing was changed' % (param, _shown(argv)))
        if '/' in prog:
            candidates = [prog]
        else:
            candidates = [os.path.join(d or '.', prog) for d in path_env.split(os.pathsep)]
        found = [c for c in candidates if os.path.isfile(c) and os.access(c, os.X_OK)]
        if not found:
            where = 'does not exist or is not executable' if '/' in prog else 'is not an executable in PATH (%s)' % path_env
            raise Abort('%s=%s: program %s %s; nothing was stopped or changed' % (param, _shown(argv), _shown(prog), where))
        resolved.append(found[0])
    return resolved


def _fail_shape(path, what):
    raise Abort('%s has an unexpected shape: %s; the saved files were left as they are and nothing was changed' % (path, what))


def validate_manifest(doc, path):
    """Check the whole shape of a manifest; raise Abort naming the file and the key."""
    if not isinstance(doc, dict):
        _fail_shape(path, 'the top level is %s, not an object' % type(doc).__name__)
    version = doc.get('version', 1)
    if not isinstance(version, int) or isinstance(version, bool) or version not in (1, MANIFEST_VERSION):
        _fail_shape(path, '"version" is %s, expected 1 or %d' % (_shown(version), MANIFEST_VERSION))
    if doc.get('operation') not in ('saved', 'restarted'):
        _fail_shape(path, '"operation" is %s, expected "saved" or "restarted"' % _shown(doc.get('operation')))
    if doc.get('phase') not in PHASES:
        _fail_shape(path, '"phase" is %s, expected one of %s' % (_shown(doc.get('phase')), ', '.join(PHASES)))
    bridges = doc.get('bridges')
    if not isinstance(bridges, dict) or not bridges:
        _fail_shape(path, '"bridges" is %s, expected a non-empty object' % _shown(bridges))
    for name, entry in bridges.items():
        try:
            check_bridge_name(name)
        except Abort:
            _fail_shape(path, '"bridges" names %s, which is not a usable bridge name' % _shown(name))
        if not isinstance(entry, dict):
            _fail_shape(path, '"bridges.%s" is %s, expected an object' % (name, _shown(entry)))
        if entry.get('of_version') not in OF_VERSIONS:
            _fail_shape(path, '"bridges.%s.of_version" is %s' % (name, _shown(entry.get('of_version'))))
        counts = entry.get('counts')
        if not isinstance(counts, dict) or set(counts) != set(STATE_KINDS) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()):
            _fail_shape(path, '"bridges.%s.counts" is %s, expected non-negative counts of %s'
                        % (name, _shown(counts), ', '.join(STATE_KINDS)))
        if version >= 2:
            digests = entry.get('digests')
            if not isinstance(digests, dict) or set(digests) != set(STATE_KINDS) or not all(
                    isinstance(v, str) and v.startswith('sha256:') and len(v) == 71 for v in digests.values()):
                _fail_shape(path, '"bridges.%s.digests" is %s, expected sha256 digests of %s'
                            % (name, _shown(digests), ', '.join(STATE_KINDS)))
    ofports = doc.get('ofports', {})
    if not isinstance(ofports, dict) or not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                                                for k, v in ofports.items()):
        _fail_shape(path, '"ofports" is %s, expected an object of interface name -> integer' % _shown(ofports))
    for key in ('old_pid', 'new_pid'):
        value = doc.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
            _fail_shape(path, '"%s" is %s, expected a positive integer' % (key, _shown(value)))
    if doc['operation'] == 'restarted' and doc.get('old_pid') is None:
        _fail_shape(path, '"old_pid" is missing in a restart record')
    return doc


class Failed(Exception):
    """The run failed; ``result`` is the result to report (with ``msg`` and ``node_state``)."""

    def __init__(self, result):
        super(Failed, self).__init__(result.get('msg'))
        self.result = result


class RestartCore:
    """The state machine of save, restore, clear and hot restart.

    ``params``: the module's parameters. ``run(argv, data=None, timeout=None) -> (rc, out, err)``:
    the one way to run a command (``_exec.Runner.run``: argv list, LANG=C, rc None on timeout). ``tools``: paths of ovs-vsctl and ovs-ofctl.
    ``fs``: the save directory (SaveDir). ``clock``: Clock. ``hook(boundary)``: called at every
    name of BOUNDARIES (a no-op by default). ``run()`` returns the result or raises Failed.
    """

    def __init__(self, params, run, tools, check_mode=False, fs=None, clock=None, hook=None):
        self.p = params
        self.runner = run
        self.check_mode = check_mode
        self.rundir = self.p['rundir']
        self.save_dir = self.p['save_dir']
        self.fs = fs if fs is not None else SaveDir(self.save_dir)
        self.clock = clock if clock is not None else Clock()
        self.hook = hook
        self.timings = {}
        self.result = dict(changed=False, bridges={}, timings_ms=self.timings, save_path=self.save_dir,
                           stuck_flag_found=False, resumed=False)
        self.flag_set_by_us = False
        self.touched = False   # something on the node or in save_dir was changed by this run
        self.current_counts = {}
        self.phase = None
        self.manifest = None
        self.tools = tools

    def boundary(self, name):
        if self.hook is not None:
            self.hook(name)

    # ------------------------------------------------------------------ commands

    @staticmethod
    def parallel(calls):
        """Run independent calls (zero-argument callables) at once; results in order."""
        if len(calls) <= 1:
            return [call() for call in calls]
        with ThreadPoolExecutor(max_workers=min(8, len(calls))) as pool:
            futures = [pool.submit(call) for call in calls]
            return [f.result() for f in futures]

    def _check(self, argv, what, data=None):
        rc, out, err = self.runner(argv, data=data)
        if rc != 0:
            raise Abort(CommandError(argv, rc, out, err, what=what).msg)
        return out

    def vsctl(self, args, wait=False):
        argv = [self.tools['ovs-vsctl'], '--db=%s' % self.p['db'], '--timeout=%d' % self.p['command_timeout']]
        if not wait:
            argv.append('--no-wait')
        return self._check(argv + args, 'ovs-vsctl %s' % ' '.join(args))

    def ofctl(self, bridge, version, command, *args, **kwargs):
        target = 'unix:%s' % os.path.join(self.rundir, '%s.mgmt' % bridge)
        argv = [self.tools['ovs-ofctl'], '-O', version, '--timeout=%d' % self.p['command_timeout']]
        argv += kwargs.get('options', [])
        argv += ['--', command, target] + list(args)
        return self._check(argv, 'ovs-ofctl %s on bridge %s' % (command, bridge), data=kwargs.get('data'))

    def _jsonrpc(self, path, request, what):
        """One JSON-RPC request over a unix stream socket (unixctl and OVSDB speak it)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.p['command_timeout'])
        try:
            sock.connect(path)
            sock.sendall(json.dumps(request).encode('utf-8'))
            buf = ''
            decoder = json.JSONDecoder()
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    raise Abort('%s: connection to %s closed without a reply' % (what, path))
                buf += chunk.decode('utf-8')
                try:
                    reply, _end = decoder.raw_decode(buf.lstrip())
                except ValueError:
                    continue
                if reply.get('id') == request['id']:
                    return reply
                buf = ''
        except (IOError, OSError) as exc:
            raise Abort('%s: %s: %s' % (what, path, exc))
        finally:
            sock.close()

    def unixctl_exit(self, pid):
        """Ask vswitchd to exit through its control socket (what ``ovs-appctl exit`` sends)."""
        ctl = os.path.join(self.rundir, 'ovs-vswitchd.%d.ctl' % pid)
        reply = self._jsonrpc(ctl, {'method': 'exit', 'params': [], 'id': 0}, 'exit to ovs-vswitchd pid %d' % pid)
        if reply.get('error'):
            raise Abort('exit to ovs-vswitchd pid %d failed: %s' % (pid, reply['error']))

    # ------------------------------------------------------------ daemon probes

    def _pidfile_pid(self):
        try:
            with open(os.path.join(self.rundir, 'ovs-vswitchd.pid')) as f:
                return int(f.read().strip() or 0) or None
        except (IOError, OSError, ValueError):
            return None

    def _connects(self, path):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(1.0)
            sock.connect(path)
            return True
        except (IOError, OSError):
            return False
        finally:
            sock.close()

    def _alive(self, pid):
        return pid is not None and self._connects(os.path.join(self.rundir, 'ovs-vswitchd.%d.ctl' % pid))

    def _pidfile_locked(self):
        """Whether a live process holds the pidfile's lock (OVS daemons lock it while they run).

        Queried with F_GETLK, so that this check never takes the lock itself. A daemon
        that was killed leaves an unlocked pidfile; one that is still exiting keeps it locked
        even after its control socket is gone.
        """
        try:
            fd = os.open(os.path.join(self.rundir, 'ovs-vswitchd.pid'), os.O_RDONLY)
        except OSError:
            return False
        try:
            query = struct.pack('hhllhh', fcntl.F_WRLCK, 0, 0, 0, 0, 0)
            return struct.unpack('h', fcntl.fcntl(fd, fcntl.F_GETLK, query)[:2])[0] != fcntl.F_UNLCK
        except (OSError, IOError):
            return True  # cannot tell: treat as running
        finally:
            os.close(fd)

    def running_pid(self):
        """Pid of a running ovs-vswitchd (pidfile + answering control socket), or None."""
        pid = self._pidfile_pid()
        return pid if self._alive(pid) else None

    def remove_stale_pidfile(self):
        """Remove the pidfile of a vswitchd that died without cleaning up (kill -9).

        Its control socket no longer answers. Start scripts such as ovs-ctl check the
        pidfile with ``kill -0``, which succeeds on a dead daemon that PID 1 has not
        reaped yet, and would then not start a new one.
        """
        pid = self._pidfile_pid()
        if pid is None or self._pidfile_locked():
            return
        for name in ('ovs-vswitchd.pid', 'ovs-vswitchd.%d.ctl' % pid):
            try:
                os.unlink(os.path.join(self.rundir, name))
            except OSError:
                pass

    def _log_tail(self, lines=20):
        try:
            with open(self.p['log_file'], 'rb') as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 16384))
                text = f.read().decode('utf-8', 'replace')
            return '\n'.join(text.splitlines()[-lines:])
        except (IOError, OSError) as exc:
            return '(no log at %s: %s)' % (self.p['log_file'], exc)

    def wait_stopped(self, pid):
        """Wait until the pidfile is gone, names another pid, or is no longer locked (killed)."""
        deadline = self.clock.monotonic() + self.p['stop_timeout']
        while True:
            if self._pidfile_pid() != pid or not self._pidfile_locked():
                return
            if self.clock.monotonic() > deadline:
                raise Abort('ovs-vswitchd pid %d did not stop within %d s' % (pid, self.p['stop_timeout']))
            self.clock.sleep(POLL)

    def wait_started(self, old_pid, bridges):
        deadline = self.clock.monotonic() + self.p['start_timeout']
        pid = None
        while True:
            pid = self._pidfile_pid()
            if pid is not None and pid != old_pid and self._alive(pid):
                break
            if self.clock.monotonic() > deadline:
                raise Abort('no new ovs-vswitchd came up within %d s (pidfile %s shows %s). Log tail:\n%s'
                            % (self.p['start_timeout'], os.path.join(self.rundir, 'ovs-vswitchd.pid'), pid, self._log_tail()))
            self.clock.sleep(POLL)
        for bridge in bridges:
            path = os.path.join(self.rundir, '%s.mgmt' % bridge)
            while not self._connects(path):
                if not self._alive(pid):
                    raise Abort('the new ovs-vswitchd pid %d exited before bridge %s came up. Log tail:\n%s'
                                % (pid, bridge, self._log_tail()))
                if self.clock.monotonic() > deadline:
                    raise Abort('bridge %s did not come up in the new ovs-vswitchd pid %d within %d s. Log tail:\n%s'
                                % (bridge, pid, self.p['start_timeout'], self._log_tail()))
                self.clock.sleep(POLL)
        return pid

    # ------------------------------------------------------------ ovsdb reads

    def read_bridges(self):
        out = self.vsctl(['--format=json', '--columns=name,protocols', 'list', 'Bridge'])
        return parse_bridges(out)

    def read_flag(self):
        return parse_flow_restore_wait(self.vsctl(['--format=json', '--columns=other_config', 'list', 'Open_vSwitch']))

    def read_ofports(self):
        return parse_ofports(self.vsctl(['--format=json', '--columns=name,ofport', 'list', 'Interface']))

    def _ovsdb_flag(self, value):
        """Set (``'true'``) or remove (None) the flag in one OVSDB transaction on a unix socket.

        Same change as ``ovs-vsctl --no-wait``, without starting a process while the switch
        does not forward. Returns False when the db is not a local unix socket.
        """
        if not self.p['db'].startswith('unix:'):
            return False
        mutations = [['other_config', 'delete', ['set', ['flow-restore-wait']]]]
        if value is not None:
            mutations.append(['other_config', 'insert', ['map', [['flow-restore-wait', value]]]])
        request = {'method': 'transact', 'id': 1, 'params': [
            'Open_vSwitch', {'op': 'mutate', 'table': 'Open_vSwitch', 'where': [], 'mutations': mutations}]}
        what = '%s flow-restore-wait in %s' % ('setting' if value else 'removing', self.p['db'])
        reply = self._jsonrpc(self.p['db'][len('unix:'):], request, what)
        results = reply.get('result') or []
        errors = [r for r in results if isinstance(r, dict) and r.get('error')]
        if reply.get('error') or errors or not results or results[0].get('count') != 1:
            raise Abort('%s failed: %s' % (what, reply.get('error') or errors or results))
        return True

    def set_flag(self):
        self.touched = True
        if not self._ovsdb_flag('true'):
            self.vsctl(['set', 'Open_vSwitch', '.', 'other_config:flow-restore-wait=true'])
        self.flag_set_by_us = True

    def clear_flag(self, wait):
        self.touched = True
        if wait or not self._ovsdb_flag(None):
            self.vsctl(['--if-exists', 'remove', 'Open_vSwitch', '.', 'other_config', 'flow-restore-wait'], wait=wait)
        self.flag_set_by_us = False

    # ------------------------------------------------------------ switch state

    def dump(self, bridge, version, kinds=('flows', 'groups', 'meters', 'tlv')):
        commands = {'flows': ('dump-flows', ['--no-names', '--no-stats']), 'groups': ('dump-groups', []),
                    'meters': ('dump-meters', []), 'tlv': ('dump-tlv-map', [])}
        if OF_VERSIONS.index(version) < OF_VERSIONS.index('OpenFlow13'):
            kinds = [k for k in kinds if k != 'meters']  # meters need OpenFlow 1.3
        texts = self.parallel([lambda k=k: self.ofctl(bridge, version, commands[k][0], options=commands[k][1]) for k in kinds])
        texts = dict(zip(kinds, texts))
        return BridgeState(parse_flows(texts.get('flows', '')), parse_groups(texts.get('groups', '')),
                           parse_meters(texts.get('meters', '')), parse_tlv_map(texts.get('tlv', '')))

    def dump_all(self, bridges, info):
        states = self.parallel([lambda b=b: self.dump(b, info[b]['of_version']) for b in bridges])
        return dict(zip(bridges, states))

    def apply_plan(self, bridge, version, plan):
        self.touched = True
        if plan.clear_first:
            self.ofctl(bridge, version, 'del-flows')
            self.ofctl(bridge, version, 'del-groups')
        if plan.tlv_delete:
            self.ofctl(bridge, version, 'del-tlv-map')
        # TLV mappings and meters must exist before the bundle that uses them.
        calls = []
        if plan.tlv_add:
            calls.append(lambda: self.ofctl(bridge, version, 'add-tlv-map', plan.tlv_add))
        for meter in plan.meters_add:
            calls.append(lambda meter=meter: self.ofctl(bridge, version, 'add-meter', meter))
        for meter in plan.meters_modify:
            calls.append(lambda meter=meter: self.ofctl(bridge, version, 'mod-meter', meter))
        self.parallel(calls)
        if plan.bundle:
            path = self.write_bundle(bridge, plan)
            self.ofctl(bridge, version, 'bundle', path)
        for meter_id in plan.meters_delete:
            self.ofctl(bridge, version, 'del-meters', 'meter=%d' % meter_id)

    def restore_bridge(self, bridge, version, saved, prepared=None):
        """Make the bridge's state equal to ``saved``.

        ``prepared``: a replace-all plan built before the stop (see ``prepare_fresh``) for a
        vswitchd that this run just started with flow-restore-wait: its flows and groups are
        not dumped (one atomic bundle deletes whatever is there and adds the saved ones);
        meters and TLV map are dumped only when saved ones exist.
        """
        if prepared is not None:
            plan = prepared
            kinds = [k for k in ('meters', 'tlv') if getattr(saved, k)]
            if kinds:
                plan_meters_tlv(plan, saved, self.dump(bridge, version, kinds), replace_all=True)
        else:
            current = self.dump(bridge, version)
            self.current_counts[bridge] = current.counts()
            try:
                plan = build_restore_plan(saved, current)
            except OvsPlanError as exc:
                raise Abort('cannot plan the restore of bridge %s: %s' % (bridge, exc))
        if not plan.empty and not self.check_mode:
            self.apply_plan(bridge, version, plan)
        return plan

    def prepare_fresh(self, bridge, saved):
        """Replace-all plan of flows and groups, built (and its bundle file written) while the old vswitchd still forwards."""
        plan = RestorePlan()
        try:
            plan_groups_flows(plan, saved, BridgeState(), replace_all=True)
        except OvsPlanError as exc:
            raise Abort('cannot plan the restore of bridge %s: %s' % (bridge, exc))
        self.write_bundle(bridge, plan)
        return plan

    def write_bundle(self, bridge, plan):
        """The bundle goes to ovs-ofctl as a file (0600, kept in save_dir), not through a pipe
        that breaks when the switch dies mid-restore."""
        name = '%s.bundle' % safe_bridge_filename(bridge)
        if getattr(plan, 'bundle_file', None) != name:
            self._write(name, plan.bundle_text())
            plan.bundle_file = name
        return self._path(name)

    # ------------------------------------------------------------- save dir

    def _path(self, name):
        return self.fs.file(name)

    def _write(self, name, text):
        self.touched = True
        self.fs.write(name, text)

    def load_manifest(self):
        """The manifest in save_dir (shape checked), or None when there is none."""
        path = self._path(MANIFEST)
        text = self.fs.read(MANIFEST, limit=MAX_MANIFEST_BYTES) if self.fs.check() else None
        if text is None:
            return None
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise Abort('%s is not valid JSON (%s); the saved files were left as they are and nothing was changed' % (path, exc))
        return validate_manifest(doc, path)

    def write_manifest(self, **changes):
        self.manifest.update(changes)
        self.manifest['updated'] = self.clock.utc_stamp()
        self._write(MANIFEST, json.dumps(self.manifest, indent=2, sort_keys=True) + '\n')
        if 'phase' in changes:
            self.phase = changes['phase']

    def save_files(self, states):
        """Write the canonical files of every bridge; returns their manifest entries (counts, digests)."""
        self.fs.check(create=True)
        entries = {}
        for bridge, state in states.items():
            canonical = state.canonical()
            for kind in STATE_KINDS:
                self._write('%s.%s' % (safe_bridge_filename(bridge), kind), canonical[kind])
            entries[bridge] = {'counts': state.counts(), 'digests': dict((k, digest(canonical[k])) for k in STATE_KINDS)}
        return entries

    def load_saved(self, bridge, manifest=None):
        """The saved state of a bridge, checked against what the manifest recorded at save time."""
        manifest = manifest if manifest is not None else self.manifest
        entry = (manifest or {}).get('bridges', {}).get(bridge, {})
        texts = {}
        for kind in STATE_KINDS:
            name = '%s.%s' % (safe_bridge_filename(bridge), kind)
            text = self.fs.read(name)
            if text is None:
                raise Abort('saved state of bridge %s is incomplete: %s is missing; nothing was changed' % (bridge, self._path(name)))
            want = entry.get('digests', {}).get(kind)
            if want is not None and digest(text) != want:
                raise Abort('saved file %s does not match the manifest (%s recorded %s, the file has %s; %d bytes, %d lines): '
                            'it was changed or cut after the save. Refusing to restore from it; nothing was changed'
                            % (self._path(name), self._path(MANIFEST), want, digest(text), len(text.encode('utf-8')),
                               len(text.splitlines())))
            texts[kind] = text
        try:
            state = BridgeState(parse_flows(texts['flows']), parse_groups(texts['groups']),
                                parse_meters(texts['meters']), parse_tlv_map(texts['tlv']))
        except OvsParseError as exc:
            raise Abort('saved state of bridge %s in %s cannot be read: %s; nothing was changed' % (bridge, self.save_dir, exc))
        recorded = entry.get('counts')
        if recorded is not None:
            counts = state.counts()
            wrong = ['%s.%s holds %d %s, the manifest recorded %d' % (bridge, k, counts[k], k, recorded[k])
                     for k in STATE_KINDS if counts[k] != recorded[k]]
            if wrong:
                raise Abort('saved state in %s does not match %s: %s (file cut or changed after the save). '
                            'Refusing to restore from it; nothing was changed'
                            % (self.save_dir, self._path(MANIFEST), '; '.join(wrong)))
        return state

    def saved_matches(self, states):
        try:
            manifest = self.load_manifest()
        except Abort:
            return False
        if not manifest or set(manifest.get('bridges', {})) != set(states):
            return False
        for bridge, state in states.items():
            try:
                if self.load_saved(bridge, manifest) != state:
                    return False
            except Abort:
                return False
        return True

    # -------------------------------------------------------------- helpers

    def select_bridges(self, available):
        wanted = self.p['bridges'] or sorted(available)
        missing = [b for b in wanted if b not in available]
        if missing:
            raise Abort('bridges: %s not found in the database (known: %s); nothing was changed'
                        % (', '.join(missing), ', '.join(sorted(available)) or 'none'))
        for bridge in wanted:
            safe_bridge_filename(bridge)
        return wanted

    def timed(self, name, start):
        self.timings[name] = int(round((self.clock.monotonic() - start) * 1000))

    def bridge_result(self, bridge, version, saved=None, after=None, plan=None):
        entry = self.result['bridges'].setdefault(bridge, {'of_version': version})
        if saved is not None:
            entry['before'] = saved.counts()
        if after is not None:
            entry['after'] = after.counts()
            entry['matches_saved'] = saved is not None and after == saved
        if plan is not None:
            entry['plan'] = dict(plan.summary)

    @staticmethod
    def counts_text(counts):
        """Diff text: one line per bridge with its counts."""
        return ''.join('%s: flows=%d groups=%d meters=%d tlv=%d\n' % (b, c['flows'], c['groups'], c['meters'], c['tlv'])
                       for b, c in sorted(counts.items()))

    # ------------------------------------------------------------ validation

    def validate_params(self):
        """Refuse unusable parameters before anything is read or changed."""
        p = self.p
        bridges = p.get('bridges') or []
        for name in bridges:
            check_bridge_name(name)
        if len(set(bridges)) != len(bridges):
            raise Abort('bridges=%s names a bridge twice; nothing was changed' % _shown(bridges))
        for key in ('stop_timeout', 'start_timeout', 'command_timeout'):
            value = p.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 86400:
                raise Abort('%s=%s must be a number of seconds between 1 and 86400; nothing was changed' % (key, _shown(value)))
        db = p.get('db') or ''
        if not db.split(':', 1)[0] in ('unix', 'tcp', 'ssl') or ':' not in db or len(db) > 4096 or '\0' in db:
            raise Abort('db=%s must be unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT; nothing was changed' % _shown(db))
        for key in ('rundir', 'log_file'):
            value = p.get(key) or ''
            if not os.path.isabs(value) or '\0' in value or len(value) > 4096:
                raise Abort('%s=%s must be an absolute path; nothing was changed' % (key, _shown(value)))
        if p['state'] == 'restarted':
            if p['start'] == 'command' and not p.get('restart_command'):
                raise Abort('state=restarted with start=command needs restart_command; nothing was changed')
            if p.get('restart_command') is not None and p['start'] == 'command':
                resolve_argv(p['restart_command'], 'restart_command')
            if p.get('stop_command') is not None:
                resolve_argv(p['stop_command'], 'stop_command')
        if p['state'] != 'cleared':  # clearing a stuck flag does not touch save_dir
            self.fs.check()

    # --------------------------------------------------------------- states

    def do_cleared(self):
        flag = self.read_flag()
        self.result['stuck_flag_found'] = flag
        if not flag:
            self.result['msg'] = 'flow-restore-wait is not set'
            return
        self.result['changed'] = True
        self.result['diff'] = {'before': 'flow-restore-wait=true\n', 'after': ''}
        if self.check_mode:
            self.result['msg'] = 'flow-restore-wait=true was set; it would be removed'
            return
        self.clear_flag(wait=self.running_pid() is not None)
        if self.read_flag():
            raise Abort('flow-restore-wait=true is still set in %s after removing it' % self.p['db'])
        self.result['msg'] = 'flow-restore-wait=true was set; removed (read back: not set)'

    def do_saved(self):
        manifest = self.load_manifest()
        resume, reason = decide_resume(manifest, self.running_pid())
        if resume:
            raise Abort('refusing to overwrite %s: %s, and these files may be the only copy of the flows. '
                        'Finish it with state=restarted or state=restored first; nothing was changed' % (self.save_dir, reason))
        if self.running_pid() is None:
            raise Abort('ovs-vswitchd is not running (no live control socket for pidfile %s); nothing was saved'
                        % os.path.join(self.rundir, 'ovs-vswitchd.pid'))
        self.result['stuck_flag_found'] = self.read_flag()
        start = self.clock.monotonic()
        info = self.read_bridges()
        bridges = self.select_bridges(info)
        states = self.dump_all(bridges, info)
        self.timed('save', start)
        for bridge in bridges:
            self.bridge_result(bridge, info[bridge]['of_version'], saved=states[bridge], after=states[bridge])
        if self.saved_matches(states):
            self.result['msg'] = 'saved state in %s is already current' % self.save_dir
            return
        self.result['changed'] = True
        old = manifest or {}
        self.result['diff'] = {
            'before': self.counts_text(dict((b, v['counts']) for b, v in old.get('bridges', {}).items())),
            'after': self.counts_text(dict((b, states[b].counts()) for b in bridges))}
        if self.check_mode:
            self.result['msg'] = 'would save %d bridge(s) to %s' % (len(bridges), self.save_dir)
            return
        ofports = self.read_ofports()
        entries = self.save_files(states)
        for bridge in bridges:
            entries[bridge]['of_version'] = info[bridge]['of_version']
        self.manifest = {'version': MANIFEST_VERSION, 'operation': 'saved', 'phase': 'saved', 'bridges': entries, 'ofports': ofports}
        self.write_manifest(phase='saved')
        self.result['msg'] = 'saved %d bridge(s) to %s' % (len(bridges), self.save_dir)

    def do_restored(self):
        manifest = self.load_manifest()
        if not manifest:
            raise Abort('no saved state in save_dir=%s (manifest.json missing); nothing was changed' % self.save_dir)
        pid = self.running_pid()
        if pid is None:
            raise Abort('ovs-vswitchd is not running (pidfile %s); start it (flow-restore-wait may stay set) and re-run; '
                        'the saved state in %s was left as it is' % (os.path.join(self.rundir, 'ovs-vswitchd.pid'), self.save_dir))
        self.manifest = manifest
        saved_bridges = manifest['bridges']
        bridges = self.p['bridges'] or sorted(saved_bridges)
        unknown = [b for b in bridges if b not in saved_bridges]
        if unknown:
            raise Abort('bridges: %s have no saved state in %s; nothing was changed' % (', '.join(unknown), self.save_dir))
        # Every saved file is checked against the manifest before anything is changed.
        saved = dict((b, self.load_saved(b)) for b in bridges)
        flag = self.read_flag()
        self.result['stuck_flag_found'] = flag
        info = self.read_bridges()
        absent = [b for b in bridges if b not in info]
        if absent:
            raise Abort('bridge(s) %s are saved but do not exist in the database; nothing was changed' % ', '.join(absent))
        start = self.clock.monotonic()
        changed = False
        for bridge in bridges:
            version = info[bridge]['of_version']
            plan = self.restore_bridge(bridge, version, saved[bridge])
            changed = changed or not plan.empty
            self.bridge_result(bridge, version, saved=saved[bridge], plan=plan)
        self.timed('restore', start)
        if flag:
            changed = True
            if not self.check_mode:
                self.clear_flag(wait=True)
        self.result['changed'] = changed
        if changed:
            self.result['diff'] = {
                'before': self.counts_text(self.current_counts) + ('flow-restore-wait=true\n' if flag else ''),
                'after': self.counts_text(dict((b, self.result['bridges'][b]['before']) for b in bridges))}
        if self.check_mode:
            self.result['msg'] = ('would restore %d bridge(s) from %s' % (len(bridges), self.save_dir) if changed
                                  else 'state of %d bridge(s) already equals %s' % (len(bridges), self.save_dir))
            return
        after = self.dump_all(bridges, info)
        differ = []
        for bridge in bridges:
            self.bridge_result(bridge, info[bridge]['of_version'], saved=saved[bridge], after=after[bridge])
            if after[bridge] != saved[bridge]:
                differ.append(bridge)
        still_set = self.read_flag()
        if differ or still_set:
            raise Abort('after the restore, read back: %s%s' % (
                'bridge(s) %s differ from the saved state' % ', '.join(differ) if differ else 'every bridge equals the saved state',
                '; flow-restore-wait is still set' if still_set else ''))
        if manifest.get('operation') == 'restarted' and manifest.get('phase') != 'done':
            self.write_manifest(phase='done')
        self.result['msg'] = ('restored %d bridge(s) from %s%s' % (len(bridges), self.save_dir,
                                                                   ' and removed flow-restore-wait' if flag else '') if changed
                              else 'state of %d bridge(s) already equals %s' % (len(bridges), self.save_dir))

    def stop_old(self, old_pid):
        """Stop the old vswitchd; one that is already gone (crashed, killed) counts as stopped."""
        p = self.p
        self.touched = True
        try:
            if self.exit_first():
                # The stop command (systemctl stop -> ovs-ctl stop) sends the same exit and then
                # polls the pid with `sleep .1`: ask first, watch at POLL, and let the stop
                # command only record the stop once the daemon is gone.
                self.stop_by_exit(old_pid)
            if p['stop_command']:
                rc, out, err = self.runner(p['stop_command'], timeout=p['stop_timeout'])
                if rc != 0:
                    raise Abort(CommandError(p['stop_command'], rc, out, err, what='stop_command', timeout=p['stop_timeout']).msg)
            else:
                self.unixctl_exit(old_pid)
        except Abort:
            # The stop request can fail while the daemon is already exiting (the exit reply is
            # lost, a stop script returns non-zero): its control socket may answer a moment
            # longer. Decide only after it had EXIT_GRACE seconds (at most stop_timeout) to go.
            if not self.wait_gone(old_pid, min(EXIT_GRACE, p['stop_timeout'])):
                raise
        self.wait_stopped(old_pid)

    def stop_by_exit(self, pid):
        """Send exit to ``pid``'s control socket and wait until it is gone (pidfile unlocked).

        A lost reply is not an error as long as the daemon goes; one that still answers after
        stop_timeout fails the run before the stop command runs."""
        start = self.clock.monotonic()
        try:
            self.unixctl_exit(pid)
        except Abort as exc:
            if not self.wait_gone(pid, min(EXIT_GRACE, self.p['stop_timeout'])):
                raise Abort('%s (sent before stop_command, stop_exit_first=true)' % exc.msg)
        else:
            if not self.wait_gone(pid, self.p['stop_timeout']):
                raise Abort('ovs-vswitchd pid %d still answers %d s after exit (stop_exit_first=true); '
                            'stop_command was not run' % (pid, self.p['stop_timeout']))
        self.wait_stopped(pid)
        self.timed('exit', start)

    def exit_first(self):
        """Whether the old daemon gets exit (with the flag set first) before the stop command runs."""
        return bool(self.p['stop_command'] and self.p.get('stop_exit_first'))

    def wait_gone(self, pid, grace):
        """Poll until the control socket of ``pid`` stops answering; False if it still answers after ``grace`` seconds."""
        deadline = self.clock.monotonic() + grace
        while self._alive(pid):
            if self.clock.monotonic() >= deadline:
                return False
            self.clock.sleep(POLL)
        return True

    def stop_half_started(self, old_pid):
        """After restart_command hung and was killed: stop the ovs-vswitchd it left behind (it never
        finished starting, e.g. it waits for the database), so that a re-run starts a fresh one."""
        pid = self._pidfile_pid()
        if pid is None or pid == old_pid or not self._pidfile_locked():
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            return
        deadline = self.clock.monotonic() + self.p['stop_timeout']
        while self._pidfile_pid() == pid and self._pidfile_locked() and self.clock.monotonic() < deadline:
            self.clock.sleep(POLL)
        self.remove_stale_pidfile()

    def do_restarted(self):
        p = self.p
        t_total = self.clock.monotonic()
        manifest = self.load_manifest()
        pid = self.running_pid()
        resume, reason = decide_resume(manifest, pid)
        self.result['resumed'] = resume
        saved = None
        if resume:
            bridges = sorted(manifest['bridges'])
            if p['bridges'] and set(p['bridges']) != set(bridges):
                raise Abort('an unfinished restart of bridges %s is recorded in %s; re-run without a different bridges list; '
                            'nothing was changed' % (', '.join(bridges), self.save_dir))
            # The files are the only copy now: check them against the manifest before anything else.
            saved = dict((b, self.load_saved(b, manifest)) for b in bridges)
        flag = self.read_flag()
        self.result['stuck_flag_found'] = flag
        info = self.read_bridges()

        if resume:
            self.manifest = manifest
            self.phase = manifest.get('phase')
            ofports = manifest.get('ofports', {})
            old_pid = manifest.get('old_pid')
        else:
            if pid is None:
                raise Abort('ovs-vswitchd is not running (pidfile %s) and no unfinished restart is recorded in %s; '
                            'nothing was saved or changed' % (os.path.join(self.rundir, 'ovs-vswitchd.pid'), self.save_dir))
            bridges = self.select_bridges(info)
            old_pid = pid
            start = self.clock.monotonic()
            saved = self.dump_all(bridges, info)
            ofports = self.read_ofports()
            self.timed('save', start)
        for bridge in bridges:
            self.bridge_result(bridge, info.get(bridge, {}).get('of_version'), saved=saved[bridge])
        self.result['old_pid'] = old_pid

        if self.check_mode:
            self.result['changed'] = True
            if resume:
                self.result['msg'] = ('would resume (%s): restore %d bridge(s) from %s%s' % (
                    reason, len(bridges), self.save_dir, '' if pid else ' after starting ovs-vswitchd'))
            else:
                self.result['msg'] = 'would save %d bridge(s) (%s) to %s and restart ovs-vswitchd pid %d' % (
                    len(bridges), ', '.join(bridges), self.save_dir, pid)
            return

        if not resume:
            entries = self.save_files(saved)
            for bridge in bridges:
                entries[bridge]['of_version'] = info[bridge]['of_version']
            self.manifest = {'version': MANIFEST_VERSION, 'operation': 'restarted', 'old_pid': old_pid,
                             'bridges': entries, 'ofports': ofports}
            self.write_manifest(phase='saved')
            self.boundary('saved')

        t_gap = None
        # A vswitchd that this run started (or waited for) with the flag set has had no chance
        # to get flows from anyone: restore it with one replace-all bundle, without dumping it.
        fresh = not (resume and pid is not None)
        prepared = dict((b, self.prepare_fresh(b, saved[b]) if fresh else None) for b in bridges)
        if not fresh:
            # A vswitchd started by an interrupted run (or by someone else) may still be bringing up bridges.
            new_pid = self.wait_started(None, bridges)
        else:
            if not resume:
                # The database must answer before the old daemon goes (the flag is set there).
                try:
                    self.read_flag()
                except (Abort, OvsParseError) as exc:
                    raise Abort('the database %s does not answer (%s); the old ovs-vswitchd was not stopped'
                                % (_shown(p['db']), getattr(exc, 'msg', exc)))
                self.write_manifest(phase='stopping')
                self.boundary('stopping')
                # external: the new daemon may start as soon as the old one is gone; exit first:
                # a service manager may restart it at once (Restart=always). Either way it must
                # find the flag already set.
                if p['start'] == 'external' or self.exit_first():
                    start = self.clock.monotonic()
                    self.set_flag()
                    self.timed('flag', start)
                    self.boundary('flag_set')
                start = t_gap = self.clock.monotonic()
                self.stop_old(old_pid)
                self.timed('stop', start)
                self.write_manifest(phase='stopped')
                self.boundary('stopped')
            else:
                t_gap = self.clock.monotonic()
            self.remove_stale_pidfile()
            if not self.flag_set_by_us:
                start = self.clock.monotonic()
                self.set_flag()
                self.timed('flag', start)
                self.boundary('flag_set')
            start = self.clock.monotonic()
            if p['start'] == 'command':
                self.touched = True
                rc, out, err = self.runner(p['restart_command'], timeout=p['start_timeout'])
                if rc is None:
                    self.stop_half_started(old_pid)
                if rc != 0:
                    raise Abort('%s\nLog tail of %s:\n%s'
                                % (CommandError(p['restart_command'], rc, out, err, what='restart_command', timeout=p['start_timeout']).msg,
                                   p['log_file'], self._log_tail()))
            new_pid = self.wait_started(old_pid if not resume else None, bridges)
            self.timed('start', start)
            self.write_manifest(phase='started', new_pid=new_pid)
            self.boundary('started')
        self.result['new_pid'] = new_pid

        start = self.clock.monotonic()
        self.phase = 'restoring'
        info = self.read_bridges() if resume else info
        missing = [b for b in bridges if b not in info]
        if missing:
            raise Abort('bridge(s) %s missing in the database after the restart' % ', '.join(missing))
        try:
            plans = self.parallel([lambda b=b: self.restore_bridge(b, info[b]['of_version'], saved[b], prepared[b]) for b in bridges])
        except Abort as exc:
            # a killed daemon's control socket may still accept for a moment after a command failed with
            # "Connection reset by peer" (seen under load): give it EXIT_GRACE to go before deciding
            if self.wait_gone(new_pid, EXIT_GRACE):
                raise Abort('ovs-vswitchd pid %d exited during the restore: %s' % (new_pid, exc.msg))
            raise
        for bridge, plan in zip(bridges, plans):
            self.bridge_result(bridge, info[bridge]['of_version'], plan=plan)
        self.timed('restore', start)
        self.boundary('restored')
        start = self.clock.monotonic()
        self.clear_flag(wait=False)
        self.timed('clear', start)
        if t_gap is not None:
            self.timed('no_forwarding', t_gap)
        self.boundary('cleared')

        start = self.clock.monotonic()
        after = self.dump_all(bridges, info)
        differ = []
        for bridge in bridges:
            self.bridge_result(bridge, info[bridge]['of_version'], saved=saved[bridge], after=after[bridge])
            if after[bridge] != saved[bridge]:
                differ.append(bridge)
        if differ:
            raise Abort('after the restore, read back: bridge(s) %s differ from the saved state' % ', '.join(differ))
        if self.read_flag():
            raise Abort('after the restore, read back: flow-restore-wait is still set')
        changes = ofport_changes(ofports, self.read_ofports())
        self.result['ofport_changes'] = changes
        self.write_manifest(phase='done', new_pid=new_pid)
        self.timed('verify', start)
        self.timed('total', t_total)
        if changes:
            raise Abort('ofport values changed across the restart: %s; the restored flows may point at the wrong ports'
                        % ', '.join('%s %s->%s' % (k, v[0], v[1]) for k, v in sorted(changes.items())))
        self.result['changed'] = True
        self.result['msg'] = '%s ovs-vswitchd (pid %s -> %d) with %d bridge(s) restored; saved state kept in %s' % (
            'resumed restart of' if resume else 'restarted', old_pid, new_pid, len(bridges), self.save_dir)

    # ----------------------------------------------------------------- main

    def observed(self):
        """What the node looks like now, read back (daemon, flag, manifest), as text."""
        pid = self.running_pid()
        parts = ['ovs-vswitchd pid %d is running' % pid if pid else 'no ovs-vswitchd is running']
        db = self.p['db']
        if db.startswith('unix:') and not self._connects(db[len('unix:'):]):
            parts.append('flow-restore-wait is unknown (the database %s does not answer)' % _shown(db))
        else:
            try:
                parts.append('flow-restore-wait is %s' % ('set' if self.read_flag() else 'not set'))
            except (Abort, OvsParseError) as exc:
                parts.append('flow-restore-wait is unknown (%s)' % getattr(exc, 'msg', exc))
        try:
            manifest = self.load_manifest()
        except Abort:
            manifest = None
        if manifest:
            parts.append('%s records operation %s in phase %s' % (self._path(MANIFEST), manifest['operation'], manifest['phase']))
        return parts

    def node_state(self):
        observed = self.observed()
        now = '; '.join(observed)
        flag_note = ''
        if 'flow-restore-wait is set' in observed:
            if self.flag_set_by_us and self.p['keep_flag_on_failure']:
                flag_note = ' (flow-restore-wait left set, as asked by keep_flag_on_failure)'
            elif self.flag_set_by_us:
                flag_note = ' (flow-restore-wait left set: removing it failed)'
            elif self.result.get('stuck_flag_found'):
                flag_note = ' (flow-restore-wait left set: it was already set when this run started)'
            else:
                flag_note = ' (flow-restore-wait left set)'
        if not self.touched:
            return 'nothing was changed by this run; the running ovs-vswitchd was not touched. Now: %s' % now
        if self.phase in (None, 'saving', 'saved'):
            return 'the running ovs-vswitchd was not touched (saved files written to %s). Now: %s' % (self.save_dir, now)
        if self.phase == 'stopping':
            return ('ovs-vswitchd may still be running. Now: %s%s; saved state kept in %s; re-run with state=restarted '
                    '(it resumes from the saved files if the old daemon is gone)' % (now, flag_note, self.save_dir))
        if self.phase == 'done':
            return 'the restart completed. Now: %s; saved state kept in %s' % (now, self.save_dir)
        return ('the old ovs-vswitchd was stopped (phase %s). Now: %s%s; saved state kept in %s. '
                'Resume: re-run with state=restarted (it does not save again; it starts ovs-vswitchd if none runs, '
                'then restores), or start ovs-vswitchd and run state=restored' % (self.phase, now, flag_note, self.save_dir))

    def run(self):
        """Run the state; returns the result dict, or raises Failed with it."""
        try:
            self.validate_params()
            getattr(self, 'do_%s' % self.p['state'])()
        except (Abort, OvsParseError, OvsPlanError, OSError) as exc:
            msg = getattr(exc, 'msg', None) or str(exc)
            if self.flag_set_by_us and not self.p['keep_flag_on_failure']:
                try:
                    self.clear_flag(wait=False)
                except Abort as clear_exc:
                    msg += '; removing flow-restore-wait failed too: %s' % clear_exc.msg
            if self.manifest is not None and self.touched and self.phase not in (None, 'done'):
                try:
                    self.write_manifest(last_error=msg[:4000])
                except (OSError, Abort):
                    pass
            self.result['changed'] = self.touched
            self.result['node_state'] = self.node_state()
            self.result['msg'] = '%s. Node state: %s' % (msg, self.result['node_state'])
            raise Failed(self.result)
        return self.result


_BRIDGE_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.:@+-]*$')


def check_bridge_name(name):
    """A bridge name the module works with: a plain name that is safe as a file name and an argument."""
    if not isinstance(name, str) or not name or len(name) > 255 or not _BRIDGE_RE.match(name) or name in ('.', '..'):
        raise Abort('bridges: %s is not a usable bridge name (letters, digits and _.:@+- only, not starting with '
                    'a dash or dot, at most 255 characters); nothing was changed' % _shown(name))
    return name
