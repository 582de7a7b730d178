# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cni.ovs.batch_size and its core module_utils/_batch.py: the batch Ansible makes of a play's
serial, the half rule, the opt-in, and refusals naming the variable and the value."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible.utils.helpers import pct_to_int

from ansible_collections.cni.ovs.plugins.filter.batch_size import FilterModule, batch_size
from ansible_collections.cni.ovs.plugins.module_utils import _batch


def test_registered():
    assert FilterModule().filters()['batch_size'] is batch_size


@pytest.mark.parametrize('serial, hosts, expected', [
    (1, 1, 1), ('1', 1, 1), ('100%', 1, 1), ('50%', 1, 1), ('1%', 1, 1),
    (1, 2, 1), ('50%', 2, 1), ('1', 2, 1), (1, 3, 1), ('50%', 3, 1),
    (2, 4, 2), ('2', 4, 2), ('50%', 4, 2), ('25%', 4, 1), ('1%', 4, 1), ('49%', 4, 1),
    ('50%', 5, 2), ('40%', 5, 2), (2, 5, 2),
    ('10%', 100, 10), ('29%', 100, 28),  # Ansible's float arithmetic: 0.29 * 100 = 28.999...
    ('50%', 100, 50), ('007', 100, 7), ('05%', 100, 5),
])
def test_batch_within_half(serial, hosts, expected):
    assert batch_size(serial, hosts) == expected


@pytest.mark.parametrize('serial', [1, 2, 3, 5, 7, '1', '3', '10', '1%', '10%', '25%', '29%', '33%', '50%', '57%', '99%', '100%'])
@pytest.mark.parametrize('hosts', [1, 2, 3, 4, 5, 7, 10, 13, 100, 101])
def test_equals_ansible_pct_to_int(serial, hosts):
    """With large batches allowed, the result is Ansible's own batch (capped at the host count)."""
    assert batch_size(serial, hosts, allow_large=True) == min(pct_to_int(serial, hosts), hosts)


@pytest.mark.parametrize('hosts, limit', [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, 3), (100, 50), (101, 50)])
def test_half_rule(hosts, limit):
    assert _batch.max_batch(hosts) == limit
    assert batch_size(limit, hosts) == limit
    assert batch_size('%d' % limit, hosts) == limit
    if limit < hosts:
        with pytest.raises(AnsibleFilterError, match='the largest allowed batch is %d ' % limit):
            batch_size(limit + 1, hosts)


def test_too_large_names_variable_value_and_opt_in():
    with pytest.raises(AnsibleFilterError) as exc:
        batch_size('75%', 4, name='ovs_hot_upgrade_serial', allow_large_name='ovs_hot_upgrade_serial_allow_large')
    msg = str(exc.value)
    assert msg.startswith("batch_size: ovs_hot_upgrade_serial='75%': batches of 3 of the play's 4 hosts; ")
    assert 'half of the hosts' in msg and 'at least half of the nodes on the old, working version' in msg
    assert msg.endswith('set ovs_hot_upgrade_serial_allow_large=true to allow larger batches')


def test_too_large_without_opt_in_name_does_not_invent_one():
    with pytest.raises(AnsibleFilterError) as exc:
        batch_size(3, 4)
    assert 'serial=3' in str(exc.value) and 'allow' not in str(exc.value).split('working version')[1]


@pytest.mark.parametrize('serial, hosts, expected', [
    ('100%', 4, 4), ('75%', 4, 3), (3, 4, 3), (10, 4, 4), ('10', 4, 4), (10 ** 30, 4, 4),
])
def test_allow_large(serial, hosts, expected):
    assert batch_size(serial, hosts, allow_large=True) == expected


def test_max_percent_and_max_hosts():
    assert batch_size('30%', 10, max_percent=30) == 3
    with pytest.raises(AnsibleFilterError, match=r'largest allowed batch is 3 \(30% of the hosts.*at least 70% of the nodes'):
        batch_size(4, 10, max_percent=30)
    assert batch_size(2, 10, max_hosts=2) == 2
    with pytest.raises(AnsibleFilterError, match=r'largest allowed batch is 2 hosts \(max_hosts\)'):
        batch_size(3, 10, max_hosts=2)
    # max_hosts still applies with allow_large
    with pytest.raises(AnsibleFilterError, match=r'max_hosts'):
        batch_size('100%', 10, max_hosts=5, allow_large=True, allow_large_name='x_allow_large')
    # the half rule is the binding one: the message offers the opt-in
    with pytest.raises(AnsibleFilterError, match='set x_allow_large=true'):
        batch_size(4, 6, max_hosts=5, allow_large_name='x_allow_large')


@pytest.mark.parametrize('serial, match', [
    ('150%', r"serial='150%': a percentage must be 1%\.\.100%"),
    ('0%', r"serial='0%': a percentage must be 1%\.\.100%"),
    ('101%', 'a percentage must be'),
    ('0', r"serial='0': must be at least 1 \(Ansible reads 0 as every host"),
    (0, 'must be at least 1'),
    (-1, r'serial=-1: must be at least 1'),
    ('-1', "serial='-1': not a batch size"),
    ('abc', "serial='abc': not a batch size"),
    ('', "serial='': not a batch size"),
    ('1.5', "serial='1.5': not a batch size"),
    (1.5, r'serial=1\.5: a float is not a batch size'),
    (2.0, 'a float is not a batch size'),
    (True, r'serial=True: a boolean'),
    (False, r'serial=False: a boolean'),
    ('true', "serial='true': not a batch size"),
    (None, 'serial=None: no batch size given'),
    ([1, '50%'], r"a list of batch sizes \(Ansible's serial list\) is not supported"),
    ({'a': 1}, 'expected a number or a string, got dict'),
])
def test_refused(serial, match):
    with pytest.raises(AnsibleFilterError, match=match):
        batch_size(serial, 4)


def test_message_says_what_is_allowed():
    with pytest.raises(AnsibleFilterError) as exc:
        batch_size('abc', 4, name='nsx_node_prep_serial')
    assert "nsx_node_prep_serial='abc'" in str(exc.value)
    assert 'whole number of hosts (1, 2, ...) or a percentage' in str(exc.value)


@pytest.mark.parametrize('kwargs, match', [
    ({'hosts': 0}, 'hosts .*must be at least 1'),
    ({'hosts': '4'}, 'hosts .*expected a whole number, got str'),
    ({'hosts': True}, 'hosts .*expected a whole number, got bool'),
    ({'hosts': 4, 'max_percent': 0}, 'max_percent: must be at least 1'),
    ({'hosts': 4, 'max_percent': 101}, 'max_percent: must be 1..100'),
    ({'hosts': 4, 'max_hosts': 0}, 'max_hosts: must be at least 1'),
    ({'hosts': 4, 'allow_large': 'true'}, 'allow_large: expected a boolean'),
    ({'hosts': 4, 'name': ''}, 'name: expected'),
    ({'hosts': 4, 'allow_large_name': 5}, 'allow_large_name: expected'),
])
def test_bad_parameters(kwargs, match):
    hosts = kwargs.pop('hosts')
    with pytest.raises(AnsibleFilterError, match=match):
        batch_size(1, hosts, **kwargs)


def test_parse_serial():
    assert _batch.parse_serial(3) == ('hosts', 3)
    assert _batch.parse_serial('3') == ('hosts', 3)
    assert _batch.parse_serial('30%') == ('percent', 30)
    assert _batch.ansible_batch('percent', 30, 10) == 3
    assert _batch.ansible_batch('hosts', 30, 10) == 10
