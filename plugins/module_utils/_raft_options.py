# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The options shared by ovn_raft_member and ovn_cluster_info: one argument spec, one validation.

Documented once in ``plugins/doc_fragments/raft.py``. :func:`check_raft_options` raises
:class:`RaftInputError` with the same message in both modules, which report it with
:func:`fail_input`.
"""

from __future__ import annotations

import os
import stat

from ansible_collections.cni.ovs.plugins.module_utils._raft_health import COMMON_NUMBERS, RaftInputError, check_number, resolve_db

__all__ = ['RAFT_ARGSPEC', 'check_raft_options', 'check_raft_sockets', 'check_path', 'fail_input']

RAFT_ARGSPEC = dict(
    db=dict(type='str', required=True),
    ctl=dict(type='path'),
    peer_ctls=dict(type='list', elements='path', default=[]),
    stale_factor=dict(type='raw', default=3),
)


def check_path(name, value):
    """An absolute path of at most 4096 characters without NUL, else RaftInputError naming the option."""
    if value is not None and (not value or not os.path.isabs(value) or '\x00' in value or len(value) > 4096):
        raise RaftInputError('%s must be an absolute path of at most 4096 characters, got %r' % (name, value[:200]))
    return value


def _check_socket(db, name, path):
    if not os.path.exists(path):
        raise RaftInputError('%s: %s: control socket %s does not exist (is ovsdb-server running, is the path right?)' % (db, name, path))
    if not stat.S_ISSOCK(os.stat(path).st_mode):
        raise RaftInputError('%s: %s: %s is not a control socket (a Unix socket of ovsdb-server --unixctl)' % (db, name, path))


def check_raft_options(p):
    """Validate the values of the shared options in ``p`` (module params, updated in place); return ``(db info, ctl)``.

    The modules check their own options next, then the sockets with :func:`check_raft_sockets`.
    """
    info = resolve_db(p['db'])
    low, low_ok, high = COMMON_NUMBERS['stale_factor']
    p['stale_factor'] = check_number('stale_factor', p['stale_factor'], low, low_ok, high)
    ctl = p['ctl'] or info['ctl']
    if not ctl:
        raise RaftInputError('db %s is not nb or sb: give ctl, the control socket of one of its members' % info['name'])
    check_path('ctl', ctl)
    for c in p['peer_ctls']:
        check_path('peer_ctls', c)
    return info, ctl


def check_raft_sockets(info, ctl, peer_ctls):
    """After every value is checked: ctl must be a control socket; so must each of peer_ctls that exists."""
    _check_socket(info['name'], 'ctl', ctl)
    for c in peer_ctls:
        if os.path.lexists(c):  # a stopped member's socket may be gone: its view reports it, the leader decides
            _check_socket(info['name'], 'peer_ctls', c)


def fail_input(module, exc):
    """How both raft modules report a refused option: the message, then that nothing was changed."""
    module.fail_json(msg='%s. Nothing was changed.' % exc)
