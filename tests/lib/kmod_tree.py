# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real module trees for the ovs_kmod_swap tests of the hostile and fault layers (see mktree.py)."""

from __future__ import annotations

import os

import mktree

R = '5.14.0-427.el9.x86_64'
WU = 'weak-updates/openvswitch'
DKMS = 'updates/dkms'
BK = 'nsx/usr-ovs-kmod-backup'
SCENARIOS = ('rhel_info', 'rhel_noinfo', 'ubuntu_nobackup', 'ubuntu_info', 'rhel_half')


class Tree:
    """A temp root holding lib/modules/<R> (one mktree scenario) and a backups dir beside it."""

    def __init__(self, root, scenario='rhel_noinfo', release=R):
        self.root = str(root)
        self.modules_root = os.path.join(self.root, 'lib', 'modules')
        self.release = release
        info = mktree.layout(self.modules_root, release, scenario)
        self.rel = info['release_dir']
        self.location = info['location']
        self.backup_dir = os.path.join(self.root, 'backups')

    def path(self, *parts):
        return os.path.join(self.rel, *parts)

    def params(self, **over):
        params = {'state': 'upstream', 'kernel_release': self.release, 'modules_root': self.modules_root,
                  'backup_dir': self.backup_dir}
        params.update(over)
        return params

    def archives(self):
        if not os.path.isdir(self.backup_dir):
            return []
        return sorted(os.path.join(self.backup_dir, n) for n in os.listdir(self.backup_dir) if n.endswith('.tar.gz'))


def version_of(path):
    from ansible_collections.cni.ovs.plugins.module_utils._kmod import parse_modinfo
    with open(path, 'rb') as f:
        return parse_modinfo(f.read()).get('version')
