# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure rule of the playbooks' batch sizes (play-level ``serial``): which values are accepted,
the batch Ansible makes of them, and the largest batch a procedure allows.  No Ansible
imports: used by the batch_size filter and unit-tested on its own.

Ansible's own reading (ansible.utils.helpers.pct_to_int, used by
PlaybookExecutor._get_serialized_batches) is lax: ``int(value)`` for a number, so a YAML
``true`` is 1, ``1.5`` is 1, ``' 2'`` and the full-width ``'２'`` are 2, and 0 or a negative
number means every host at once; ``"N%"`` is ``int(N / 100.0 * hosts) or 1`` with every ``%``
removed first (``'50%%'`` is 50 %, ``'0%'`` is 1, ``'150%'`` is more than every host).  This
core accepts only what reads the same to a person and to Ansible (a positive whole number, or
1%..100% written with ASCII digits) and computes the batch exactly as Ansible does, float
rounding included (29 % of 100 hosts is 28)."""

from __future__ import annotations

import re

# The safety rule: a batch covers at most this percentage of the play's hosts (rounded down,
# at least 1) unless the caller allows large batches.
DEFAULT_MAX_PERCENT = 50

_SERIAL = re.compile(r'([0-9]+)(%?)')
_MAX_DIGITS = 12  # a longer number is refused before int() (no host count comes near it)
_MAX_HOSTS = 10 ** _MAX_DIGITS - 1  # no play has more; keeps the float arithmetic of a percentage finite


class BatchSizeError(ValueError):
    """A refused batch size or parameter (the message names it and its value)."""


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def _count(value, what, minimum=1, maximum=None):
    """A whole number in minimum..maximum (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BatchSizeError('%s: expected a whole number, got %s %s' % (what, type(value).__name__, _short(value)))
    if value < minimum:
        raise BatchSizeError('%s: must be at least %d, got %s' % (what, minimum, _short(value)))
    if maximum is not None and value > maximum:
        raise BatchSizeError('%s: must be at most %d, got %s' % (what, maximum, _short(value)))
    return value


def parse_serial(value, name='serial'):
    """('hosts', N) for a whole number of hosts, ('percent', P) for "P%"; else BatchSizeError."""
    shown = '%s=%s' % (name, _short(value))
    allowed = 'give a whole number of hosts (1, 2, ...) or a percentage of the play\'s hosts (1%..100%)'
    if value is None:
        raise BatchSizeError('%s: no batch size given; %s' % (shown, allowed))
    if isinstance(value, bool):
        raise BatchSizeError('%s: a boolean (YAML true/false/yes/no) is not a batch size '
                             '(Ansible would read true as 1 and false as every host at once); %s' % (shown, allowed))
    if isinstance(value, (list, tuple)):
        raise BatchSizeError('%s: a list of batch sizes (Ansible\'s serial list) is not supported here; %s' % (shown, allowed))
    if isinstance(value, float):
        raise BatchSizeError('%s: a float is not a batch size (Ansible would cut 1.5 down to 1); %s' % (shown, allowed))
    if isinstance(value, int):
        if value < 1:
            raise BatchSizeError('%s: must be at least 1 (Ansible reads 0 and negative numbers as every host at once)' % shown)
        return ('hosts', value)
    if not isinstance(value, str):
        raise BatchSizeError('%s: expected a number or a string, got %s; %s' % (shown, type(value).__name__, allowed))
    match = _SERIAL.fullmatch(value)
    if match is None:
        raise BatchSizeError('%s: not a batch size (only ASCII digits, optionally followed by one %%, no spaces or '
                             'signs); %s' % (shown, allowed))
    if len(match.group(1)) > _MAX_DIGITS:
        raise BatchSizeError('%s: more than %d digits, no play has that many hosts; %s' % (shown, _MAX_DIGITS, allowed))
    number = int(match.group(1))
    if match.group(2):
        if not 1 <= number <= 100:
            raise BatchSizeError('%s: a percentage must be 1%%..100%% of the play\'s hosts' % shown)
        return ('percent', number)
    if number < 1:
        raise BatchSizeError('%s: must be at least 1 (Ansible reads 0 as every host at once)' % shown)
    return ('hosts', number)


def ansible_batch(kind, number, hosts):
    """The batch Ansible makes of a parsed serial for a play of `hosts` hosts (pct_to_int,
    float rounding included), never more than the hosts there are."""
    if kind == 'percent':
        size = int((number / 100.0) * hosts) or 1
    else:
        size = number
    return min(size, hosts)


def max_batch(hosts, max_percent=DEFAULT_MAX_PERCENT, max_hosts=None, allow_large=False):
    """The largest batch allowed: max_percent of the hosts rounded down (exactly, in integers),
    at least 1 (every host with allow_large), and at most max_hosts when given."""
    limit = hosts if allow_large else max(1, hosts * max_percent // 100)
    if max_hosts is not None:
        limit = min(limit, max_hosts)
    return limit


def batch_size(serial, hosts, max_percent=DEFAULT_MAX_PERCENT, max_hosts=None, allow_large=False,
               name='serial', allow_large_name=None):
    """The batch size Ansible will use for `serial` in a play of `hosts` hosts, refused
    (BatchSizeError) when the value is not a plain number or percentage, or when the batch
    is larger than the allowed maximum (max_percent of the hosts, or every host with
    allow_large; and never more than max_hosts)."""
    if not isinstance(name, str) or not name:
        raise BatchSizeError('name: expected the name of the variable (a non-empty string), got %s' % _short(name))
    if allow_large_name is not None and (not isinstance(allow_large_name, str) or not allow_large_name):
        raise BatchSizeError('allow_large_name: expected the name of a variable (a non-empty string), got %s'
                             % _short(allow_large_name))
    if not isinstance(allow_large, bool):
        raise BatchSizeError('allow_large: expected a boolean (pass it through the bool filter), got %s %s'
                             % (type(allow_large).__name__, _short(allow_large)))
    hosts = _count(hosts, 'hosts (the number of hosts in the play)', maximum=_MAX_HOSTS)
    max_percent = _count(max_percent, 'max_percent')
    if max_percent > 100:
        raise BatchSizeError('max_percent: must be 1..100, got %d' % max_percent)
    if max_hosts is not None:
        max_hosts = _count(max_hosts, 'max_hosts')

    kind, number = parse_serial(serial, name)
    size = ansible_batch(kind, number, hosts)
    limit = max_batch(hosts, max_percent, max_hosts, allow_large)
    if size <= limit:
        return size
    shown = '%s=%s: batches of %d of the play\'s %d hosts' % (name, _short(serial), size, hosts)
    if limit == max_hosts and max_hosts < max_batch(hosts, max_percent, None, allow_large):
        raise BatchSizeError('%s; the largest allowed batch is %d hosts (max_hosts)' % (shown, max_hosts))
    if max_percent == 50:
        rule, kept = 'half of the hosts', 'at least half of the nodes'
    else:
        rule, kept = '%d%% of the hosts' % max_percent, 'at least %d%% of the nodes' % (100 - max_percent)
    override = ('; set %s=true to allow larger batches' % allow_large_name) if allow_large_name else ''
    raise BatchSizeError('%s; the largest allowed batch is %d (%s, rounded down, at least 1), so that a failed '
                         'batch (the run stops there) leaves %s on the old, working version%s'
                         % (shown, limit, rule, kept, override))
