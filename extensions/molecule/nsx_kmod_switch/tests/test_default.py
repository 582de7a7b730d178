# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""testinfra checks after to_upstream: every node's module tree holds the upstream modules only."""
from __future__ import annotations

MODULES = ["openvswitch.ko", "vport-geneve.ko", "vport-gre.ko", "vport-vxlan.ko"]


def _release_dir(host):
    return "/lib/modules/" + host.check_output("uname -r").strip()


def test_nsx_directory_gone(host):
    assert not host.file(_release_dir(host) + "/nsx").exists


def test_upstream_modules_in_place(host):
    loc = _release_dir(host) + "/weak-updates/openvswitch/"
    for name in MODULES:
        info = host.check_output("modinfo -F intree %s", loc + name)
        assert info.strip() == "Y", (name, info)
    # NSX-only modules (no upstream counterpart) are gone
    assert not host.file(loc + "vport-stt.ko").exists
    assert not host.file(loc + "vport-lisp.ko").exists


def test_nsx_files_archived(host):
    out = host.check_output("ls -1 /var/lib/cni-ovs/kmod-backup/")
    archives = [line for line in out.splitlines() if line.startswith("nsx-ovs-kmod-")]
    assert archives, out
    assert host.file("/var/lib/cni-ovs/kmod-backup/" + sorted(archives)[-1]).mode == 0o600
    members = host.check_output("tar -tzf /var/lib/cni-ovs/kmod-backup/%s", sorted(archives)[-1])
    assert "weak-updates/openvswitch/vport-stt.ko" in members, members
