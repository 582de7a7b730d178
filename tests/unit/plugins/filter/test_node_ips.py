# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.filter.node_ips import FilterModule, node_ips


def test_registered():
    assert FilterModule().filters()['node_ips'] is node_ips


@pytest.mark.parametrize('value, add, remove, expected', [
    # seed 002: scale down, then up again
    ('172.18.0.3,172.18.0.4,172.18.0.5', None, '172.18.0.5', '172.18.0.3,172.18.0.4'),
    ('172.18.0.3,172.18.0.4', '172.18.0.5', None, '172.18.0.3,172.18.0.4,172.18.0.5'),
    # order kept when removing from the middle
    ('172.18.0.3,172.18.0.5,172.18.0.4', None, '172.18.0.5', '172.18.0.3,172.18.0.4'),
    # idempotent
    ('172.18.0.3,172.18.0.4', '172.18.0.4', None, '172.18.0.3,172.18.0.4'),
    ('172.18.0.3,172.18.0.4', None, '172.18.0.9', '172.18.0.3,172.18.0.4'),
    # replace in one step
    ('172.18.0.3,172.18.0.4,172.18.0.5', '172.18.0.6', '172.18.0.5', '172.18.0.3,172.18.0.4,172.18.0.6'),
    # spaces around entries, lists, IPv6 compared as addresses
    (' 172.18.0.3 , 172.18.0.4', None, None, '172.18.0.3,172.18.0.4'),
    (['fd00::3', 'fd00::4'], 'fd00:0::4', None, 'fd00::3,fd00::4'),
    ('fd00::3,fd00::4', None, ['fd00:0:0::3'], 'fd00::4'),
    ('', '10.0.0.1', None, '10.0.0.1'),
    ('10.0.0.1', None, '10.0.0.1', ''),
    ('10.0.0.1', '10.0.0.2,10.0.0.3', None, '10.0.0.1,10.0.0.2,10.0.0.3'),
    ('10.0.0.1', '[fd00::1]', None, '10.0.0.1,fd00::1'),
])
def test_edit(value, add, remove, expected):
    assert node_ips(value, add=add, remove=remove) == expected


@pytest.mark.parametrize('value, add, remove, match', [
    ('172.18.0.3,,172.18.0.4', None, None, 'empty'),
    ('172.18.0.3,172.18.0.300', None, None, 'not an IPv4 or IPv6'),
    ('172.18.0.3', 'node-1', None, 'not an IPv4 or IPv6'),
    ('172.18.0.3', None, '1.2.3', 'not an IPv4 or IPv6'),
    (None, '1.2.3.4', None, 'got NoneType'),
    ({'a': 1}, None, None, 'got dict'),
    ('172.18.0.3', 5, None, 'got int'),
    ([1], None, None, 'is a int'),
])
def test_errors(value, add, remove, match):
    with pytest.raises(AnsibleFilterError, match=match):
        node_ips(value, add=add, remove=remove)


@pytest.mark.parametrize('value, add, remove', [
    ('fe80::1%eth0', None, None),
    ('10.0.0.1', 'fe80::1%eth0', None),
    ('10.0.0.1', None, 'fe80::1%eth0'),
])
def test_scoped_addresses_refused(value, add, remove):
    # regression: 'fe80::1%eth0' was accepted (a zone means nothing to the other nodes)
    with pytest.raises(AnsibleFilterError, match=r"node_ips: .*'fe80::1%eth0' is a scoped address"):
        node_ips(value, add=add, remove=remove)
