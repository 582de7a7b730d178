# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print the failed tasks recorded in an Ansible log file (ANSIBLE_LOG_PATH).

CI shows only the tail of a long run; tests/molecule.sh sets ANSIBLE_LOG_PATH per scenario
(nested ansible-playbook runs inherit it) and prints this digest at the end, so the task
that failed and its message are on screen.  Usage: failure_digest.py LOG [MAX_LINES]
"""

from __future__ import annotations

import re
import sys

# "2026-12-02 00:40:01,123 p=123 u=root n=ansible INFO| text"; continuation lines have no prefix
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ p=(\d+) u=\S+ n=\S+(?: \w+)?\s*\| ?(.*)$")
TASK = re.compile(r"^TASK \[(.*)\]")
FAIL = re.compile(r"^(fatal|failed): \[([^\]]+)\]")
WIDTH = 220
PER_FAILURE = 14
NOISE = re.compile(r"^\s*(changed|delta|end|start|invocation|_ansible_no_log|\w+_lines): ")


def records(lines):
    """Yield (pid, [lines]) per log record."""
    cur = None
    for line in lines:
        m = RECORD.match(line)
        if m:
            if cur:
                yield cur
            cur = (m.group(1), [m.group(2)])
        elif cur:
            cur[1].append(line)
    if cur:
        yield cur


def digest(lines):
    """Failed tasks, the last one first (expected failures of earlier nested runs come after)."""
    blocks, task = [], {}
    recs = list(records(lines))
    for i, (pid, body) in enumerate(recs):
        head = body[0].strip()
        m = TASK.match(head)
        if m:
            task[pid] = m.group(1)
            continue
        m = FAIL.match(head)
        if not m:
            continue
        nxt = next((b for p, b in recs[i + 1:] if p == pid), [""])
        if "...ignoring" in nxt[0]:
            continue
        out = [f"- [pid {pid}] TASK [{task.get(pid, '?')}] {head[:WIDTH]}"]
        text = [ln for ln in body[1:] if ln.strip() and not NOISE.match(ln)]
        for ln in text[:PER_FAILURE]:
            out.append("    " + (ln if len(ln) <= WIDTH else ln[:WIDTH] + " ..."))
        if len(text) > PER_FAILURE:
            out.append(f"    ... ({len(text) - PER_FAILURE} more lines)")
        blocks.append(out)
    return [line for block in reversed(blocks) for line in block]


def main(argv):
    limit = int(argv[2]) if len(argv) > 2 else 50
    try:
        with open(argv[1], encoding="utf-8", errors="replace") as f:
            out = digest(f.read().splitlines())
    except OSError as e:
        print(f"(no Ansible log: {e})")
        return 0
    for line in out[:limit]:
        print(line)
    if len(out) > limit:
        print(f"  ... {len(out) - limit} more lines in {argv[1]}")
    if not out:
        print(f"(no failed task recorded in {argv[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
