# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""testinfra checks after the scenario's last run (to_nsx): every node's module tree is NSX-OVS again,
as the lab's simulated nsx-ncp-bootstrap installed it after the reboot, and the to_upstream run's
archive of the NSX-OVS files is kept."""
from __future__ import annotations

UPSTREAM = ["openvswitch.ko", "vport-geneve.ko", "vport-gre.ko", "vport-vxlan.ko"]
NSX = UPSTREAM + ["vport-lisp.ko", "vport-stt.ko"]


def _release(host):
    return host.check_output("uname -r").strip()


def test_nsx_ovs_installed_and_resolved(host):
    rel = _release(host)
    loc = "/lib/modules/%s/weak-updates/openvswitch/" % rel
    for name in NSX:
        assert "nsx" in host.check_output("modinfo -F version %s", loc + name), name
    # the kernel resolves the module name to the NSX-OVS build (modules.dep, depmod.d)
    assert host.check_output("modinfo -k %s -F filename openvswitch", rel).strip() == loc + "openvswitch.ko"


def test_upstream_modules_backed_up_with_info(host):
    rel = _release(host)
    base = "/lib/modules/%s" % rel
    backup = base + "/nsx/usr-ovs-kmod-backup/"
    for name in UPSTREAM:
        assert host.check_output("modinfo -F intree %s", backup + name).strip() == "Y", name
    info = [line.split() for line in host.file(backup + "INFO").content_string.splitlines()
            if line.strip() and not line.startswith("#")]
    assert sorted(info) == sorted([[n, base + "/kernel/net/openvswitch/" + n] for n in UPSTREAM]), info
    # the to_upstream switch had moved them back there (INFO); the bootstrap moved them aside again
    assert host.check_output("ls -A %s", base + "/kernel/net/openvswitch").strip() == ""


def test_nsx_files_archived_by_to_upstream(host):
    out = host.check_output("ls -1 /var/lib/cni-ovs/kmod-backup/")
    archives = sorted(line for line in out.splitlines() if line.startswith("nsx-ovs-kmod-"))
    assert archives, out
    path = "/var/lib/cni-ovs/kmod-backup/" + archives[-1]
    assert host.file(path).mode == 0o600
    members = host.check_output("tar -tzf %s", path).split()
    for name in NSX:
        assert "weak-updates/openvswitch/" + name in members, members
    assert "nsx/usr-ovs-kmod-backup/INFO" in members, members
