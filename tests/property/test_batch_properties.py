# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cni.ovs.batch_size: an accepted value gives Ansible's own batch (pct_to_int), never more than
half of the hosts without the opt-in; anything else is an AnsibleError starting with the filter's
name, never another exception."""

from __future__ import annotations

from _filters import FAST, FUZZ, json_values
from ansible.errors import AnsibleError
from ansible.utils.helpers import pct_to_int
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.cni.ovs.plugins.filter.batch_size import batch_size

serials = st.one_of(st.integers(min_value=1, max_value=10 ** 6),
                    st.integers(min_value=1, max_value=10 ** 6).map(str),
                    st.integers(min_value=1, max_value=100).map(lambda p: '%d%%' % p))
host_counts = st.integers(min_value=1, max_value=10 ** 5)


@FAST
@given(serials, host_counts)
def test_accepted_is_ansibles_batch(serial, hosts):
    assert batch_size(serial, hosts, allow_large=True) == min(pct_to_int(serial, hosts), hosts)


@FAST
@given(serials, host_counts)
def test_never_more_than_half_without_the_opt_in(serial, hosts):
    try:
        size = batch_size(serial, hosts)
    except AnsibleError as exc:
        assert 'the largest allowed batch is %d ' % max(1, hosts // 2) in str(exc), str(exc)
        assert min(pct_to_int(serial, hosts), hosts) > max(1, hosts // 2)
    else:
        assert 1 <= size <= max(1, hosts // 2)
        assert size == min(pct_to_int(serial, hosts), hosts)


@FUZZ
@given(json_values, json_values, json_values, json_values)
def test_never_raises_anything_but_an_ansible_error(a, b, c, d):
    for args, kwargs in (((a, b), {}), ((a, 4), {'allow_large': c}), ((a, b), {'max_percent': c, 'max_hosts': d}),
                         ((a, 4), {'name': c, 'allow_large_name': d}), (('50%', a), {'allow_large': True})):
        try:
            batch_size(*args, **kwargs)
        except AnsibleError as exc:
            assert str(exc).startswith('batch_size: '), str(exc)
