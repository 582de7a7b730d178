# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Durable, atomic writing of the rollout report files (used by the cni.ovs.rollout_report callback)."""

from __future__ import annotations

import errno
import os
import tempfile


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path):
    flags = os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    except OSError as e:
        # some file systems cannot sync a directory: the file itself is synced and in place
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(fd)


def write_atomic(path, text):
    """Replace path with text (UTF-8): readers see the old file or the whole new one, also after a crash.

    The temp file is created new (O_EXCL, a random name: a link planted there is never followed) in
    path's directory, written, flushed and fsynced, renamed over path, then the directory is fsynced.
    On any error the temp file is removed and the exception raised; path is left as it was.
    The new file gets the mode a plain open() would give (0666 less the umask).
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            os.fchmod(f.fileno(), 0o666 & ~_umask())
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)
