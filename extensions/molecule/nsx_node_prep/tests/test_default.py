# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""testinfra checks after nsx_node_prep: the uplink's address, gateway and static route persisted in
each node's layout, the originals backed up (mode 0600) and recorded for cleanup."""
from __future__ import annotations

import json

ADDR = {"lab-node-1": "198.18.0.11", "lab-node-2": "198.18.0.12", "lab-node-3": "198.18.0.13"}
STATE = "/var/lib/cni-ovs/nsx-node-prep/state.json"
KEYFILE = "/etc/NetworkManager/system-connections/cni-ovs-eth0.nmconnection"


def _name(host):
    return host.check_output("hostname").strip()


def test_uplink_persisted(host):
    name = _name(host)
    if name == "lab-node-3":  # RHEL file layout
        ifcfg = host.file("/etc/sysconfig/network-scripts/ifcfg-eth0").content_string
        for line in ("DEVICE=eth0", "BOOTPROTO=none", "ONBOOT=yes", "IPADDR=" + ADDR[name], "PREFIX=24",
                     "GATEWAY=198.18.0.1", "DEFROUTE=yes"):
            assert line in ifcfg.splitlines(), (line, ifcfg)
        route = host.file("/etc/sysconfig/network-scripts/route-eth0").content_string
        assert "198.19.7.0/24 via 198.18.0.1 dev eth0" in route.splitlines(), route
    elif name == "lab-node-2":  # NetworkManager keyfile
        keyfile = host.file(KEYFILE)
        # NetworkManager ignores keyfiles that others can read
        assert (keyfile.user, keyfile.group, keyfile.mode) == ("root", "root", 0o600)
        lines = keyfile.content_string.splitlines()
        for line in ("id=cni-ovs-eth0", "type=ethernet", "interface-name=eth0", "method=manual",
                     "address1=%s/24,198.18.0.1" % ADDR[name], "route1=198.19.7.0/24,198.18.0.1"):
            assert line in lines, (line, lines)
        # the real parser reads it back the same (nmcli --offline, NetworkManager 1.42)
        out = host.run("nmcli --offline connection modify ipv4.dns '' < %s" % KEYFILE)
        assert out.rc == 0 and "address1=%s/24,198.18.0.1" % ADDR[name] in out.stdout.splitlines(), out.stderr
    else:
        text = host.file("/etc/network/interfaces").content_string
        # the stock file is kept around the block
        assert "iface lo inet loopback" in text and "source /etc/network/interfaces.d/*" in text, text
        block = text.split("# BEGIN cni.ovs.nsx_node_prep uplink eth0\n")[1].split("# END cni.ovs.nsx_node_prep uplink eth0")[0]
        assert block.splitlines()[:4] == ["auto eth0", "iface eth0 inet static", "    address %s/24" % ADDR[name],
                                          "    gateway 198.18.0.1"], block
        assert "    up ip route replace 198.19.7.0/24 via 198.18.0.1 dev eth0" in block.splitlines(), block


def test_originals_recorded_and_backed_up(host):
    name = _name(host)
    state = host.file(STATE)
    assert state.mode == 0o600
    files = json.loads(state.content_string)["files"]
    if name == "lab-node-3":
        ifcfg = files["/etc/sysconfig/network-scripts/ifcfg-eth0"]
        assert ifcfg["existed"] is True
        backup = host.file(ifcfg["backup"])
        assert backup.mode == 0o600 and "BOOTPROTO=dhcp" in backup.content_string
        assert files["/etc/sysconfig/network-scripts/route-eth0"] == {"existed": False, "backup": None}
    elif name == "lab-node-2":
        # created by prep: cleanup removes it; the layout is kept for cleanup's apply handler
        assert files == {KEYFILE: {"existed": False, "backup": None}}
        assert json.loads(state.content_string)["layout"] == "networkmanager"
    else:
        rec = files["/etc/network/interfaces"]
        backup = host.file(rec["backup"])
        assert rec["existed"] is True and backup.mode == 0o600
        assert "cni.ovs.nsx_node_prep" not in backup.content_string


def test_network_config_still_live(host):
    # prep persists, it does not touch the running configuration (nsx_node_prep_apply_network: false)
    addr = host.check_output("ip -4 -o addr show dev eth0")
    assert ADDR[_name(host)] + "/24" in addr
    assert "198.19.7.0/24 via 198.18.0.1" in host.check_output("ip route show dev eth0")
