# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A live private OVS (flow_ovs.py) and before/after snapshots for the
flow_restore_wait hostile and regression tests."""

from __future__ import annotations

import os

import pytest

from flow_ovs import PrivateOvs, available
from harness import snapshot_tree

needs_ovs = pytest.mark.skipif(not available(), reason='needs root and Open vSwitch (ovs-ctl, ovsdb-server, ovs-vswitchd)')


def live_ovs(tmp_path_factory, tag):
    base = str(tmp_path_factory.mktemp('frw-%s' % tag))
    switch = PrivateOvs(os.path.join(base, 'ovs'), 'cniovs-frw%s%d' % (tag[:6], os.getpid()))
    switch.start()
    switch.baseline = switch.canon()
    return switch


def snapshot(ovs, *trees):
    """Everything a refused run must leave as it was: the switch (flows, groups, meters, TLV maps
    of every bridge, the flag, the running vswitchd's pid) and the given directory trees."""
    return {'canon': ovs.canon(), 'flag': ovs.flag(), 'pid': ovs.running_vswitchd(),
            'trees': dict((t, snapshot_tree(t)) for t in trees)}
