# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure helpers for comma-separated IP lists such as Kube-OVN's ``NODE_IPS`` and ``OVN_DB_IPS``.

No I/O.  Used by the ``cni.ovs.node_ips`` filter.
"""

from __future__ import annotations

import ipaddress

__all__ = ['IPListError', 'parse_ip', 'split_ip_list', 'edit_ip_list']


class IPListError(ValueError):
    """An entry is not an IP address, or the input is not a list of them."""


def _short(value, limit=80):
    """repr() of value for an error message, cut to limit characters (a 10 MB input stays readable)."""
    text = repr(value)
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def parse_ip(value, what='address'):
    """Return ``ipaddress`` object for ``value`` (IPv4 or IPv6, brackets allowed around IPv6).

    Scoped addresses (``fe80::1%eth0``) are refused: a zone means nothing to another host."""
    if not isinstance(value, str):
        raise IPListError('%s %s is a %s, expected a string with an IP address' % (what, _short(value), type(value).__name__))
    text = value.strip()
    if text.startswith('[') and text.endswith(']'):
        text = text[1:-1]
    if not text:
        raise IPListError('%s is empty, expected an IP address' % what)
    if '%' in text:
        raise IPListError('%s %s is a scoped address (%%zone), expected an IPv4 or IPv6 address without a zone'
                          % (what, _short(value)))
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise IPListError('%s %s is not an IPv4 or IPv6 address' % (what, _short(value)))


def split_ip_list(value, what='input'):
    """Split a comma-separated list (or accept a list) into stripped, validated entries.

    Returns a list of ``(text, ip)`` pairs in the original order.  Empty input
    (``''`` or ``[]``) is an empty list.  Empty items (``a,,b``) and invalid
    addresses raise :class:`IPListError`.
    """
    if isinstance(value, str):
        items = [] if not value.strip() else value.split(',')
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise IPListError('%s: expected a comma-separated string or a list of IP addresses, got %s %s'
                          % (what, type(value).__name__, _short(value)))
    out = []
    for pos, item in enumerate(items, 1):
        if not isinstance(item, str):
            raise IPListError('%s: item %d (%s) is a %s, expected an IP address string' % (what, pos, _short(item), type(item).__name__))
        text = item.strip()
        if not text:
            raise IPListError('%s: item %d of %s is empty (stray comma?)' % (what, pos, _short(value)))
        out.append((text, parse_ip(text, '%s: item %d' % (what, pos))))
    return out


def _as_list(value, what):
    if value is None:
        return []
    if isinstance(value, str):
        return value.split(',') if value.strip() else []
    if isinstance(value, (list, tuple)):
        return list(value)
    raise IPListError('%s must be an IP address, a comma-separated string or a list, got %s %s'
                      % (what, type(value).__name__, _short(value)))


def edit_ip_list(value, add=None, remove=None):
    """Add and/or remove IPs in a comma-separated list, keeping order.

    ``add`` entries go to the end unless already present (compared as
    addresses, so ``fd00::1`` equals ``fd00:0::1``); ``remove`` entries are
    dropped wherever they are (absent ones are ignored).  Duplicates already in
    ``value`` are kept as they are.  Removal is applied before addition.
    Returns the list as a comma-separated string without spaces.
    """
    current = split_ip_list(value)
    to_remove = set(parse_ip(v, 'remove: address') for v in _as_list(remove, 'remove'))
    to_add = [(v.strip().strip('[]') if isinstance(v, str) else v, parse_ip(v, 'add: address')) for v in _as_list(add, 'add')]
    kept = [(t, ip) for t, ip in current if ip not in to_remove]
    present = set(ip for _t, ip in kept)
    for text, ip in to_add:
        if ip not in present:
            kept.append((text, ip))
            present.add(ip)
    return ','.join(t for t, _ip in kept)
