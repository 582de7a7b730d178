# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""After the DaemonSet-mode hot upgrade: a new vswitchd from the new pod, flows, no flag, traffic."""
import json


def test_new_vswitchd_in_the_new_pod(host):
    before = host.file("/run/cni-ovs-molecule/vswitchd.pid.before").content_string.strip()
    now = host.file("/var/run/openvswitch/ovs-vswitchd.pid").content_string.strip()
    assert before and now and before != now, (before, now)
    cgroups = host.file(f"/proc/{now}/cgroup").content_string
    assert "/kubepods" in cgroups, cgroups
    assert not host.service("ovs-vswitchd").is_running


def test_flows_restored_and_flag_cleared(host):
    flows = host.check_output("ovs-ofctl dump-flows br-int --no-stats cookie=0x1ab/-1")
    assert len([line for line in flows.splitlines() if "cookie=0x1ab" in line]) == 5, flows
    frw = host.run("ovs-vsctl get open_vswitch . other_config:flow-restore-wait")
    assert frw.rc != 0 or frw.stdout.strip().strip('"') != "true", frw.stdout


def test_traffic(host):
    out = json.loads(host.check_output("cni-ovs-lab-probe --pps 1000 --duration 0.5 --grace 0.3"))
    assert out["lost"] == 0 and out["received"] == out["sent"] > 0, out
