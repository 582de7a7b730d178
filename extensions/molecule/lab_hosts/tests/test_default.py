# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""testinfra checks run by Molecule's verifier on every lab node."""
from __future__ import annotations

import json


def test_ovs_userspace_bridge(host):
    assert host.service("ovs-vswitchd").is_running
    assert host.check_output("ovs-vsctl get bridge br-int datapath_type") == "netdev"
    assert host.check_output("ovs-vsctl get bridge br-int fail_mode") == "secure"


def test_traffic_between_pods(host):
    r = json.loads(host.check_output("cni-ovs-lab-probe --pps 1000 --duration 0.5"))
    assert r["sent"] == 500 and r["lost"] <= 5, r


def test_raft_member_on_masters(host):
    env = host.file("/etc/default/cni-ovs-lab").content_string
    master = "CNI=kube-ovn\n" in env and "kube-ovn/role=master" in env
    assert host.socket("unix:///var/run/ovn/ovnnb_db.ctl").is_listening == master
    if master:
        out = host.check_output("ovn-appctl -t /var/run/ovn/ovnnb_db.ctl cluster/status OVN_Northbound")
        assert "Status: cluster member" in out
