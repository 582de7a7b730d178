# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one atomic writer: every guarantee of the writers it replaced, one test each."""

from __future__ import annotations

import errno
import os
import re
import stat

import pytest

from ansible_collections.cni.ovs.plugins.module_utils import _atomic

TMP_RE = re.compile(r'^\.target\.[a-z0-9_]{8}\.tmp$')


def test_writes_text_or_bytes_mode_0600_by_default(tmp_path):
    target = tmp_path / 'target'
    assert _atomic.write_atomic(str(target), 'hé\n') == str(target)
    assert target.read_text(encoding='utf-8') == 'hé\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    _atomic.write_atomic(str(target), b'\x00\x01', mode=0o640)
    assert target.read_bytes() == b'\x00\x01' and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_mode_is_set_regardless_of_umask(tmp_path):
    old = os.umask(0o077)
    try:
        _atomic.write_atomic(str(tmp_path / 'target'), 'x', mode=0o644)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / 'target').stat().st_mode) == 0o644


def test_temp_file_is_in_the_same_directory_with_an_unpredictable_name(tmp_path):
    seen = []

    def writer(f):
        seen.append(sorted(os.listdir(str(tmp_path))))
        f.write(b'data')
    _atomic.write_atomic(str(tmp_path / 'target'), writer=writer)
    _atomic.write_atomic(str(tmp_path / 'target'), writer=writer)
    names = [n for listing in seen for n in listing if n != 'target']
    assert len(names) == 2 and all(TMP_RE.match(n) for n in names) and names[0] != names[1]
    assert sorted(os.listdir(str(tmp_path))) == ['target']


@pytest.mark.parametrize('planted', ['.target.tmp', 'target.part', 'target.tmp', '.target.XXXXXX.tmp'])
def test_a_symlink_planted_at_a_guessable_temp_name_is_never_written_through(tmp_path, planted):
    victim = tmp_path / 'victim'
    victim.write_text('precious\n')
    victim.chmod(0o644)
    (tmp_path / 'd').mkdir()
    os.symlink(str(victim), str(tmp_path / 'd' / planted))
    _atomic.write_atomic(str(tmp_path / 'd' / 'target'), 'new\n')
    assert victim.read_text() == 'precious\n' and stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert (tmp_path / 'd' / 'target').read_text() == 'new\n'


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / 'victim'
    victim.write_text('precious\n')
    os.symlink(str(victim), str(tmp_path / 'target'))
    _atomic.write_atomic(str(tmp_path / 'target'), 'new\n')
    assert victim.read_text() == 'precious\n'
    assert not os.path.islink(str(tmp_path / 'target')) and (tmp_path / 'target').read_text() == 'new\n'


def test_a_failure_leaves_the_target_as_it_was_and_no_temp_file(tmp_path):
    target = tmp_path / 'target'
    target.write_text('old\n')

    def broken(f):
        f.write(b'half')
        raise OSError(28, 'No space left on device (injected)')
    with pytest.raises(OSError):
        _atomic.write_atomic(str(target), writer=broken)
    assert target.read_text() == 'old\n' and os.listdir(str(tmp_path)) == ['target']


def test_a_failing_rename_leaves_the_target_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / 'target'
    target.write_text('old\n')

    def refuse(src, dst):
        raise OSError(5, 'Input/output error (injected)')
    monkeypatch.setattr(os, 'replace', refuse)
    with pytest.raises(OSError):
        _atomic.write_atomic(str(target), 'new\n')
    assert target.read_text() == 'old\n' and os.listdir(str(tmp_path)) == ['target']


def test_file_and_directory_are_fsynced_before_and_after_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(('fsync', 'dir' if stat.S_ISDIR(os.fstat(fd).st_mode) else 'file'))
        real_fsync(fd)

    def replace(src, dst):
        events.append(('replace', os.path.basename(dst)))
        real_replace(src, dst)
    monkeypatch.setattr(os, 'fsync', fsync)
    monkeypatch.setattr(os, 'replace', replace)
    _atomic.write_atomic(str(tmp_path / 'target'), 'x')
    assert events == [('fsync', 'file'), ('replace', 'target'), ('fsync', 'dir')]


def test_temp_files_a_killed_writer_left_are_swept_others_kept(tmp_path):
    victim = tmp_path / 'victim'
    victim.write_text('precious\n')
    (tmp_path / '.target.abcd1234.tmp').write_text('left by a killed run')
    os.symlink(str(victim), str(tmp_path / '.target.zz_z9999.tmp'))
    (tmp_path / '.other.abcd1234.tmp').write_text('not ours')
    (tmp_path / '.target.short.tmp').write_text('not a mkstemp name')
    _atomic.write_atomic(str(tmp_path / 'target'), 'x')
    assert sorted(os.listdir(str(tmp_path))) == ['.other.abcd1234.tmp', '.target.short.tmp', 'target', 'victim']
    assert victim.read_text() == 'precious\n'


def test_needs_data_or_writer(tmp_path):
    with pytest.raises(ValueError):
        _atomic.write_atomic(str(tmp_path / 'target'))
    with pytest.raises(ValueError):
        _atomic.write_atomic(str(tmp_path / 'target'), 'x', writer=lambda f: None)


@pytest.mark.parametrize('err, raised', [(errno.EINVAL, False), (errno.EOPNOTSUPP, False), (errno.EIO, True)])
def test_directory_fsync_unsupported_is_not_a_failure_a_failed_one_is(tmp_path, monkeypatch, err, raised):
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(err, os.strerror(err))
        return real_fsync(fd)

    monkeypatch.setattr(_atomic.os, 'fsync', fsync)
    target = tmp_path / 'f'
    if raised:
        with pytest.raises(OSError):
            _atomic.write_atomic(str(target), 'x')
    else:
        _atomic.write_atomic(str(target), 'x')
        assert target.read_text() == 'x'
