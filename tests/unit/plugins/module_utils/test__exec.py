# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one runner: argv lists only, LANG=C, stdin data, bounded commands, one error type."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from ansible_collections.cni.ovs.plugins.module_utils import _exec


def test_run_returns_rc_and_both_outputs_with_lang_c():
    r = _exec.Runner()
    rc, out, err = r.run(['sh', '-c', 'echo "$LANG $LC_ALL"; echo oops >&2; exit 3'])
    assert (rc, out, err) == (3, 'C C\n', 'oops\n')
    assert r.commands == [['sh', '-c', 'echo "$LANG $LC_ALL"; echo oops >&2; exit 3']]


def test_argv_is_never_given_to_a_shell(tmp_path):
    marker = tmp_path / 'marker'
    rc, out, _err = _exec.Runner().run(['echo', '$(touch %s); `id`' % marker])
    assert rc == 0 and out == '$(touch %s); `id`\n' % marker and not marker.exists()


def test_data_goes_to_stdin_text_or_bytes():
    r = _exec.Runner()
    assert r.run(['cat'], data='a\nb\n') == (0, 'a\nb\n', '')
    assert r.run(['cat'], data=b'\x00x') == (0, '\x00x', '')
    assert r.run(['cat']) == (0, '', '')  # /dev/null, never the caller's stdin


def test_a_program_that_cannot_start_gives_rc_255_and_the_reason():
    rc, out, err = _exec.Runner().run(['/nonexistent/prog', 'x'])
    assert rc == 255 and out == '' and 'cannot run /nonexistent/prog x' in err


def test_timeout_kills_the_process_group_and_gives_rc_none():
    start = time.monotonic()
    rc, out, _err = _exec.Runner().run(['sh', '-c', 'echo hi; sleep 30 & sleep 30'], timeout=0.5)
    assert rc is None and out == 'hi\n' and time.monotonic() - start < 5
    assert _exec.Runner().run(['sh', '-c', 'echo hi; exit 3'], timeout=5) == (3, 'hi\n', '')


def test_a_daemon_left_behind_does_not_block_the_caller():
    start = time.monotonic()
    rc, _out, _err = _exec.Runner().run(['sh', '-c', 'sleep 30 & echo started'], timeout=10)
    assert rc == 0 and time.monotonic() - start < 5


def test_the_timer_of_a_finished_command_kills_nothing_later(tmp_path):
    """The kill timer of a command that returned in time is disarmed: a child it left in its
    process group is still running after the timeout has passed."""
    pidfile = tmp_path / 'child.pid'
    rc, _out, _err = _exec.Runner().run(['sh', '-c', 'sleep 5 >/dev/null 2>&1 & echo $! > "$0"', str(pidfile)], timeout=0.3)
    assert rc == 0
    child = int(pidfile.read_text())
    time.sleep(0.8)
    try:
        with open('/proc/%d/stat' % child) as f:
            assert f.read().split()[2] != 'Z'  # alive, not killed
    finally:
        os.kill(child, signal.SIGKILL)


def test_a_bounded_command_is_not_polled(monkeypatch):
    """Popen.wait(timeout=...) polls with sleeps growing to 50 ms (a command that ends is seen up to
    50 ms late): the runner waits blocking, with a timer for the kill."""
    seen = []
    real_wait = _exec.subprocess.Popen.wait

    def wait(self, timeout=None):
        seen.append(timeout)
        return real_wait(self, timeout)

    monkeypatch.setattr(_exec.subprocess.Popen, 'wait', wait)
    assert _exec.Runner().run(['true'], timeout=5)[0] == 0
    assert seen == [None]


def test_check_raises_one_error_type_with_argv_rc_and_output():
    r = _exec.Runner()
    assert r.check(['sh', '-c', 'echo ok']) == 'ok\n'
    with pytest.raises(_exec.CommandError) as err:
        r.check(['sh', '-c', 'echo out; echo bad >&2; exit 4'])
    exc = err.value
    assert exc.argv == ['sh', '-c', 'echo out; echo bad >&2; exit 4'] and exc.rc == 4
    assert exc.stdout == 'out\n' and exc.stderr == 'bad\n'
    assert exc.msg == "sh -c 'echo out; echo bad >&2; exit 4' failed (rc=4): bad" == str(exc)
    with pytest.raises(_exec.CommandError) as err:
        r.check(['sleep', '30'], timeout=0.2, what='stop_command')
    assert err.value.rc is None and err.value.msg == 'stop_command did not return within 0.2 s (killed)'


def test_runner_is_safe_in_threads():
    r = _exec.Runner()
    results = []

    def one(i):
        results.append(r.run(['sh', '-c', 'echo %d' % i]))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out for _rc, out, _err in results) == sorted('%d\n' % i for i in range(8))
    assert len(r.commands) == 8


class FakeModule:
    def fail_json(self, **kw):
        raise SystemExit(json.dumps(kw))


def test_fail_command_names_the_command_and_returns_its_details():
    exc = _exec.CommandError(['ovsdb-tool', 'join-cluster', 'x'], 1, '', 'syntax error\n')
    with pytest.raises(SystemExit) as out:
        _exec.fail_command(FakeModule(), exc, prefix='OVN_Northbound', suffix='Nothing was changed.', changed=False)
    res = json.loads(str(out.value))
    assert res['msg'] == 'OVN_Northbound: ovsdb-tool join-cluster x failed (rc=1): syntax error. Nothing was changed.'
    assert res['cmd'] == ['ovsdb-tool', 'join-cluster', 'x'] and res['rc'] == 1 and res['stderr'] == 'syntax error\n'
    assert res['changed'] is False
