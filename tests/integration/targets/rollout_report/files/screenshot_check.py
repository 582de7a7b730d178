# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Open a rollout report's HTML page in headless Chromium, screenshot it and check the timeline shows.

usage: screenshot_check.py REPORT.json REPORT.html OUT.png
Checks: the PNG is not blank; in the timeline region, every phase of the report has pixels of its bar
colour, the queued hatch shows when a node waited, and failure red is there exactly when a node failed.
PNG decoded with zlib only.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

from ansible_collections.cni.ovs.plugins.plugin_utils import _report_html

CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
WIDTH, HEIGHT = 1200, 800


def screenshot(html_path, png_path):
    profile = tempfile.mkdtemp(prefix='rr-chromium-')
    try:
        argv = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync',
                '--user-data-dir=' + profile, '--screenshot=' + png_path, '--window-size=%d,%d' % (WIDTH, HEIGHT),
                'file://' + os.path.abspath(html_path)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if r.returncode != 0 or not os.path.exists(png_path):
            sys.exit('chromium failed (rc=%d): %s' % (r.returncode, r.stderr[-2000:]))
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def decode_png(path):
    """Return (width, height, rows) with rows a list of bytes (RGB or RGBA, 8 bit)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, width = 8, b'', None
    while pos < len(data):
        length, ctype = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b'IHDR':
            width, height, depth, colour, _c, _f, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError('unsupported PNG (depth %d colour %d interlace %d)' % (depth, colour, interlace))
            bpp = 3 if colour == 2 else 4
        elif ctype == b'IDAT':
            idat += body
        elif ctype == b'IEND':
            break
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _y in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def count_colours(png, colours, box, tolerance=6):
    width, height, bpp, rows = png
    x0, y0, x1, y1 = box
    want = dict((name, tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))) for name, c in colours.items())
    counts = dict.fromkeys(colours, 0)
    for y in range(y0, min(y1, height)):
        row = rows[y]
        for x in range(x0, min(x1, width)):
            px = row[x * bpp:x * bpp + 3]
            for name, rgb in want.items():
                if abs(px[0] - rgb[0]) <= tolerance and abs(px[1] - rgb[1]) <= tolerance and abs(px[2] - rgb[2]) <= tolerance:
                    counts[name] += 1
    return counts


def main():
    report_path, html_path, png_path = sys.argv[1:4]
    with open(report_path) as f:
        report = json.load(f)
    screenshot(html_path, png_path)
    png = decode_png(png_path)
    width, height, bpp, rows = png
    assert (width, height) == (WIDTH, HEIGHT), (width, height)
    distinct = set()
    for y in range(0, height, 4):
        for x in range(0, width, 4):
            distinct.add(rows[y][x * bpp:x * bpp + 3])
    assert len(distinct) > 20, 'screenshot looks blank: %d distinct colours' % len(distinct)
    # The timeline: right of the 200 px node labels, below the title and legend, one ROW_HEIGHT px row per node.
    box = (200, 140, 1120, 140 + 20 + _report_html.ROW_HEIGHT * len(report['nodes']))
    colours = _report_html.phase_colours(report)
    probe = dict(colours)
    probe['failure'] = _report_html.FAILED_COLOUR
    probe['queued hatch'] = _report_html.QUEUED_COLOUR
    counts = count_colours(png, probe, box)
    print('distinct colours (sampled): %d; pixels per colour in the timeline region %s: %s' % (len(distinct), box, counts))
    missing = [p for p in colours if counts[p] < 20]
    assert not missing, 'phase bars not visible in the timeline: %s' % missing
    if any(n['queued'] for n in report['nodes']):
        assert counts['queued hatch'] >= 50, 'queued time not shown in the timeline'
    failed = any(n['result'] in ('failed', 'unreachable') for n in report['nodes'])
    if failed:
        assert counts['failure'] >= 30, 'failure not marked in red in the timeline'
    else:
        assert counts['failure'] == 0, 'red failure marks on a run without failures'
    print('screenshot ok: %s' % png_path)


if __name__ == '__main__':
    main()
