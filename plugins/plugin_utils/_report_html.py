# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run report as a self-contained HTML page: inline CSS and an SVG timeline, no external assets."""

from __future__ import annotations

import datetime
import html
import math

from ansible_collections.cni.ovs.plugins.plugin_utils._report_model import DEFAULT_PHASE, fmt_ms

# Phase bar colours (Tableau 10 without its red: red marks failures only).
PALETTE = ('#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7')
OTHER_COLOUR = '#bab0ac'
FAILED_COLOUR = '#d62728'
GAP_COLOUR = '#222222'
# Queued time (waiting while other hosts ran): a hatched bar, light blue-grey with darker stripes;
# tinted so that no grey of antialiased text matches it.
QUEUED_COLOUR = '#d0d0dc'
QUEUED_STRIPE = '#9090a0'


def phase_colours(report):
    """Phase name -> bar colour, in order of first appearance ('other' is grey)."""
    colours = {}
    i = 0
    for node in report['nodes']:
        for p in node['phases']:
            if p['name'] in colours:
                continue
            if p['name'] == DEFAULT_PHASE:
                colours[p['name']] = OTHER_COLOUR
            else:
                colours[p['name']] = PALETTE[i % len(PALETTE)]
                i += 1
    return colours


def _parse_iso(s):
    return datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp()


def _ticks(total_s, width):
    """A 'nice' tick step in seconds for the time axis."""
    if total_s <= 0:
        return 1.0
    target = max(2, int(width // 90))
    raw = total_s / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:18px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:22px 0 6px}
.meta{color:#555;font-size:13px}
.badge{display:inline-block;padding:1px 8px;border-radius:9px;color:#fff;font-weight:600;font-size:13px}
.r-ok{background:#59a14f}.r-changed{background:#e0a020}.r-failed,.r-unreachable{background:#d62728}
.r-skipped,.r-not_run{background:#999}
table{border-collapse:collapse;font-size:13px;margin-top:6px}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
code{font-size:12px}
.fail{color:#d62728}
.sw.q{background:repeating-linear-gradient(135deg,#9090a0 0 2px,#d0d0dc 2px 5px)}
tr.queued td{color:#666;font-style:italic;background:#f6f6fa}
"""


ROW_HEIGHT = 44


def _gap_title(m):
    lost = '' if m['lost_packets'] is None else ', %d lost packets' % m['lost_packets']
    return 'data-plane gap %s ms%s (%s)' % (m['gap_ms'], lost, m['task'])


def _gap_marks(svg, node, x, y, width):
    """Data-plane gap markers above a node's bars: a triangle per gap, one label per cluster of close gaps."""
    e = html.escape
    marks = sorted((x(_parse_iso(m['time'])), m) for p in node['phases'] for m in p['measurements'] if m['gap_ms'] is not None)
    clusters = []
    for mx, m in marks:
        if clusters and mx - clusters[-1][0][0] < 80:
            clusters[-1].append((mx, m))
        else:
            clusters.append([(mx, m)])
    for cluster in clusters:
        for mx, m in cluster:
            svg.append('<g class="gap"><title>%s</title><path d="M%.1f %d l-5 -8 h10 z" fill="%s"/></g>' % (
                e(_gap_title(m)), mx, y + 13, GAP_COLOUR))
        text = 'gap ' + ' + '.join(fmt_ms(int(round(m['gap_ms']))) for _mx, m in cluster)
        lx, anchor = cluster[-1][0] + 7, 'start'
        if lx + 6 * len(text) > width:
            lx, anchor = cluster[0][0] - 7, 'end'
        svg.append('<text x="%.1f" y="%d" font-size="10" fill="%s" text-anchor="%s">%s</text>' % (lx, y + 11, GAP_COLOUR, anchor, e(text)))


def _hatch(x0, y0, w, h, step=6.0):
    """SVG path data of diagonal stripes filling the box (no pattern: the page has no url() references)."""
    parts = []
    c = step / 2
    while c < w + h:
        # the line (x - x0) + (y0 + h - y) = c, from the bottom or right edge to the top or left edge
        sx, sy = (x0 + c, y0 + h) if c <= w else (x0 + w, y0 + h - (c - w))
        ex, ey = (x0 + c - h, y0) if c >= h else (x0, y0 + h - c)
        parts.append('M%.1f %.1fL%.1f %.1f' % (sx, sy, ex, ey))
        c += step
    return ''.join(parts)


def _hosts_text(names, count):
    """'a, b' or, when the report names only some of count hosts, 'a, b and 998 more'."""
    text = ', '.join(names) or '-'
    if count > len(names):
        text += ' and %d more' % (count - len(names))
    return text


def _waited_text(q):
    return _hosts_text(q['waited_for'], q.get('waited_for_count', len(q['waited_for'])))


def _queued_title(node, q):
    return '%s: queued %s, waiting for %s (%s to %s)' % (node['name'], fmt_ms(q['duration_ms']), _waited_text(q), q['start'], q['end'])


def _queued_bars(svg, node, x, y, row_h):
    """Queued segments of a node: hatched blue-grey bars labelled 'queued', under the phase bars."""
    e = html.escape
    for q in node.get('queued') or ():
        bx = x(_parse_iso(q['start']))
        bw = max(2.0, x(_parse_iso(q['end'])) - bx)
        top, bh = y + 17, row_h - 26
        svg.append('<g class="queued"><title>%s</title><rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                   '<path d="%s" stroke="%s" stroke-width="2"/></g>' % (
                       e(_queued_title(node, q)), bx, top, bw, bh, QUEUED_COLOUR, _hatch(bx, top, bw, bh), QUEUED_STRIPE))
        if bw > 50:
            svg.append('<text x="%.1f" y="%d" font-size="11" fill="#333" paint-order="stroke" stroke="%s" stroke-width="3">queued</text>' % (
                bx + 4, y + 29, QUEUED_COLOUR))


def render_html(report):
    """A self-contained HTML page (inline CSS and SVG, no external assets)."""
    e = html.escape
    run = report['run']
    colours = phase_colours(report)
    t0 = _parse_iso(run['start'])
    t1 = max(_parse_iso(run['end']), t0 + 0.001)
    for n in report['nodes']:
        for p in n['phases']:
            t1 = max(t1, _parse_iso(p['end']))
    total = t1 - t0
    label_w, plot_w, row_h, top = 200, 900, ROW_HEIGHT, 34
    width = label_w + plot_w + 20
    height = top + row_h * max(1, len(report['nodes'])) + 30

    def x(ts):
        return label_w + (ts - t0) / total * plot_w

    svg = ['<svg xmlns="http://www.w3.org/2000/svg" id="timeline" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
           'aria-label="timeline">' % (width, height, width, height)]
    step = _ticks(total, plot_w)
    k = 0
    while k * step <= total + 1e-9:
        tx = x(t0 + k * step)
        svg.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>' % (tx, top - 6, tx, height - 24))
        svg.append('<text x="%.1f" y="%d" font-size="11" fill="#666" text-anchor="middle">%s</text>' % (
            tx, top - 10, e(('%gs' % round(k * step, 3)))))
        k += 1
    for i, n in enumerate(report['nodes']):
        y = top + i * row_h
        if i % 2:
            svg.append('<rect x="0" y="%d" width="%d" height="%d" fill="#fafafa"/>' % (y, width, row_h))
        svg.append('<text x="6" y="%d" font-size="13" fill="%s">%s</text>' % (
            y + row_h / 2 + 4, FAILED_COLOUR if n['result'] in ('failed', 'unreachable') else '#222',
            e('%d/%d %s' % (n['position'], n['total'], n['name']))))
        _queued_bars(svg, n, x, y, row_h)
        if not n['phases']:
            svg.append('<text x="%d" y="%d" font-size="12" fill="#888" font-style="italic">not run</text>' % (label_w + 4, y + row_h / 2 + 4))
        for p in n['phases']:
            ps, pe = _parse_iso(p['start']), _parse_iso(p['end'])
            bx = x(ps)
            bw = max(4.0, x(pe) - bx)
            failed = p['result'] in ('failed', 'unreachable')
            svg.append('<rect class="phase" x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="%s"%s><title>%s</title></rect>' % (
                bx, y + 14, bw, row_h - 20, colours[p['name']],
                ' stroke="%s" stroke-width="3"' % FAILED_COLOUR if failed else '',
                e('%s: %s, %s (%s to %s)' % (n['name'], p['name'], p['result'], p['start'], p['end']))))
            if bw > 7 * len(p['name']) + 8:
                svg.append('<text x="%.1f" y="%d" font-size="11" fill="#fff">%s</text>' % (bx + 4, y + 29, e(p['name'])))
            for f in p['failures']:
                if f['ignored']:
                    continue
                fx = x(_parse_iso(f['time']))
                svg.append('<g class="failure"><title>%s</title><circle cx="%.1f" cy="%d" r="8" fill="%s"/>'
                           '<path d="M%.1f %.1f l8 8 m0 -8 l-8 8" stroke="#fff" stroke-width="2.2"/></g>' % (
                               e('FAILED %s: %s' % (f['task'], f['message'])), fx, y + 25, FAILED_COLOUR,
                               fx - 4, y + 21))
        _gap_marks(svg, n, x, y, width)
    svg.append('</svg>')

    legend = ''.join('<span><i class="sw" style="background:%s"></i>%s</span>' % (c, e(name)) for name, c in colours.items())
    if any(n.get('queued') for n in report['nodes']):
        legend += '<span><i class="sw q"></i>queued (waiting for other hosts)</span>'
    legend += ('<span><i class="sw" style="background:%s;border-radius:6px"></i>failure</span>'
               '<span>&#9660; data-plane gap</span>' % FAILED_COLOUR)

    overview = ['<h2>Nodes</h2><table><tr><th>node</th><th>result</th><th>start (UTC)</th><th>duration</th><th>queued</th>'
                '<th>waited for</th><th>data-plane gap</th></tr>']
    for n in report['nodes']:
        queued = n.get('queued') or ()
        waited = _waited_text(queued[0]) if len(queued) == 1 else '%d waits' % len(queued) if queued else '-'
        dp = n['data_plane']
        overview.append('<tr><td><a href="#node-%s">%d/%d %s</a></td><td><span class="badge r-%s">%s</span></td><td>%s</td><td>%s</td>'
                        '<td class="queue">%s</td><td>%s</td><td>%s</td></tr>' % (
                            e(n['name']), n['position'], n['total'], e(n['name']), e(n['result']), e(n['result']),
                            e(n['start'] or '-'), e(fmt_ms(n['duration_ms'])), e(fmt_ms(n['queue_ms']) if n.get('queue_ms') else '-'),
                            e(waited), e(fmt_ms(int(round(dp['gap_ms_max']))) + ' max' if dp['measured'] else '-')))
    overview.append('</table>')

    rows = []
    for n in report['nodes']:
        entries = [(p['start'], 1, '<tr><td>%s</td><td>%s</td><td>%s</td><td><span class="badge r-%s">%s</span></td><td>%s</td></tr>' % (
            e(p['name']), e(p['start']), e(fmt_ms(p['duration_ms'])), e(p['result']), e(p['result']),
            e(', '.join(p['changed_tasks'])) or '-')) for p in n['phases']]
        entries.extend((q['start'], 0, '<tr class="queued"><td>queued</td><td>%s</td><td>%s</td><td>-</td><td>waited for %s</td></tr>' % (
            e(q['start']), e(fmt_ms(q['duration_ms'])), e(_waited_text(q)))) for q in n.get('queued') or ())
        phase_rows = ''.join(row for _s, _k, row in sorted(entries, key=lambda t: t[:2])) or '<tr><td colspan="5">not run</td></tr>'
        dp = n['data_plane']
        gap = ('%s total, %s max%s' % (fmt_ms(int(round(dp['gap_ms_total']))), fmt_ms(int(round(dp['gap_ms_max']))),
                                       '' if dp['lost_packets'] is None else ', %d lost packets' % dp['lost_packets'])) if dp['measured'] else 'not measured'
        extra = '<p>data-plane gap: %s</p>' % e(gap)
        if n['backups']:
            items = ['<li><code>%s</code> (%s: %s)</li>' % (e(b['path']), e(b['phase']), e(b['task'])) for b in n['backups']]
            extra += '<p>backups:</p><ul>%s</ul>' % ''.join(items)
        if n['failures']:
            extra += '<ul class="fail">%s</ul>' % ''.join('<li>%s%s [%s] %s: <code>%s</code></li>' % (
                'ignored: ' if f['ignored'] else 'FAILED ', e(f['time']), e(f['phase']), e(f['task']), e(f['message'])) for f in n['failures'])
        rows.append('<h2 id="node-%s">%d/%d %s <span class="badge r-%s">%s</span> <span class="meta">%s</span></h2>'
                    '<table><tr><th>phase</th><th>start (UTC)</th><th>duration</th><th>result</th><th>changed</th></tr>%s</table>%s' % (
                        e(n['name']), n['position'], n['total'], e(n['name']), e(n['result']), e(n['result']),
                        e(fmt_ms(n['duration_ms']) + (', queued %s' % fmt_ms(n['queue_ms']) if n.get('queue_ms') else '')),
                        phase_rows, extra))

    return ''.join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title><style>%s</style></head><body>' % (
            e('rollout report %s' % run['name']), _CSS),
        '<h1>%s <span class="badge r-%s">%s</span></h1>' % (e(run['name']), e(run['result']), e(run['result'])),
        '<div class="meta">playbook <code>%s</code> &middot; %s to %s UTC &middot; %s%s%s</div>' % (
            e(run['playbook']), e(run['start']), e(run['end']), e(fmt_ms(run['duration_ms'])),
            ' &middot; check mode' if run['check_mode'] else '', '' if run['complete'] else ' &middot; <b class="fail">incomplete (interrupted)</b>'),
        '<h2>Timeline</h2><div class="legend">%s</div>' % legend,
        ''.join(svg),
        ''.join('<div class="fail">%s %s in %s: %s: <code>%s</code></div>' % (
            'UNREACHABLE' if f['unreachable'] else 'FAILED', e(n['name']), e(f['phase']), e(f['task']), e((f['message'].splitlines() or [''])[0]))
            for n in report['nodes'] for f in n['failures'] if not f['ignored']),
        ''.join(overview),
        ''.join(rows),
        '<p class="meta">schema_version %d &middot; %s</p></body></html>\n' % (report['schema_version'], e(report['generator'])),
    ])
