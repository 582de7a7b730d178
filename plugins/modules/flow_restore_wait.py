#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: flow_restore_wait
short_description: Hot-restart ovs-vswitchd and keep every bridge's OpenFlow state
version_added: 0.1.0
description:
  - Saves the OpenFlow state of Open vSwitch bridges (flows of all tables with cookies, priorities,
    timeouts, flags, matches and actions; groups, chained ones too; meters, which C(ovs-save) misses;
    the Geneve TLV map), at each bridge's highest configured OpenFlow version.
  - With O(state=restarted), runs the hot restart that C(ovs-vswitchd) supports through
    C(other_config:flow-restore-wait) - save, stop the old daemon through its control socket,
    set the flag with C(--no-wait), start the new daemon (or wait for one started by someone else),
    restore every bridge in one atomic OpenFlow bundle per bridge, clear the flag.
  - The new daemon forwards nothing until the flag is cleared, so it never forwards with a partial
    table. ofport values are kept by OVS across the restart; the module compares them before and
    after and fails when one changed.
  - Does not decide that a daemon stopped by polling C(/proc/PID); it uses the pidfile and the control
    socket in O(rundir).
  - When a run fails after the old daemon stopped, the saved files stay in O(save_dir) and a re-run
    with O(state=restarted) resumes from them without saving again.
author: cni.ovs contributors (!UNKNOWN)
extends_documentation_fragment:
  - cni.ovs._attributes
  - cni.ovs._attributes.ACTIONGROUP_OVS
attributes:
  check_mode:
    support: full
    details:
      - Reports what would be saved, restarted, restored or cleared, with the current counts, and changes nothing.
  diff_mode:
    support: partial
    details:
      - For O(state=saved), O(state=restored) and O(state=cleared), returns per-bridge counts (and the flag) before and after,
        not the flow texts. O(state=restarted) returns no diff.
  idempotent:
    support: partial
    details:
      - O(state=saved), O(state=restored) and O(state=cleared) are idempotent.
      - O(state=restarted) restarts the daemon on every run, like a service restart.
options:
  state:
    description:
      - V(restarted) does the full hot restart.
      - V(saved) saves the state of O(bridges) to O(save_dir) only. Refused while an unfinished restart is
        recorded there, because those files may then be the only copy of the flows.
      - V(restored) makes the running daemon's state equal to the saved one (adds, modifies and deletes
        what differs) and then clears a C(flow-restore-wait) flag that is set.
      - V(cleared) removes a stuck C(flow-restore-wait=true) from the database.
    type: str
    required: true
    choices: [restarted, saved, restored, cleared]
  bridges:
    description:
      - Bridges to save and restore. Empty means every bridge in the database (for V(restored), every saved one).
    type: list
    elements: str
    default: []
  start:
    description:
      - How the new ovs-vswitchd comes up with O(state=restarted).
      - V(command) runs O(restart_command).
      - V(external) waits for a new ovs-vswitchd (a pid different from the old one in the pidfile) that
        someone else starts, for example a new DaemonSet pod. In this mode the flag is set before the old
        daemon is stopped (a running daemon only reads it at start-up), so the new one cannot come up without it.
    type: str
    choices: [command, external]
    default: command
  restart_command:
    description:
      - Argument vector that starts ovs-vswitchd and returns once it runs (it must daemonize). Required with
        O(state=restarted) and O(start=command). See the examples for C(ovs-ctl) and systemd presets.
    type: list
    elements: str
  stop_command:
    description:
      - Argument vector that stops the old ovs-vswitchd. By default the module sends C(exit) to its control
        socket C(RUNDIR/ovs-vswitchd.PID.ctl), the request that C(ovs-appctl exit) sends.
    type: list
    elements: str
  db:
    description: OVSDB server socket that ovs-vsctl talks to.
    type: str
    default: unix:/var/run/openvswitch/db.sock
  rundir:
    description: Run directory of ovs-vswitchd (pidfile C(ovs-vswitchd.pid), control and bridge management sockets).
    type: path
    default: /var/run/openvswitch
  log_file:
    description: Log of ovs-vswitchd; its tail is returned when the new daemon does not start.
    type: path
    default: /var/log/openvswitch/ovs-vswitchd.log
  save_dir:
    description:
      - Directory for the saved state (created with mode 0700, files mode 0600). It is kept after success
        and never removed by the module. One C(BRIDGE.flows), C(.groups), C(.meters), C(.tlv) per bridge,
        in ovs-ofctl syntax, C(BRIDGE.bundle) (the last restore bundle sent), and C(manifest.json) that records the progress of a restart.
    type: path
    default: /var/lib/openvswitch/flow-restore-wait
  stop_timeout:
    description: Seconds to wait for the old ovs-vswitchd to exit.
    type: int
    default: 30
  start_timeout:
    description: Seconds to wait for the new ovs-vswitchd and its bridges to come up.
    type: int
    default: 60
  command_timeout:
    description: Seconds each ovs-vsctl, ovs-ofctl and ovs-appctl call may take.
    type: int
    default: 60
  keep_flag_on_failure:
    description:
      - By default a failed run removes C(flow-restore-wait) again, so that a daemon started later forwards.
        With V(true), the flag is left set on failure (a new daemon then forwards nothing until a re-run restores the flows).
    type: bool
    default: false
notes:
  - Needs C(ovs-vsctl) and C(ovs-ofctl) on the target, and Open vSwitch 2.8 or later
    (OpenFlow bundles, C(--no-stats) dumps). Tested with Open vSwitch 3.1 and the userspace (netdev) datapath.
  - A datapath kernel module upgrade (C(ovs-ctl force-reload-kmod)) is not done by this module.
seealso:
  - name: ovs-vswitchd.conf.db(5), other_config:flow-restore-wait
    description: The database option this module drives.
    link: https://www.openvswitch.org/support/dist-docs/ovs-vswitchd.conf.db.5.txt
"""

EXAMPLES = r"""
- name: Hot restart with ovs-ctl (host-installed OVS; ovsdb-server keeps running)
  cni.ovs.flow_restore_wait:
    state: restarted
    restart_command:
      - /usr/share/openvswitch/scripts/ovs-ctl
      - --no-ovsdb-server
      - --no-monitor
      - --system-id=random
      - start

- name: Hot restart under systemd (Debian/Ubuntu/RHEL unit ovs-vswitchd.service)
  cni.ovs.flow_restore_wait:
    state: restarted
    stop_command: [systemctl, stop, ovs-vswitchd.service]
    restart_command: [systemctl, start, ovs-vswitchd.service]

- name: Kube-OVN DaemonSet - the new ovs-ovn pod starts vswitchd, the module saves, stops and restores
  cni.ovs.flow_restore_wait:
    state: restarted
    start: external
    start_timeout: 300
    rundir: /var/run/openvswitch
    save_dir: /var/lib/cni-ovs/flow-restore-wait

- name: Save only br-int and br-ex (before a risky change)
  cni.ovs.flow_restore_wait:
    state: saved
    bridges: [br-int, br-ex]
    save_dir: /root/ovs-flows-before-change

- name: Put the saved state back into the running vswitchd
  cni.ovs.flow_restore_wait:
    state: restored
    save_dir: /root/ovs-flows-before-change

- name: Recover a node left with flow-restore-wait=true (vswitchd forwards nothing)
  cni.ovs.flow_restore_wait:
    state: cleared
  register: frw

- name: Show what was found
  ansible.builtin.debug:
    msg: "stuck flag found: {{ frw.stuck_flag_found }}"
"""

RETURN = r"""
bridges:
  description:
    - Per bridge, the OpenFlow version used, counts of C(flows), C(groups), C(meters) and C(tlv) entries
      C(before) (the saved state) and C(after) (dumped after the run), and C(plan), the number of entries the
      restore added, modified and deleted.
  returned: always
  type: dict
  sample:
    br-int:
      of_version: OpenFlow15
      before: {flows: 2107, groups: 2, meters: 2, tlv: 1}
      after: {flows: 2107, groups: 2, meters: 2, tlv: 1}
      matches_saved: true
      plan: {flows_add: 2107, flows_delete: 0, groups_add: 2, groups_modify: 0, groups_delete: 0,
             meters_add: 2, meters_modify: 0, meters_delete: 0, tlv_add: 1, tlv_delete: 0}
timings_ms:
  description:
    - Duration of each phase in milliseconds (C(save), C(stop), C(flag), C(start), C(restore), C(clear),
      C(verify), C(total)), and C(no_forwarding), from the stop of the old daemon until the flag was cleared.
  returned: always
  type: dict
  sample: {save: 41, stop: 12, flag: 6, start: 180, restore: 70, clear: 8, no_forwarding: 276, verify: 35, total: 362}
save_path:
  description: Directory holding the saved state (kept).
  returned: always
  type: str
  sample: /var/lib/openvswitch/flow-restore-wait
stuck_flag_found:
  description: Whether C(flow-restore-wait=true) was already set when the module started.
  returned: always
  type: bool
resumed:
  description: Whether this run continued an unfinished restart from the saved files instead of saving again.
  returned: always
  type: bool
old_pid:
  description: Pid of the ovs-vswitchd that was stopped.
  returned: when state is restarted
  type: int
new_pid:
  description: Pid of the ovs-vswitchd running at the end.
  returned: when state is restarted
  type: int
ofport_changes:
  description: Interfaces whose ofport differs after the restart, as name -> [before, after]. The module fails if not empty.
  returned: when state is restarted
  type: dict
node_state:
  description: On failure, what state the node is in and how to resume.
  returned: failure
  type: str
"""

import fcntl
import json
import os
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cni.ovs.plugins.module_utils._ovs import (
    OF_VERSIONS,
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


class Abort(Exception):
    """Failure with a message for the user; ``node_state`` says how to resume."""

    def __init__(self, msg, node_state=None):
        super(Abort, self).__init__(msg)
        self.msg = msg
        self.node_state = node_state


class FlowRestoreWait:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.rundir = self.p['rundir']
        self.save_dir = self.p['save_dir']
        self.timings = {}
        self.result = dict(changed=False, bridges={}, timings_ms=self.timings, save_path=self.save_dir,
                           stuck_flag_found=False, resumed=False)
        self.flag_set_by_us = False
        self.current_counts = {}
        self.phase = None
        self.manifest = None
        self.tools = dict((t, module.get_bin_path(t, required=True)) for t in ('ovs-vsctl', 'ovs-ofctl'))

    # ------------------------------------------------------------------ commands

    def _run(self, argv, data=None):
        """The one place that runs external commands (tests patch it)."""
        # handle_exceptions=False: this runs in worker threads too, where fail_json must not be called.
        try:
            return self.module.run_command(argv, data=data, binary_data=data is not None, expand_user_and_vars=False,
                                           environ_update={'LANG': 'C', 'LC_ALL': 'C'}, handle_exceptions=False)
        except (IOError, OSError) as exc:
            return 255, '', 'cannot run %s: %s' % (' '.join(argv), exc)

    @staticmethod
    def parallel(calls):
        """Run independent calls (zero-argument callables) at once; results in order."""
        if len(calls) <= 1:
            return [call() for call in calls]
        with ThreadPoolExecutor(max_workers=min(8, len(calls))) as pool:
            futures = [pool.submit(call) for call in calls]
            return [f.result() for f in futures]

    def _check(self, argv, what, data=None):
        rc, out, err = self._run(argv, data=data)
        if rc != 0:
            raise Abort('%s failed (rc=%s): %s' % (what, rc, (err or out).strip()[-2000:]))
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
        deadline = time.monotonic() + self.p['stop_timeout']
        while True:
            if self._pidfile_pid() != pid or not self._pidfile_locked():
                return
            if time.monotonic() > deadline:
                raise Abort('ovs-vswitchd pid %d did not stop within %d s' % (pid, self.p['stop_timeout']))
            time.sleep(POLL)

    def wait_started(self, old_pid, bridges):
        deadline = time.monotonic() + self.p['start_timeout']
        pid = None
        while True:
            pid = self._pidfile_pid()
            if pid is not None and pid != old_pid and self._alive(pid):
                break
            if time.monotonic() > deadline:
                raise Abort('no new ovs-vswitchd came up within %d s (pidfile %s shows %s). Log tail:\n%s'
                            % (self.p['start_timeout'], os.path.join(self.rundir, 'ovs-vswitchd.pid'), pid, self._log_tail()))
            time.sleep(POLL)
        for bridge in bridges:
            path = os.path.join(self.rundir, '%s.mgmt' % bridge)
            while not self._connects(path):
                if not self._alive(pid):
                    raise Abort('the new ovs-vswitchd pid %d exited before bridge %s came up. Log tail:\n%s'
                                % (pid, bridge, self._log_tail()))
                if time.monotonic() > deadline:
                    raise Abort('bridge %s did not come up in the new ovs-vswitchd pid %d within %d s. Log tail:\n%s'
                                % (bridge, pid, self.p['start_timeout'], self._log_tail()))
                time.sleep(POLL)
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
        if not self._ovsdb_flag('true'):
            self.vsctl(['set', 'Open_vSwitch', '.', 'other_config:flow-restore-wait=true'])
        self.flag_set_by_us = True

    def clear_flag(self, wait):
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
        if not plan.empty and not self.module.check_mode:
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
            if not os.path.isdir(self.save_dir):
                os.makedirs(self.save_dir, 0o700)
            self._write(name, plan.bundle_text())
            plan.bundle_file = name
        return self._path(name)

    # ------------------------------------------------------------- save dir

    def _path(self, name):
        return os.path.join(self.save_dir, name)

    def _write(self, name, text):
        tmp = self._path('.%s.tmp' % name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.rename(tmp, self._path(name))

    def load_manifest(self):
        try:
            with open(self._path('manifest.json')) as f:
                return json.load(f)
        except (IOError, OSError):
            return None
        except ValueError as exc:
            raise Abort('%s is not valid JSON (%s); the saved files were left as they are' % (self._path('manifest.json'), exc))

    def write_manifest(self, **changes):
        self.manifest.update(changes)
        self.manifest['updated'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        self._write('manifest.json', json.dumps(self.manifest, indent=2, sort_keys=True) + '\n')
        if 'phase' in changes:
            self.phase = changes['phase']

    def save_files(self, states):
        if not os.path.isdir(self.save_dir):
            os.makedirs(self.save_dir, 0o700)
        os.chmod(self.save_dir, 0o700)
        for bridge, state in states.items():
            canonical = state.canonical()
            for kind in ('flows', 'groups', 'meters', 'tlv'):
                self._write('%s.%s' % (safe_bridge_filename(bridge), kind), canonical[kind])

    def load_saved(self, bridge):
        texts = {}
        for kind in ('flows', 'groups', 'meters', 'tlv'):
            path = self._path('%s.%s' % (safe_bridge_filename(bridge), kind))
            try:
                with open(path) as f:
                    texts[kind] = f.read()
            except (IOError, OSError) as exc:
                raise Abort('saved state of bridge %s is incomplete: %s' % (bridge, exc))
        try:
            return BridgeState(parse_flows(texts['flows']), parse_groups(texts['groups']),
                               parse_meters(texts['meters']), parse_tlv_map(texts['tlv']))
        except OvsParseError as exc:
            raise Abort('saved state of bridge %s in %s cannot be read: %s' % (bridge, self.save_dir, exc))

    def saved_matches(self, states):
        manifest = self.load_manifest()
        if not manifest or set(manifest.get('bridges', {})) != set(states):
            return False
        for bridge, state in states.items():
            try:
                if self.load_saved(bridge) != state:
                    return False
            except Abort:
                return False
        return True

    # -------------------------------------------------------------- helpers

    def select_bridges(self, available):
        wanted = self.p['bridges'] or sorted(available)
        missing = [b for b in wanted if b not in available]
        if missing:
            raise Abort('bridge(s) %s not found (known: %s); nothing was changed'
                        % (', '.join(missing), ', '.join(sorted(available)) or 'none'))
        for bridge in wanted:
            safe_bridge_filename(bridge)
        return wanted

    def timed(self, name, start):
        self.timings[name] = int(round((time.monotonic() - start) * 1000))

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

    # --------------------------------------------------------------- states

    def do_cleared(self):
        flag = self.read_flag()
        self.result['stuck_flag_found'] = flag
        if flag:
            self.result['changed'] = True
            self.result['diff'] = {'before': 'flow-restore-wait=true\n', 'after': ''}
            if not self.module.check_mode:
                self.clear_flag(wait=self.running_pid() is not None)
        self.result['msg'] = ('flow-restore-wait=true was set; %s' % ('it would be removed' if self.module.check_mode else 'removed')
                              if flag else 'flow-restore-wait is not set')

    def do_saved(self):
        manifest = self.load_manifest()
        resume, reason = decide_resume(manifest, self.running_pid())
        if resume:
            raise Abort('refusing to overwrite %s: %s, and these files may be the only copy of the flows. '
                        'Finish it with state=restarted or state=restored first.' % (self.save_dir, reason))
        if self.running_pid() is None:
            raise Abort('ovs-vswitchd is not running (no live control socket for pidfile %s); nothing was saved'
                        % os.path.join(self.rundir, 'ovs-vswitchd.pid'))
        self.result['stuck_flag_found'] = self.read_flag()
        start = time.monotonic()
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
        old = self.load_manifest() or {}
        self.result['diff'] = {
            'before': self.counts_text(dict((b, v.get('counts', {})) for b, v in old.get('bridges', {}).items()
                                            if set(v.get('counts', {})) >= set(('flows', 'groups', 'meters', 'tlv')))),
            'after': self.counts_text(dict((b, states[b].counts()) for b in bridges))}
        if self.module.check_mode:
            self.result['msg'] = 'would save %d bridge(s) to %s' % (len(bridges), self.save_dir)
            return
        self.save_files(states)
        self.manifest = {'version': 1, 'operation': 'saved', 'phase': 'saved',
                         'bridges': dict((b, {'of_version': info[b]['of_version'], 'counts': states[b].counts()}) for b in bridges),
                         'ofports': self.read_ofports()}
        self.write_manifest(phase='saved')
        self.result['msg'] = 'saved %d bridge(s) to %s' % (len(bridges), self.save_dir)

    def do_restored(self):
        manifest = self.load_manifest()
        if not manifest:
            raise Abort('no saved state in %s (manifest.json missing); nothing was changed' % self.save_dir)
        pid = self.running_pid()
        if pid is None:
            raise Abort('ovs-vswitchd is not running (pidfile %s); start it (flow-restore-wait may stay set) and re-run; '
                        'the saved state in %s was left as it is' % (os.path.join(self.rundir, 'ovs-vswitchd.pid'), self.save_dir))
        self.manifest = manifest
        flag = self.read_flag()
        self.result['stuck_flag_found'] = flag
        saved_bridges = manifest.get('bridges', {})
        bridges = self.p['bridges'] or sorted(saved_bridges)
        unknown = [b for b in bridges if b not in saved_bridges]
        if unknown:
            raise Abort('bridge(s) %s have no saved state in %s; nothing was changed' % (', '.join(unknown), self.save_dir))
        info = self.read_bridges()
        absent = [b for b in bridges if b not in info]
        if absent:
            raise Abort('bridge(s) %s are saved but do not exist in the database; nothing was changed' % ', '.join(absent))
        start = time.monotonic()
        changed = False
        for bridge in bridges:
            version = info[bridge]['of_version']
            saved = self.load_saved(bridge)
            plan = self.restore_bridge(bridge, version, saved)
            changed = changed or not plan.empty
            self.bridge_result(bridge, version, saved=saved, plan=plan)
        self.timed('restore', start)
        if flag:
            changed = True
            if not self.module.check_mode:
                self.clear_flag(wait=True)
        self.result['changed'] = changed
        if changed:
            self.result['diff'] = {
                'before': self.counts_text(self.current_counts) + ('flow-restore-wait=true\n' if flag else ''),
                'after': self.counts_text(dict((b, self.result['bridges'][b]['before']) for b in bridges))}
        if not self.module.check_mode:
            after = self.dump_all(bridges, info)
            for bridge in bridges:
                self.bridge_result(bridge, info[bridge]['of_version'], saved=self.load_saved(bridge), after=after[bridge])
            if manifest.get('operation') == 'restarted' and manifest.get('phase') != 'done':
                self.write_manifest(phase='done')
        self.result['msg'] = ('restored %d bridge(s) from %s' % (len(bridges), self.save_dir) if changed
                              else 'state of %d bridge(s) already equals %s' % (len(bridges), self.save_dir))
        if self.module.check_mode and changed:
            self.result['msg'] = 'would restore %d bridge(s) from %s' % (len(bridges), self.save_dir)

    def do_restarted(self):
        p = self.p
        if p['start'] == 'command' and not p['restart_command']:
            raise Abort('state=restarted with start=command needs restart_command; nothing was changed')
        t_total = time.monotonic()
        manifest = self.load_manifest()
        pid = self.running_pid()
        resume, reason = decide_resume(manifest, pid)
        flag = self.read_flag()
        self.result['stuck_flag_found'] = flag
        self.result['resumed'] = resume
        info = self.read_bridges()
        self.result['changed'] = True

        if resume:
            self.manifest = manifest
            self.phase = manifest.get('phase')
            bridges = sorted(manifest['bridges'])
            if p['bridges'] and set(p['bridges']) != set(bridges):
                raise Abort('an unfinished restart of bridges %s is recorded in %s; re-run without a different bridges list'
                            % (', '.join(bridges), self.save_dir))
            saved = dict((b, self.load_saved(b)) for b in bridges)
            ofports = manifest.get('ofports', {})
            old_pid = manifest.get('old_pid')
        else:
            if pid is None:
                raise Abort('ovs-vswitchd is not running (pidfile %s) and no unfinished restart is recorded in %s; '
                            'nothing was saved or changed' % (os.path.join(self.rundir, 'ovs-vswitchd.pid'), self.save_dir))
            bridges = self.select_bridges(info)
            old_pid = pid
            start = time.monotonic()
            saved = self.dump_all(bridges, info)
            ofports = self.read_ofports()
            self.timed('save', start)
        for bridge in bridges:
            self.bridge_result(bridge, info.get(bridge, {}).get('of_version'), saved=saved[bridge])
        self.result['old_pid'] = old_pid

        if self.module.check_mode:
            if resume:
                self.result['msg'] = ('would resume (%s): restore %d bridge(s) from %s%s' % (
                    reason, len(bridges), self.save_dir, '' if pid else ' after starting ovs-vswitchd'))
            else:
                self.result['msg'] = 'would save %d bridge(s) (%s) to %s and restart ovs-vswitchd pid %d' % (
                    len(bridges), ', '.join(bridges), self.save_dir, pid)
            return

        if not resume:
            self.save_files(saved)
            self.manifest = {'version': 1, 'operation': 'restarted', 'old_pid': old_pid,
                             'bridges': dict((b, {'of_version': info[b]['of_version'], 'counts': saved[b].counts()}) for b in bridges),
                             'ofports': ofports}
            self.write_manifest(phase='saved')

        t_gap = None
        # A vswitchd that this run started (or waited for) with the flag set has had no chance
        # to get flows from anyone: restore it with one replace-all bundle, without dumping it.
        fresh = not (resume and pid is not None)
        prepared = dict((b, self.prepare_fresh(b, saved[b]) if fresh else None) for b in bridges)
        if not fresh:
            new_pid = pid
        else:
            if not resume:
                self.write_manifest(phase='stopping')
                if p['start'] == 'external':
                    start = time.monotonic()
                    self.set_flag()
                    self.timed('flag', start)
                start = t_gap = time.monotonic()
                if p['stop_command']:
                    self._check(p['stop_command'], 'stop_command')
                else:
                    self.unixctl_exit(old_pid)
                self.wait_stopped(old_pid)
                self.timed('stop', start)
                self.write_manifest(phase='stopped')
            else:
                t_gap = time.monotonic()
                self.remove_stale_pidfile()
            if not self.flag_set_by_us:
                start = time.monotonic()
                self.set_flag()
                self.timed('flag', start)
            start = time.monotonic()
            if p['start'] == 'command':
                rc, out, err = self._run(p['restart_command'])
                if rc != 0:
                    raise Abort('restart_command failed (rc=%s): %s\nLog tail of %s:\n%s'
                                % (rc, (err or out).strip()[-2000:], p['log_file'], self._log_tail()))
            new_pid = self.wait_started(old_pid if not resume else None, bridges)
            self.timed('start', start)
            self.write_manifest(phase='started', new_pid=new_pid)
        self.result['new_pid'] = new_pid

        start = time.monotonic()
        self.phase = 'restoring'
        info = self.read_bridges() if resume else info
        missing = [b for b in bridges if b not in info]
        if missing:
            raise Abort('bridge(s) %s missing in the database after the restart' % ', '.join(missing))
        try:
            plans = self.parallel([lambda b=b: self.restore_bridge(b, info[b]['of_version'], saved[b], prepared[b]) for b in bridges])
        except Abort as exc:
            if not self._alive(new_pid):
                raise Abort('ovs-vswitchd pid %d exited during the restore: %s' % (new_pid, exc.msg))
            raise
        for bridge, plan in zip(bridges, plans):
            self.bridge_result(bridge, info[bridge]['of_version'], plan=plan)
        self.timed('restore', start)
        start = time.monotonic()
        self.clear_flag(wait=False)
        self.timed('clear', start)
        if t_gap is not None:
            self.timed('no_forwarding', t_gap)
        self.write_manifest(phase='done', new_pid=new_pid)

        start = time.monotonic()
        after = self.dump_all(bridges, info)
        for bridge in bridges:
            self.bridge_result(bridge, info[bridge]['of_version'], saved=saved[bridge], after=after[bridge])
        changes = ofport_changes(ofports, self.read_ofports())
        self.result['ofport_changes'] = changes
        self.timed('verify', start)
        self.timed('total', t_total)
        if changes:
            raise Abort('ofport values changed across the restart: %s; the restored flows may point at the wrong ports'
                        % ', '.join('%s %s->%s' % (k, v[0], v[1]) for k, v in sorted(changes.items())),
                        node_state='ovs-vswitchd pid %d runs with the restored flows and flow-restore-wait cleared' % new_pid)
        self.result['msg'] = '%s ovs-vswitchd (pid %s -> %d) with %d bridge(s) restored; saved state kept in %s' % (
            'resumed restart of' if resume else 'restarted', old_pid, new_pid, len(bridges), self.save_dir)

    # ----------------------------------------------------------------- main

    def node_state(self):
        if self.phase in (None, 'saving', 'saved'):
            return 'the running ovs-vswitchd was not touched'
        if self.phase == 'stopping':
            return ('ovs-vswitchd may still be running; saved state kept in %s; re-run with state=restarted '
                    '(it resumes from the saved files if the old daemon is gone)' % self.save_dir)
        if self.phase == 'done':
            return 'the restart completed; saved state kept in %s' % self.save_dir
        flag = 'flow-restore-wait left set (keep_flag_on_failure)' if self.flag_set_by_us else 'flow-restore-wait removed'
        return ('the old ovs-vswitchd is stopped (phase %s); %s; saved state kept in %s. '
                'Resume: re-run with state=restarted (it does not save again; it starts ovs-vswitchd if none runs, '
                'then restores), or start ovs-vswitchd and run state=restored' % (self.phase, flag, self.save_dir))

    def run(self):
        state = self.p['state']
        try:
            getattr(self, 'do_%s' % state)()
        except (Abort, OvsParseError, OvsPlanError, OSError) as exc:
            msg = getattr(exc, 'msg', None) or str(exc)
            node_state = getattr(exc, 'node_state', None)
            if self.flag_set_by_us and not self.p['keep_flag_on_failure']:
                try:
                    self.clear_flag(wait=False)
                except Abort as clear_exc:
                    msg += '; removing flow-restore-wait failed too: %s' % clear_exc.msg
            if self.manifest is not None and self.phase not in (None, 'done'):
                try:
                    self.write_manifest(last_error=msg)
                except OSError:
                    pass
            self.result['node_state'] = node_state or self.node_state()
            self.module.fail_json(msg='%s. Node state: %s' % (msg, self.result['node_state']), **self.result)
        self.module.exit_json(**self.result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', required=True, choices=['restarted', 'saved', 'restored', 'cleared']),
            bridges=dict(type='list', elements='str', default=[]),
            start=dict(type='str', choices=['command', 'external'], default='command'),
            restart_command=dict(type='list', elements='str'),
            stop_command=dict(type='list', elements='str'),
            db=dict(type='str', default='unix:/var/run/openvswitch/db.sock'),
            rundir=dict(type='path', default='/var/run/openvswitch'),
            log_file=dict(type='path', default='/var/log/openvswitch/ovs-vswitchd.log'),
            save_dir=dict(type='path', default='/var/lib/openvswitch/flow-restore-wait'),
            stop_timeout=dict(type='int', default=30),
            start_timeout=dict(type='int', default=60),
            command_timeout=dict(type='int', default=60),
            keep_flag_on_failure=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    FlowRestoreWait(module).run()


if __name__ == '__main__':
    main()
