# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lay out real kernel-module file trees for the ovs_kmod_swap integration target.

Module files are real ELF64 relocatable objects with a .modinfo section (what depmod and
modinfo read), written here so no compiler is needed.  Usage:

    mktree.py MODULES_ROOT RELEASE SCENARIO

prints a JSON object describing what was laid out.
"""

from __future__ import annotations

import json
import os
import struct
import sys

NSX_MODS = ['openvswitch.ko', 'vport-geneve.ko', 'vport-gre.ko', 'vport-lisp.ko', 'vport-stt.ko', 'vport-vxlan.ko']
UPSTREAM_MODS = ['openvswitch.ko', 'vport-geneve.ko', 'vport-gre.ko', 'vport-vxlan.ko']


def elf_ko(modinfo):
    """A minimal ELF64 little-endian ET_REL x86-64 object: sections null, .modinfo, .shstrtab."""
    payload = b''.join(('%s=%s' % kv).encode() + b'\0' for kv in modinfo)
    shstr = b'\0.modinfo\0.gnu.linkonce.this_module\0.shstrtab\0'
    this_module = (dict(modinfo).get('name', 'x').encode() + b'\0' * 64)[:64]
    body = payload + this_module + shstr
    off_mod = 64
    off_this = off_mod + len(payload)
    off_str = off_this + len(this_module)
    shoff = (64 + len(body) + 7) & ~7
    ehdr = struct.pack('<4sBBBBB7sHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 0, b'\0' * 7,
                       1, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 4, 3)
    sh = [struct.pack('<IIQQQQIIQQ', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
          struct.pack('<IIQQQQIIQQ', 1, 1, 2, 0, off_mod, len(payload), 0, 0, 1, 0),
          struct.pack('<IIQQQQIIQQ', 10, 1, 3, 0, off_this, len(this_module), 0, 0, 8, 0),
          struct.pack('<IIQQQQIIQQ', 36, 3, 0, 0, off_str, len(shstr), 0, 0, 1, 0)]
    data = ehdr + body
    data += b'\0' * (shoff - len(data))
    return data + b''.join(sh)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def ko(kind, name, release):
    base = name[:-3]
    if kind == 'nsx':
        version, vermagic = '2.17.1.20950nsx', '%s SMP mod_unload modversions ' % release
    elif kind == 'upstream':
        version, vermagic = '2.17.9', '%s SMP mod_unload modversions ' % release
    else:  # in-tree
        version, vermagic = None, '%s SMP mod_unload modversions ' % release
    info = [('name', base.replace('-', '_')), ('vermagic', vermagic)]
    if version:
        info.insert(0, ('version', version))
    return elf_ko(info)


def layout(root, release, scenario):
    rel = os.path.join(root, release)
    os.makedirs(rel, exist_ok=True)
    # in-tree modules every kernel has (not touched by the module)
    write(os.path.join(rel, 'kernel/net/openvswitch/openvswitch.ko'), ko('intree', 'openvswitch.ko', release))
    write(os.path.join(rel, 'kernel/net/openvswitch/vport-gre.ko'), ko('intree', 'vport-gre.ko', release))
    rhel = scenario.startswith('rhel')
    loc = 'weak-updates/openvswitch' if rhel else 'updates/dkms'
    backup = os.path.join(rel, 'nsx/usr-ovs-kmod-backup')
    if scenario == 'rhel_info':
        # NSX files in weak-updates; upstream kmod-openvswitch files were in extra/openvswitch (INFO says so),
        # except vport-vxlan.ko whose INFO line is relative and points at weak-updates.
        for m in NSX_MODS:
            write(os.path.join(rel, loc, m), ko('nsx', m, release))
        for m in UPSTREAM_MODS:
            write(os.path.join(backup, m), ko('upstream', m, release))
        lines = ['# saved by the NSX bootstrap (format assumed by cni.ovs)']
        for m in UPSTREAM_MODS[:-1]:
            lines.append('%s /lib/modules/%s/extra/openvswitch/%s' % (m, release, m))
        lines.append('vport-vxlan.ko weak-updates/openvswitch/vport-vxlan.ko')
        write(os.path.join(backup, 'INFO'), ('\n'.join(lines) + '\n').encode())
    elif scenario == 'rhel_noinfo':
        for m in NSX_MODS:
            write(os.path.join(rel, loc, m), ko('nsx', m, release))
        for m in UPSTREAM_MODS:
            write(os.path.join(backup, m), ko('upstream', m, release))
    elif scenario == 'ubuntu_nobackup':
        # No usr-ovs-kmod-backup: nsx/ holds only NSX's own bookkeeping. Another DKMS module shares updates/dkms.
        for m in NSX_MODS:
            write(os.path.join(rel, loc, m), ko('nsx', m, release))
        vbox = elf_ko([('version', '7.0.0'), ('name', 'vboxdrv'), ('vermagic', release + ' SMP ')])
        write(os.path.join(rel, loc, 'vboxdrv.ko'), vbox)
        write(os.path.join(rel, 'nsx/VERSION'), b'4.1.2\n')
    elif scenario == 'ubuntu_info':
        for m in NSX_MODS:
            write(os.path.join(rel, loc, m), ko('nsx', m, release))
        for m in UPSTREAM_MODS:
            write(os.path.join(backup, m), ko('upstream', m, release))
        write(os.path.join(backup, 'INFO'), ''.join(
            '%s /lib/modules/%s/updates/dkms/%s\n' % (m, release, m) for m in UPSTREAM_MODS).encode())
    elif scenario == 'rhel_half':
        # A person followed the NSX procedure by hand and stopped: vport-stt/lisp removed, openvswitch.ko
        # and vport-geneve.ko already moved back (INFO names them), the rest untouched, nsx/ still there.
        for m in NSX_MODS:
            if m in ('vport-stt.ko', 'vport-lisp.ko'):
                continue
            kind = 'upstream' if m in ('openvswitch.ko', 'vport-geneve.ko') else 'nsx'
            write(os.path.join(rel, loc, m), ko(kind, m, release))
        for m in ('vport-gre.ko', 'vport-vxlan.ko'):
            write(os.path.join(backup, m), ko('upstream', m, release))
        write(os.path.join(backup, 'INFO'), ''.join(
            '%s /lib/modules/%s/weak-updates/openvswitch/%s\n' % (m, release, m) for m in UPSTREAM_MODS).encode())
    elif scenario == 'switched':
        for m in UPSTREAM_MODS:
            write(os.path.join(rel, loc, m), ko('upstream', m, release))
    else:
        raise SystemExit('unknown scenario %s' % scenario)
    return {'release_dir': rel, 'location': loc}


if __name__ == '__main__':
    print(json.dumps(layout(sys.argv[1], sys.argv[2], sys.argv[3])))
