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
  - The manifest records, per bridge, the counts of flows, groups, meters and TLV mappings and a SHA-256
    digest of each saved file. Before anything is changed, O(state=restored) and a resumed O(state=restarted)
    check every saved file against it and refuse, naming the file and what differs, when a file was cut,
    emptied or edited after the save.
  - Before the old daemon is stopped, the program of O(restart_command) and O(stop_command) must exist and be
    executable (a bare name is looked up in E(PATH); after C(env) the program it runs is checked too), and
    the database must answer.
  - The state machine lives in C(plugins/module_utils/_ovs_restart.py), with its command runner, save directory
    and clock injected; the module only handles arguments.
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
      - Names are letters, digits and C(_.:@+-), not starting with C(-) or C(.), at most 255 characters; others are refused.
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
      - Its program is checked before the old daemon is stopped. It must return within O(start_timeout) seconds,
        or it is killed (its process group), and an ovs-vswitchd it left half-started is stopped, so that a re-run
        starts a fresh one.
    type: list
    elements: str
  stop_command:
    description:
      - Argument vector that stops the old ovs-vswitchd. By default the module sends C(exit) to its control
        socket C(RUNDIR/ovs-vswitchd.PID.ctl), the request that C(ovs-appctl exit) sends.
      - Its program is checked before anything is changed; it must return within O(stop_timeout) seconds.
      - An old daemon that is already gone (crashed) counts as stopped.
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
      - Directory for the saved state. It is kept after success and never removed by the module. One C(BRIDGE.flows),
        C(.groups), C(.meters), C(.tlv) per bridge, in ovs-ofctl syntax, C(BRIDGE.bundle) (the last restore bundle sent),
        and C(manifest.json) that records what was saved (counts and digests) and the progress of a restart.
      - Must be an absolute path without C(..). A directory the module creates gets mode 0700; an existing one keeps
        its mode. Refused when it is a symlink, not a directory, owned by someone other than root or the user running
        the module, or writable by everyone without the sticky bit (the same checks apply to the nearest existing parent
        of a directory to be created).
      - Files are written to a new temporary file in the directory (created exclusively, never through a symlink,
        mode 0600) and renamed into place; saved files are read without following symlinks.
    type: path
    default: /var/lib/openvswitch/flow-restore-wait
  stop_exit_first:
    description:
      - With O(stop_command), first send C(exit) to the old daemon's control socket, set C(flow-restore-wait)
        before that, and wait for the daemon to be gone (polled every 5 ms); only then run O(stop_command), so that
        the service manager records the stop. Without it the data-plane gap includes the stop command's own
        polling (C(ovs-ctl stop) sends the same C(exit) and then checks the pid after C(sleep .1)).
      - The flag is set before the exit because a service manager may restart the daemon at once (C(Restart=always));
        under systemd a clean exit is not restarted by C(Restart=on-failure), systemd runs the unit's C(ExecStop)
        itself, and the C(systemctl start) of O(restart_command) waits for it.
      - Not for a daemon whose end must come from elsewhere, such as a DaemonSet pod's deletion with
        O(start=external) and a stop command C(true); its container would be restarted from the old image.
    type: bool
    default: false
  stop_timeout:
    description: Seconds to wait for the old ovs-vswitchd to exit (1 to 86400).
    type: int
    default: 30
  start_timeout:
    description: Seconds to wait for O(restart_command) and for the new ovs-vswitchd and its bridges to come up (1 to 86400).
    type: int
    default: 60
  command_timeout:
    description: Seconds each ovs-vsctl, ovs-ofctl and ovs-appctl call may take (1 to 86400).
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
    # --job-mode=ignore-dependencies: a plain stop also stops ovsdb-server (openvswitch-switch.service
    # Requires= ovs-vswitchd and ovsdb-server.service is PartOf= it on Debian and RHEL)
    stop_command: [systemctl, stop, --job-mode=ignore-dependencies, ovs-vswitchd.service]
    restart_command: [systemctl, start, ovs-vswitchd.service]
    # exit through the control socket first: the gap no longer includes ovs-ctl stop's 100 ms polling
    stop_exit_first: true

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
    - With O(stop_exit_first), C(exit) too, from the exit request until the old daemon was gone (a part of C(stop)).
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
  description:
    - On failure, what state the node is in, read back after the failure (whether an ovs-vswitchd runs and its pid,
      whether C(flow-restore-wait) is set, or unknown when the database does not answer, the phase recorded in the
      manifest), and how to resume. A failed run reports C(changed=true) only when it changed something
      (files in O(save_dir), the flag, the daemons or the flows).
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cni.ovs.plugins.module_utils._exec import Runner
from ansible_collections.cni.ovs.plugins.module_utils._ovs_restart import Failed, RestartCore

# Called with each name of _ovs_restart.BOUNDARIES during state=restarted; None in production.
# The fault-injection tests (tests/faults) set it to kill daemons at a phase boundary.
BOUNDARY_HOOK = None


class FlowRestoreWait(RestartCore):
    """The core wired to an AnsibleModule: its params, check mode and the one runner (``_exec.Runner``)."""

    def __init__(self, module, runner=None):
        self.module = module
        tools = dict((t, module.get_bin_path(t, required=True)) for t in ('ovs-vsctl', 'ovs-ofctl'))
        runner = runner or Runner()
        super(FlowRestoreWait, self).__init__(module.params, runner.run, tools, check_mode=module.check_mode, hook=BOUNDARY_HOOK)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', required=True, choices=['restarted', 'saved', 'restored', 'cleared']),
            bridges=dict(type='list', elements='str', default=[]),
            start=dict(type='str', choices=['command', 'external'], default='command'),
            restart_command=dict(type='list', elements='str'),
            stop_command=dict(type='list', elements='str'),
            stop_exit_first=dict(type='bool', default=False),
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
    try:
        result = FlowRestoreWait(module).run()
    except Failed as exc:
        module.fail_json(**exc.result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
