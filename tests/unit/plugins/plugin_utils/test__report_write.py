# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report file writer: a fresh temp file in the target directory, fsync, rename, fsync of the directory."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.cni.ovs.plugins.plugin_utils._report_write import write_atomic


@pytest.fixture
def fsyncs(monkeypatch):
    """Record what each os.fsync call synced: 'file:<name>' or 'dir:<path>'."""
    seen = []
    real = os.fsync

    def fake(fd):
        st = os.fstat(fd)
        seen.append(('dir' if stat.S_ISDIR(st.st_mode) else 'file', st.st_ino))
        return real(fd)

    monkeypatch.setattr(os, 'fsync', fake)
    return seen


def listing(d):
    return sorted(os.listdir(str(d)))


def test_writes_text_fsyncs_file_then_directory(tmp_path, fsyncs):
    path = tmp_path / 'r.json'
    write_atomic(str(path), 'héllo\n')
    assert path.read_bytes() == 'héllo\n'.encode('utf-8')
    assert listing(tmp_path) == ['r.json']
    assert fsyncs == [('file', path.stat().st_ino), ('dir', tmp_path.stat().st_ino)]


def test_replaces_an_existing_report_and_keeps_the_usual_mode(tmp_path):
    path = tmp_path / 'r.html'
    path.write_text('old')
    old = os.umask(0o022)
    try:
        write_atomic(str(path), 'new')
    finally:
        os.umask(old)
    assert path.read_text() == 'new' and listing(tmp_path) == ['r.html']
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_temp_file_is_new_and_in_the_target_directory(tmp_path, monkeypatch):
    moves = []
    real = os.replace

    def spy(src, dst):
        moves.append((os.path.dirname(src), os.path.basename(src)))
        return real(src, dst)

    monkeypatch.setattr(os, 'replace', spy)
    path = tmp_path / 'r.json'
    write_atomic(str(path), 'a')
    write_atomic(str(path), 'b')
    assert [d for d, _n in moves] == [str(tmp_path)] * 2
    assert moves[0][1] != moves[1][1], 'predictable temp name'


def test_never_follows_a_symlink_at_a_predictable_temp_name(tmp_path):
    victim = tmp_path / 'victim'
    victim.write_text('precious')
    reports = tmp_path / 'reports'
    reports.mkdir()
    path = reports / 'r.json'
    # the names an attacker can guess: <path>.tmp<pid>, <path>.tmp
    for name in ('r.json.tmp%d' % os.getpid(), 'r.json.tmp'):
        os.symlink(str(victim), str(reports / name))
    write_atomic(str(path), 'report')
    assert victim.read_text() == 'precious'
    assert path.read_text() == 'report' and not path.is_symlink()


@pytest.mark.parametrize('fail', ['encode', 'fsync', 'replace'])
def test_no_temp_file_left_behind_on_error(tmp_path, monkeypatch, fail):
    path = tmp_path / 'r.json'
    path.write_text('previous')
    text = 'x'
    if fail == 'encode':
        text = 'lone surrogate \udc80'
    else:
        def boom(*_a):
            raise OSError(28, 'No space left on device')
        monkeypatch.setattr(os, fail, boom)
    with pytest.raises((OSError, ValueError)):
        write_atomic(str(path), text)
    assert listing(tmp_path) == ['r.json'] and path.read_text() == 'previous'


def test_missing_directory_is_an_error(tmp_path):
    with pytest.raises(OSError):
        write_atomic(str(tmp_path / 'nope' / 'r.json'), 'x')
    assert listing(tmp_path) == []
