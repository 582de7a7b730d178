# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""testinfra checks after the ovs_hot_upgrade converge, on every lab node."""
from __future__ import annotations

import json


def test_vswitchd_has_a_new_pid_and_runs_the_installed_binary(host):
    old = host.file("/var/lib/openvswitch/molecule-old-ovs-vswitchd.pid").content_string.strip()
    new = host.file("/var/run/openvswitch/ovs-vswitchd.pid").content_string.strip()
    assert old and new and old != new
    assert host.process.get(pid=int(new)).comm == "ovs-vswitchd"
    exe = host.check_output("readlink /proc/%s/exe", new)
    assert not exe.endswith("(deleted)"), exe
    assert host.run("ovs-appctl -t ovs-vswitchd version").rc == 0


def test_ovsdb_server_kept_running(host):
    # A hot restart replaces ovs-vswitchd only. On Debian (and RHEL) `systemctl stop
    # ovs-vswitchd` also stops ovsdb-server (openvswitch-switch Requires= vswitchd, ovsdb-server
    # is PartOf= it); the role's stop command must not (--job-mode=ignore-dependencies).
    old = host.file("/var/lib/openvswitch/molecule-old-ovsdb-server.pid").content_string.strip()
    new = host.file("/var/run/openvswitch/ovsdb-server.pid").content_string.strip()
    assert old and old == new, (old, new)


def test_flow_restore_wait_cleared(host):
    other = host.check_output("ovs-vsctl --no-wait get Open_vSwitch . other_config")
    assert "flow-restore-wait" not in other, other


def test_flows_restored(host):
    # the lab's controller stand-in installs 5 flows with cookie 0x1ab; the restart must keep them
    flows = host.check_output("ovs-ofctl dump-flows br-int --no-stats cookie=0x1ab/-1")
    assert len([line for line in flows.splitlines() if "cookie=0x1ab" in line]) == 5, flows


def test_saved_state_kept(host):
    manifest = json.loads(host.file("/var/lib/openvswitch/flow-restore-wait/manifest.json").content_string)
    assert manifest["phase"] == "done" and manifest["operation"] == "restarted", manifest
    assert host.file("/var/lib/openvswitch/flow-restore-wait").mode == 0o700


def test_traffic_between_pods(host):
    r = json.loads(host.check_output("cni-ovs-lab-probe --pps 1000 --duration 0.5"))
    assert r["sent"] == 500 and r["lost"] <= 5, r
