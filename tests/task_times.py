# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a Molecule run's time goes, from the Ansible logs (ANSIBLE_LOG_PATH) tests/molecule.sh
keeps per scenario: the wall time of every task (from its TASK line to the next TASK, PLAY or
RECAP line of the same ansible-playbook process), summed per task name, with the count of
runs, the slowest first.  Usage: task_times.py [--top N] LOG [LOG ...]
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import re

LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) p=(\d+) u=\S+ n=\S+(?: \w+)?\s*\| ?(.*)$")
MARK = re.compile(r"^(TASK|PLAY|RUNNING HANDLER) \[(.*?)\]|^PLAY RECAP")


def task_spans(lines):
    """Yield (task name, seconds) per task run, per ansible-playbook process (pid)."""
    open_task = {}  # pid -> (name, start)
    last = {}
    for line in lines:
        m = LINE.match(line)
        if not m:
            continue
        stamp = datetime.datetime.strptime(m.group(1), '%Y-%m-%d %H:%M:%S,%f')
        pid, text = m.group(2), m.group(3)
        last[pid] = stamp
        mark = MARK.match(text)
        if not mark:
            continue
        if pid in open_task:
            name, start = open_task.pop(pid)
            yield name, (stamp - start).total_seconds()
        if mark.group(1) in ('TASK', 'RUNNING HANDLER'):
            open_task[pid] = (mark.group(2), stamp)
    for pid, (name, start) in open_task.items():
        yield name, (last[pid] - start).total_seconds()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--top', type=int, default=15)
    ap.add_argument('logs', nargs='+')
    args = ap.parse_args(argv)
    total = collections.Counter()
    count = collections.Counter()
    per_log = {}
    for path in args.logs:
        with open(path, encoding='utf-8', errors='replace') as f:
            spans = list(task_spans(f))
        per_log[os.path.basename(path)] = (len(spans), sum(span[1] for span in spans))
        for name, secs in spans:
            total[name] += secs
            count[name] += 1
    for log, (n, secs) in sorted(per_log.items(), key=lambda kv: -kv[1][1]):
        print('%-45s %5d tasks %7.0f s  %.2f s/task' % (log, n, secs, secs / n if n else 0))
    print('slowest tasks (sum over runs):')
    for name, secs in total.most_common(args.top):
        print('  %7.1f s %4dx  %s' % (secs, count[name], name[:110]))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
