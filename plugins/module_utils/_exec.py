# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one way cni.ovs runs external commands.

* :meth:`Runner.run` runs an argv list (never a shell) with ``LANG=C``/``LC_ALL=C``, stdin from
  ``data`` or ``/dev/null``, and returns ``(rc, stdout, stderr)``. With ``timeout`` the command
  runs in its own session and its process group is killed when it does not return in time
  (``rc`` is then None). Output goes to files, not pipes, so that a daemon the command leaves
  behind (holding the descriptors) cannot block the caller. It is safe in worker threads.
  It is the one method tests patch.
* :meth:`Runner.check` raises :class:`CommandError` (argv, rc, stdout, stderr) when rc is not 0.
* :func:`fail_command` is how a module turns a :class:`CommandError` into ``fail_json``: the
  message names the command, and ``cmd``, ``rc``, ``stdout``, ``stderr`` are returned.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import threading

__all__ = ['CommandError', 'Runner', 'command_details', 'fail_command', 'LOCALE']

LOCALE = {'LANG': 'C', 'LC_ALL': 'C'}


def _tail(text, limit=2000):
    text = (text or '').strip()
    return text if len(text) <= limit else '...' + text[-limit:]


class CommandError(Exception):
    """A command failed (rc not 0, or did not return in time: rc None)."""

    def __init__(self, argv, rc, stdout='', stderr='', what=None, timeout=None):
        self.argv = list(argv)
        self.rc = rc
        self.stdout = stdout or ''
        self.stderr = stderr or ''
        self.what = what or ' '.join(shlex.quote(a) for a in self.argv)
        if rc is None:
            how = 'did not return within %s s (killed)' % timeout
        else:
            how = 'failed (rc=%s)' % rc
        output = _tail(self.stderr or self.stdout)
        self.msg = '%s %s%s' % (self.what, how, ': %s' % output if output else '')
        super(CommandError, self).__init__(self.msg)


def _wait(proc, timeout):
    """Wait for ``proc``; kill its process group after ``timeout`` seconds (rc None then).

    Not ``Popen.wait(timeout=...)``: it polls with sleeps that grow to 50 ms, so a command was
    seen to end up to 50 ms late (a hot restart's gap includes the restart command). A blocking
    wait with a timer thread that kills the group returns as soon as the command ends.
    """
    if timeout is None:
        return proc.wait()
    lock = threading.Lock()
    state = {'done': False, 'killed': False}

    def kill():
        with lock:
            if state['done']:
                return
            state['killed'] = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    timer.start()
    try:
        rc = proc.wait()
    finally:
        with lock:
            # after this the timer kills nothing: the group id may be reused once the leader is reaped
            state['done'] = True
        timer.cancel()
    return None if state['killed'] else rc


class Runner:
    """Runs argv lists; ``commands`` lists every argv run, in order."""

    def __init__(self):
        self.commands = []

    def run(self, argv, data=None, timeout=None):
        """Run ``argv``; return ``(rc, stdout, stderr)`` (rc None when killed after ``timeout`` seconds).

        A program that cannot be started gives rc 255 and the reason in stderr.
        """
        argv = list(argv)
        self.commands.append(argv)
        env = dict(os.environ, **LOCALE)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as stdin:
            if data is not None:
                stdin.write(data.encode('utf-8') if isinstance(data, str) else data)
                stdin.seek(0)
            try:
                proc = subprocess.Popen(argv, stdin=stdin if data is not None else subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                        stdout=out, stderr=err, env=env, close_fds=True,
                                        start_new_session=timeout is not None)
            except (IOError, OSError, ValueError) as exc:
                return 255, '', 'cannot run %s: %s' % (' '.join(shlex.quote(str(a)) for a in argv), exc)
            rc = _wait(proc, timeout)
            texts = []
            for f in (out, err):
                f.seek(0)
                texts.append(f.read().decode('utf-8', 'replace'))
        return rc, texts[0], texts[1]

    def check(self, argv, data=None, timeout=None, what=None):
        """Run ``argv``; return stdout, or raise :class:`CommandError` when rc is not 0."""
        rc, out, err = self.run(argv, data=data, timeout=timeout)
        if rc != 0:
            raise CommandError(argv, rc, out, err, what=what, timeout=timeout)
        return out


def command_details(exc):
    """What a failure result carries about a :class:`CommandError`: ``cmd`` (argv), ``rc``, ``stdout``, ``stderr``."""
    return {'cmd': exc.argv, 'rc': exc.rc, 'stdout': exc.stdout, 'stderr': exc.stderr}


def fail_command(module, exc, prefix=None, suffix=None, **result):
    """``module.fail_json`` for a :class:`CommandError`: the message names the command; argv, rc and output are returned.

    The message is ``<prefix>: <command> failed (rc=N): <output>. <suffix>``.
    """
    msg = exc.msg
    if prefix:
        msg = '%s: %s' % (prefix, msg)
    if suffix:
        msg = '%s. %s' % (msg.rstrip('.'), suffix)
    for key, value in command_details(exc).items():
        result.setdefault(key, value)
    module.fail_json(msg=msg, **result)
