# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one atomic file writer of the cni.ovs modules.

:func:`write_atomic` guarantees, in order:

* the content goes to a fresh temporary file in the target's own directory, created by
  ``tempfile.mkstemp`` (``O_CREAT|O_EXCL|O_NOFOLLOW``, an unpredictable name
  ``.<name>.XXXXXXXX.tmp``), so a file or symlink planted at a guessable name is never
  written through;
* the temporary file gets ``mode`` (default 0600) before any byte is written;
* the content is flushed and ``fsync``'ed, then ``os.replace``'d over the target: a reader
  sees the old file or the whole new one, never a part;
* a symlink at the target is replaced, never followed (nothing outside the directory is
  written);
* the directory is ``fsync``'ed, so the rename survives a power loss;
* on any error the temporary file is removed and the target is left as it was;
* temporary files of the same target that an earlier writer left behind (killed mid-write)
  are removed first, so crashes do not pile them up.

Nothing here changes the mode or owner of an existing target other than by replacing it:
the new file is owned by the user running the module and has ``mode``.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile

__all__ = ['write_atomic', 'fsync_dir']

_TMP_SUFFIX = '.tmp'


# errno values with which a file system says it cannot fsync a directory at all (some network
# and FUSE file systems): nothing more can be done there, so that is not a failed write.
_NO_DIR_FSYNC = frozenset(getattr(errno, n) for n in ('EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EBADF') if hasattr(errno, n))


def fsync_dir(path):
    """fsync a directory (the rename of an entry in it is then durable). A file system that does
    not support it (EINVAL, ENOTSUP) is not an error; a failed fsync (EIO, ...) is."""
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in _NO_DIR_FSYNC:
            raise
    finally:
        os.close(fd)


def _sweep(directory, name):
    """Remove ``.<name>.XXXXXXXX.tmp`` files an interrupted writer of ``name`` left in ``directory``."""
    pattern = re.compile(r'^\.%s\.[A-Za-z0-9_]{8}%s$' % (re.escape(name), re.escape(_TMP_SUFFIX)))
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        if pattern.match(entry):
            try:
                os.unlink(os.path.join(directory, entry))  # unlink never follows a symlink
            except OSError:
                pass


def write_atomic(path, data=None, mode=0o600, writer=None):
    """Replace ``path`` atomically with ``data`` (str or bytes), or with what ``writer(fileobj)`` writes.

    ``writer`` gets the temporary file opened for binary writing (for streamed content such
    as a tar archive). Returns ``path``. Raises OSError (the target unchanged) on failure.
    """
    if (data is None) == (writer is None):
        raise ValueError('write_atomic needs data or writer, not both')
    directory, name = os.path.split(os.path.abspath(path))
    _sweep(directory, name)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % name, suffix=_TMP_SUFFIX, dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as f:
            if writer is not None:
                writer(f)
            else:
                f.write(data.encode('utf-8') if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)
    return path
