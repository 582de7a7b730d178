# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""testinfra checks after the failed rollout and its resume: every lab node healthy again."""
from __future__ import annotations

import json


def test_vswitchd_runs(host):
    pid = host.file("/var/run/openvswitch/ovs-vswitchd.pid").content_string.strip()
    assert host.process.get(pid=int(pid)).comm == "ovs-vswitchd"
    assert host.run("ovs-appctl -t ovs-vswitchd version").rc == 0


def test_flow_restore_wait_cleared(host):
    other = host.check_output("ovs-vsctl --no-wait get Open_vSwitch . other_config")
    assert "flow-restore-wait" not in other, other


def test_flows_restored(host):
    # the lab's controller stand-in installs 5 flows with cookie 0x1ab; the restart must keep them
    flows = host.check_output("ovs-ofctl dump-flows br-int --no-stats cookie=0x1ab/-1")
    assert len([line for line in flows.splitlines() if "cookie=0x1ab" in line]) == 5, flows


def test_traffic_between_pods(host):
    r = json.loads(host.check_output("cni-ovs-lab-probe --pps 1000 --duration 0.5"))
    assert r["sent"] == 500 and r["lost"] <= 5, r
