# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writing the rollout report files (used by the cni.ovs.rollout_report callback)."""

from __future__ import annotations

import os

from ansible_collections.cni.ovs.plugins.module_utils._atomic import write_atomic as _write_atomic


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path, text):
    """Replace path with text (UTF-8): readers see the old file or the whole new one, also after a crash.

    module_utils._atomic: a new temp file with a random name in path's directory (a link planted at
    a guessable name is never followed), flushed and fsynced, renamed over path, the directory
    fsynced; on an error no temp file is left and path is as it was. The report gets the mode a
    plain open() would give it (0666 less the umask): it is meant to be read by others.
    """
    _write_atomic(path, text, mode=0o666 & ~_umask())
