# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: batch_size
short_description: Check a play's batch size (C(serial)) and return the batch Ansible makes of it
version_added: 0.1.0
author: cni.ovs contributors (!UNKNOWN)
description:
  - "Returns the number of hosts per batch that Ansible's play keyword C(serial) gives for the value in a play of
    O(hosts) hosts, computed as Ansible computes it (C(pct_to_int) in C(ansible.utils.helpers)): a percentage of the
    hosts rounded down (with Ansible's float arithmetic, so 29% of 100 hosts is 28), at least 1; never more than
    the hosts there are."
  - "Accepts only values that read the same to a person and to Ansible: a whole number of hosts from 1 (an integer,
    or a string of ASCII digits such as V(2)) or a percentage V(1%) to V(100%)."
  - "Refuses what Ansible would read silently in another way: a boolean (a YAML V(true) is not 1, and V(false) would
    be every host at once), a float (V(1.5) would be 1), V(0) and negative numbers (every host at once), a
    percentage outside 1..100, spaces, signs, V(50%%), non-ASCII digits, and a list (Ansible's list of batch sizes
    for C(serial) is not supported: give one number or one percentage)."
  - "Safety rule: the batch may cover at most O(max_percent) of the hosts, by default half, rounded down, at least 1
    (with one or two hosts the batch is 1). With C(any_errors_fatal) a failed batch stops the run, so a bad upgrade
    reaches at most half of the nodes, the other half stays on the old, working version and its data plane is
    untouched. O(allow_large=true) allows every host, O(max_hosts) caps the batch in any case."
  - Every refusal is an error naming the variable (O(name)) and its value, and says what is allowed; a batch too
    large also names the opt-in variable (O(allow_large_name)).
options:
  _input:
    description: The batch size, as given for C(serial), for example C(ovs_hot_upgrade_serial).
    type: raw
    required: true
  hosts:
    description: The number of hosts in the play, for example C(ansible_play_hosts_all | length). At least 1.
    type: int
    required: true
  max_percent:
    description: The largest batch as a percentage of the hosts (rounded down, at least 1). 1..100.
    type: int
    default: 50
  max_hosts:
    description: The largest batch as a number of hosts, in addition to O(max_percent). Not set, no such limit.
    type: int
  allow_large:
    description: Allow batches up to every host (O(max_percent) is not applied; O(max_hosts) still is).
      Must be a boolean (pass a survey or C(-e) answer through the C(bool) filter).
    type: bool
    default: false
  name:
    description: The name of the variable, shown in the error messages.
    type: str
    default: serial
  allow_large_name:
    description: The name of the variable that sets O(allow_large), shown in the message of a batch too large.
    type: str
"""

EXAMPLES = r"""
# Checked in a play before any change, then used for the next play's serial (playbooks/ovs_hot_upgrade.yml).
- name: Preflight | Batch size, checked before anything changes
  run_once: true
  delegate_to: localhost
  delegate_facts: true
  ansible.builtin.set_fact:
    ovs_hot_upgrade__batch: >-
      {{ ovs_hot_upgrade_serial | default(1) | cni.ovs.batch_size(ansible_play_hosts_all | length,
         allow_large=ovs_hot_upgrade_serial_allow_large | default(false) | bool,
         name='ovs_hot_upgrade_serial', allow_large_name='ovs_hot_upgrade_serial_allow_large') }}

# '50%' of 4 hosts is 2; '75%' of 4 hosts is refused (3 is more than half); '150%' is refused.
- name: Batches of 2
  ansible.builtin.debug:
    msg: "{{ '50%' | cni.ovs.batch_size(4) }}"
"""

RETURN = r"""
_value:
  description: The number of hosts per batch (the last batch may be smaller).
  type: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cni.ovs.plugins.module_utils._batch import BatchSizeError
from ansible_collections.cni.ovs.plugins.module_utils._batch import DEFAULT_MAX_PERCENT
from ansible_collections.cni.ovs.plugins.module_utils._batch import batch_size as _batch_size


def batch_size(value, hosts, max_percent=DEFAULT_MAX_PERCENT, max_hosts=None, allow_large=False, name='serial',
               allow_large_name=None):
    """The batch size Ansible makes of value, refused beyond the allowed maximum (see DOCUMENTATION)."""
    try:
        return _batch_size(value, hosts, max_percent=max_percent, max_hosts=max_hosts, allow_large=allow_large,
                           name=name, allow_large_name=allow_large_name)
    except BatchSizeError as exc:
        raise AnsibleFilterError('batch_size: %s' % exc)


class FilterModule:
    """cni.ovs.batch_size filter."""

    def filters(self):
        return {'batch_size': batch_size}
