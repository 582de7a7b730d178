# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure pieces of the flow_restore_wait core: manifest shape, argv checks, the save directory,
bounded commands, and the order of the phase boundaries (driven with a fake switch)."""

from __future__ import annotations

import copy
import os

import pytest

from ansible_collections.cni.ovs.plugins.module_utils import _ovs_restart as core

DIGEST = 'sha256:' + '0' * 64
GOOD = {'version': 2, 'operation': 'restarted', 'phase': 'started', 'old_pid': 10, 'new_pid': 11, 'ofports': {'p1': 1},
        'bridges': {'br-int': {'of_version': 'OpenFlow15', 'counts': {'flows': 3, 'groups': 1, 'meters': 0, 'tlv': 0},
                               'digests': dict((k, DIGEST) for k in ('flows', 'groups', 'meters', 'tlv'))}}}


def _edit(path, value):
    doc = copy.deepcopy(GOOD)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def test_good_manifest_passes():
    assert core.validate_manifest(copy.deepcopy(GOOD), '/x/manifest.json') == GOOD


@pytest.mark.parametrize('doc,what', [
    ([1], 'top level is list'),
    ('text', 'top level is str'),
    (_edit(['bridges'], 5), '"bridges" is 5'),
    (_edit(['bridges'], {}), '"bridges" is {}'),
    (_edit(['version'], 3), '"version" is 3'),
    (_edit(['version'], True), '"version" is True'),
    (_edit(['phase'], 'later'), '"phase" is later'),
    (_edit(['operation'], None), '"operation" is None'),
    (_edit(['old_pid'], KeyError), '"old_pid" is missing'),
    (_edit(['old_pid'], '10'), '"old_pid" is 10'),
    (_edit(['ofports'], {'p1': 'one'}), '"ofports"'),
    (_edit(['bridges', 'br-int', 'counts', 'flows'], -1), 'bridges.br-int.counts'),
    (_edit(['bridges', 'br-int', 'counts'], {'flows': 1}), 'bridges.br-int.counts'),
    (_edit(['bridges', 'br-int', 'digests', 'flows'], 'md5:1'), 'bridges.br-int.digests'),
    (_edit(['bridges', 'br-int', 'of_version'], 'OpenFlow16'), 'bridges.br-int.of_version'),
    (_edit(['bridges', 'br-int'], []), 'bridges.br-int'),
])
def test_bad_manifest_shapes_are_named(doc, what):
    with pytest.raises(core.Abort) as err:
        core.validate_manifest(doc, '/x/manifest.json')
    assert '/x/manifest.json has an unexpected shape' in err.value.msg and what in err.value.msg


def test_version_1_manifest_without_digests_is_accepted():
    doc = _edit(['bridges', 'br-int', 'digests'], KeyError)
    doc['version'] = 1
    assert core.validate_manifest(doc, 'm')['version'] == 1


def test_resolve_argv(tmp_path):
    assert core.resolve_argv(['true'], 'restart_command')[0].endswith('/true')
    assert len(core.resolve_argv(['env', '-i', 'A=B', 'true', 'x'], 'restart_command')) == 2
    script = tmp_path / 'start'
    script.write_text('#!/bin/sh\n')
    script.chmod(0o644)
    for argv in ([str(script)], ['/nonexistent/x'], ['env', 'A=1', '/nonexistent/y'], ['no-such-prog-frw'], [''], []):
        with pytest.raises(core.Abort) as err:
            core.resolve_argv(argv, 'restart_command', path_env='/usr/bin:/bin')
        assert 'restart_command' in err.value.msg and 'nothing was' in err.value.msg
    script.chmod(0o755)
    assert core.resolve_argv([str(script)], 'restart_command') == [str(script)]
    assert core.resolve_argv(['start'], 'restart_command', path_env=str(tmp_path)) == [str(script)]


def test_save_dir_never_follows_a_planted_symlink_and_keeps_the_mode(tmp_path):
    save = tmp_path / 'save'
    save.mkdir()
    save.chmod(0o1777)
    victim = tmp_path / 'victim'
    victim.write_text('keep\n')
    (save / '.manifest.json.tmp').symlink_to(victim)
    fs = core.SaveDir(str(save))
    fs.write('manifest.json', '{}\n')
    assert victim.read_text() == 'keep\n'
    assert oct(save.stat().st_mode & 0o7777) == '0o1777'
    assert oct((save / 'manifest.json').stat().st_mode & 0o777) == '0o600'
    assert fs.read('manifest.json') == '{}\n'
    (save / 'link.flows').symlink_to(victim)
    with pytest.raises(core.Abort) as err:
        fs.read('link.flows')
    assert 'symlink' in err.value.msg
    assert fs.read('absent') is None


@pytest.mark.parametrize('path,what', [('rel/dir', 'relative'), ('/a/../b', '..'), ('', 'non-empty')])
def test_save_dir_refuses_bad_paths(path, what):
    with pytest.raises(core.Abort) as err:
        core.SaveDir(path).check()
    assert 'save_dir=' in err.value.msg and what in err.value.msg


def test_save_dir_created_0700(tmp_path):
    fs = core.SaveDir(str(tmp_path / 'a' / 'b'))
    assert fs.check() is False and not os.path.exists(fs.path)
    assert fs.check(create=True) is True
    assert oct(os.stat(fs.path).st_mode & 0o777) == '0o700'


def test_bridge_names():
    for good in ('br-int', 'breth0', 'br.ex', 'br_local', 'a:b@c+d'):
        assert core.check_bridge_name(good) == good
    for bad in ('-br', '.hidden', '..', 'a/b', 'a b', 'a;b', '$(x)', '', 'x' * 256, 5, None):
        with pytest.raises(core.Abort):
            core.check_bridge_name(bad)


def test_boundaries_in_order():
    assert core.BOUNDARIES == ('saved', 'stopping', 'stopped', 'flag_set', 'started', 'restored', 'cleared')


class FakeClock:
    """Monotonic time that advances only when the core sleeps."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    @staticmethod
    def utc_stamp():
        return '2026-01-01T00:00:00Z'


def _stopping_core(tmp_path, answers_for, stop_timeout=30):
    """A core whose stop_command fails (rc=1) while the old daemon's socket answers for ``answers_for`` seconds."""
    clock = FakeClock()
    params = {'rundir': str(tmp_path), 'save_dir': str(tmp_path / 'save'), 'stop_command': ['/bin/false'],
              'stop_timeout': stop_timeout}
    c = core.RestartCore(params, lambda argv, data=None, timeout=None: (1, '', 'exit: connection closed'), {}, clock=clock)
    gone_at = clock.now + answers_for
    c._alive = lambda pid: clock.now < gone_at
    c._pidfile_pid = lambda: None  # the pidfile is gone once the daemon exited
    return c, clock


def test_stop_request_failing_while_the_daemon_exits_is_not_a_failure(tmp_path):
    """The race: the stop request fails but the daemon is already exiting; its socket answers
    0.5 s longer. The core polls (no fixed sleep) and carries on once it is gone."""
    c, clock = _stopping_core(tmp_path, answers_for=0.5)
    c.stop_old(4242)
    assert 0.5 <= clock.now - 100.0 < 0.5 + 2 * core.POLL
    assert set(clock.sleeps) == {core.POLL}


def test_a_daemon_still_answering_after_the_grace_fails_the_stop(tmp_path):
    c, clock = _stopping_core(tmp_path, answers_for=1000)
    with pytest.raises(core.Abort) as err:
        c.stop_old(4242)
    assert err.value.msg == 'stop_command failed (rc=1): exit: connection closed'
    assert core.EXIT_GRACE <= clock.now - 100.0 < core.EXIT_GRACE + 2 * core.POLL


def test_the_grace_never_exceeds_stop_timeout(tmp_path):
    c, clock = _stopping_core(tmp_path, answers_for=1000, stop_timeout=1)
    with pytest.raises(core.Abort):
        c.stop_old(4242)
    assert 1 <= clock.now - 100.0 < 1 + 2 * core.POLL


def test_a_killed_daemon_still_tearing_down_is_reported_as_exited(tmp_path):
    """The race seen in CI: a restore command fails with "Connection reset by peer" because the new
    ovs-vswitchd was killed, but its control socket still accepts for a moment. The core waits up to
    EXIT_GRACE for it to go before deciding whether the daemon exited or the command failed."""
    c, clock = _stopping_core(tmp_path, answers_for=0.3)
    assert c.wait_gone(4242, core.EXIT_GRACE)
    assert 0.3 <= clock.now - 100.0 < 0.3 + 2 * core.POLL
    c, clock = _stopping_core(tmp_path, answers_for=1000)
    assert not c.wait_gone(4242, core.EXIT_GRACE)
    assert core.EXIT_GRACE <= clock.now - 100.0 < core.EXIT_GRACE + 2 * core.POLL
