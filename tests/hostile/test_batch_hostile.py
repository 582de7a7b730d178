# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile batch sizes for the batch_size filter (the playbooks' serial check): each must be
refused with an AnsibleFilterError naming the variable and the value (never a traceback, never a
batch Ansible would read in another way)."""

from __future__ import annotations

import pytest
from ansible.utils.helpers import pct_to_int
from harness import assert_filter_refused

from ansible_collections.cni.ovs.plugins.filter.batch_size import batch_size

BIG = '1' * (10 * 1024 * 1024)  # a 10 MB string of digits
NAME = 'ovs_hot_upgrade_serial'
OPT_IN = 'ovs_hot_upgrade_serial_allow_large'

SERIALS = [
    # (id, value, shown in the message)
    ('bool-true', True, 'True'),
    ('bool-false', False, 'False'),
    ('str-true', 'true', 'true'),
    ('str-yes', 'yes', 'yes'),
    ('float', 1.5, '1.5'),
    ('float-whole', 2.0, '2.0'),
    ('float-nan', float('nan'), 'nan'),
    ('float-inf', float('inf'), 'inf'),
    ('float-neg-zero', -0.0, '-0.0'),
    ('zero', 0, '0'),
    ('zero-str', '0', '0'),
    ('zero-pct', '0%', '0%'),
    ('negative', -1, '-1'),
    ('negative-str', '-1', '-1'),
    ('negative-huge', -10 ** 30, '-1000000000'),
    ('plus', '+2', '+2'),
    ('pct-150', '150%', '150%'),
    ('pct-101', '101%', '101%'),
    ('pct-double', '50%%', '50%%'),
    ('pct-leading', '%50', '%50'),
    ('pct-space', '50 %', '50 %'),
    ('pct-float', '50.5%', '50.5%'),
    ('pct-huge', '9' * 30 + '%', '9' * 30),
    ('space-before', ' 2', ' 2'),
    ('space-after', '2 ', '2 '),
    ('newline-after', '2\n', "'2\\n'"),
    ('tab', '\t2', "'\\t2'"),
    ('fullwidth-digit', '２', '２'),
    ('arabic-indic-digit', '٢', '٢'),
    ('superscript-digit', '²', '²'),
    ('hex', '0x2', '0x2'),
    ('exponent', '1e2', '1e2'),
    ('underscore', '1_000', '1_000'),
    ('decimal-str', '1.5', '1.5'),
    ('empty', '', "''"),
    ('13-digits', '1' * 13, '1' * 13),
    ('10MB-digits', BIG, BIG),
    ('shell', '$(reboot)', '$(reboot)'),
    ('none', None, 'None'),
    ('list-empty', [], '[]'),
    ('list', [1, '50%'], "[1, '50%']"),
    ('list-one', ['1'], "['1']"),
    ('dict', {'serial': 1}, "{'serial': 1}"),
    ('bytes', b'2', "b'2'"),
    ('too-large-int', 3, '3'),
    ('too-large-str', '3', '3'),
    ('too-large-pct', '75%', '75%'),
    ('too-large-all', '100%', '100%'),
    ('too-large-huge', 10 ** 30, '1000000000'),
]


@pytest.mark.parametrize('value, shown', [c[1:] for c in SERIALS], ids=[c[0] for c in SERIALS])
def test_serial_refused(value, shown):
    msg = assert_filter_refused(batch_size, (value, 4), {'name': NAME, 'allow_large_name': OPT_IN}, param=NAME, value=shown)
    assert msg.startswith('batch_size: %s=' % NAME), msg
    assert 'Traceback' not in msg
    assert len(msg) < 1000, len(msg)


def test_too_large_names_the_opt_in():
    for value in (3, '3', '75%', '100%', 10 ** 30):
        msg = assert_filter_refused(batch_size, (value, 4), {'name': NAME, 'allow_large_name': OPT_IN}, param=NAME)
        assert OPT_IN + '=true' in msg, msg


def test_malformed_is_refused_even_with_large_batches_allowed():
    for case in SERIALS:
        if case[0].startswith('too-large'):
            continue
        assert_filter_refused(batch_size, (case[1], 4), {'name': NAME, 'allow_large': True}, param=NAME)


PARAMS = [
    # (id, kwargs, param, shown)
    ('hosts-none', {'hosts': None}, 'hosts', 'None'),
    ('hosts-str', {'hosts': '4'}, 'hosts', '4'),
    ('hosts-bool', {'hosts': True}, 'hosts', 'True'),
    ('hosts-float', {'hosts': 4.0}, 'hosts', '4.0'),
    ('hosts-zero', {'hosts': 0}, 'hosts', '0'),
    ('hosts-negative', {'hosts': -3}, 'hosts', '-3'),
    ('hosts-list', {'hosts': ['n1', 'n2']}, 'hosts', "['n1', 'n2']"),
    ('hosts-huge', {'hosts': 10 ** 400}, 'hosts', '1000000000'),  # a float would overflow
    ('max-percent-zero', {'max_percent': 0}, 'max_percent', '0'),
    ('max-percent-150', {'max_percent': 150}, 'max_percent', '150'),
    ('max-percent-str', {'max_percent': '50'}, 'max_percent', '50'),
    ('max-percent-float', {'max_percent': 0.5}, 'max_percent', '0.5'),
    ('max-hosts-zero', {'max_hosts': 0}, 'max_hosts', '0'),
    ('max-hosts-bool', {'max_hosts': True}, 'max_hosts', 'True'),
    ('allow-large-str', {'allow_large': 'true'}, 'allow_large', 'true'),
    ('allow-large-int', {'allow_large': 1}, 'allow_large', '1'),
    ('allow-large-none', {'allow_large': None}, 'allow_large', 'None'),
    ('name-none', {'name': None}, 'name', 'None'),
    ('name-empty', {'name': ''}, 'name', "''"),
    ('name-int', {'name': 5}, 'name', '5'),
    ('allow-large-name-list', {'allow_large_name': ['x']}, 'allow_large_name', "['x']"),
]


@pytest.mark.parametrize('kwargs, param, shown', [c[1:] for c in PARAMS], ids=[c[0] for c in PARAMS])
def test_parameter_refused(kwargs, param, shown):
    kwargs = dict(kwargs)
    hosts = kwargs.pop('hosts', 4)
    msg = assert_filter_refused(batch_size, ('1', hosts), kwargs, param=param, value=shown)
    assert msg.startswith('batch_size: '), msg


@pytest.mark.parametrize('value, ansible_reads', [
    (True, 1), (False, 0), (1.5, 1), (0, 0), (-1, -1), (' 2', 2), ('2 ', 2), ('２', 2), ('50%%', 2), ('0%', 1),
    ('150%', 6),
])
def test_ansible_itself_reads_these_silently(value, ansible_reads):
    """Why the filter refuses them: Ansible's own serial parser (4 hosts) gives a batch without a
    word (0 and negative mean every host at once, 150% more than every host)."""
    assert pct_to_int(value, 4) == ansible_reads
    assert_filter_refused(batch_size, (value, 4), param='serial')
