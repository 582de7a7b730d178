# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared checks of the hostile-input layer.

A hostile case passes when the module or filter answers with a clear error that names the
parameter and the offending value, raises no other exception (a traceback to the user), and
changes nothing (state snapshotted before and after by the caller, e.g. with snapshot_tree).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import stat

from ansible.errors import AnsibleError
from ansible.module_utils.testing import patch_module_args


class Traceback(AssertionError):
    """The code under test raised instead of answering with an error."""


def run_module(module, params, check=False):
    """Run module.main() in-process with params; return its result dict.

    An exception escaping main() (what a user would see as a traceback) fails the test.
    """
    params = dict(params)
    params.setdefault('_ansible_check_mode', check)
    buf = io.StringIO()
    with patch_module_args(params), contextlib.redirect_stdout(buf):
        try:
            module.main()
        except SystemExit:
            pass
        except Exception as exc:  # pylint: disable=broad-exception-caught
            raise Traceback('%s raised %s: %s' % (module.__name__, type(exc).__name__, exc)) from exc
    out = buf.getvalue()
    try:
        return json.loads(out)
    except ValueError as exc:
        raise Traceback('%s printed no JSON result: %r' % (module.__name__, out[:500])) from exc


def _shown(value, limit=40):
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, (int, float)) else str(value)
    return text[:limit]


def assert_module_refused(result, param, value=None):
    """The module failed, changed nothing, and its message names param (and value, when given)."""
    assert result.get('failed'), 'accepted without complaint: %r' % (result,)
    msg = str(result.get('msg', ''))
    assert 'Traceback' not in msg and 'Traceback' not in str(result.get('exception', '')), msg
    assert not result.get('changed'), 'failed but reports changed: %r' % (result,)
    assert param in msg, 'message does not name %r: %s' % (param, msg)
    if value is not None:
        assert _shown(value) in msg, 'message does not show the value %r: %s' % (_shown(value), msg)
    return msg


def assert_filter_refused(func, args, kwargs=None, param=None, value=None):
    """The filter raised an AnsibleError (what Ansible shows as a plain error) naming param/value."""
    msg = None
    try:
        got = func(*args, **(kwargs or {}))
    except AnsibleError as exc:
        msg = str(exc)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise Traceback('%s raised %s: %s' % (getattr(func, '__name__', func), type(exc).__name__, exc)) from exc
    if msg is None:
        raise AssertionError('accepted without complaint, returned %r' % (got,))
    if param is not None:
        assert param in msg, 'message does not name %r: %s' % (param, msg)
    if value is not None:
        assert _shown(value) in msg, 'message does not show the value %r: %s' % (_shown(value), msg)
    return msg


def snapshot_tree(path):
    """Everything observable about a directory tree: type, mode, content digest, link target."""
    snap = {}
    if not os.path.lexists(path):
        return snap
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            rel = os.path.relpath(full, path)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ('link', os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ('dir', stat.S_IMODE(st.st_mode))
            elif not stat.S_ISREG(st.st_mode):
                # sockets, FIFOs, devices: their presence and mode (opening one could block)
                snap[rel] = ('special', stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
            else:
                with open(full, 'rb') as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                snap[rel] = ('file', stat.S_IMODE(st.st_mode), digest)
    st = os.lstat(path)
    snap['.'] = ('root', stat.S_IMODE(st.st_mode))
    return snap
