# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the rollout report's HTML page."""

from __future__ import annotations

import re

from ansible_collections.cni.ovs.plugins.plugin_utils import _report_html as h
from ansible_collections.cni.ovs.plugins.plugin_utils import _report_model as r
from report_cases import T0, load, rollout


def test_html_is_self_contained_and_shows_timeline():
    rep = load('fail-report.json')
    page = h.render_html(rep)
    assert page.startswith('<!DOCTYPE html>') and page.rstrip().endswith('</html>')
    assert not re.search(r'<script|<link|<img|src=|url\(|@import', page)
    colours = h.phase_colours(rep)
    assert colours == {'preflight': h.PALETTE[0], 'drain': h.PALETTE[1], 'upgrade': h.PALETTE[2], 'verify': h.PALETTE[3]}
    assert page.count('class="phase"') == 7  # 4 phases of lab-node-1 + 3 of lab-node-2
    for c in colours.values():
        assert 'fill="%s"' % c in page
    assert page.count('<g class="failure">') == 1 and page.count('<g class="gap">') == 2
    assert 'gap 101 ms + 8 ms' in page and 'not run' in page
    assert 'FAILED lab-node-2 in upgrade' in page
    # lab-node-2 waited for lab-node-1's batch: one hatched bar, a legend entry, a row and a column
    assert page.count('<g class="queued">') == 1 and 'queued (waiting for other hosts)' in page
    assert '<th>queued</th>' in page and '<td class="queue">%s</td>' % r.fmt_ms(rep['nodes'][1]['queue_ms']) in page
    assert page.count('<tr class="queued">') == 1 and 'waited for lab-node-1</td>' in page


def test_html_escapes_names():
    rep = rollout(fail_on='n1')
    rep['nodes'][0]['name'] = '<b>n1</b>'
    rep['nodes'][0]['failures'][0]['message'] = '<script>alert(1)</script>'
    page = h.render_html(rep)
    assert '<script>' not in page and '&lt;script&gt;' in page and '<b>n1' not in page


def test_html_zero_length_run_and_other_phase():
    rec = r.Recorder('x.yml', T0)
    rec.play_start('p', ['a'], T0)
    rec.task_start('a', 'u', 'Gathering Facts', T0)
    rec.task_result('a', 'u', 'Gathering Facts', 'ok', T0, {})
    rep = r.build_report(rec, T0)
    assert h.phase_colours(rep) == {'other': h.OTHER_COLOUR}
    assert 'class="phase"' in h.render_html(rep)


def test_html_queue_run():
    rep = load('queue-report.json')
    page = h.render_html(rep)
    assert not re.search(r'<script|<link|<img|src=|url\(|@import', page)
    assert page.count('<g class="queued">') == 2 and page.count('>queued</text>') == 2
    n3 = rep['nodes'][2]
    queued = r.fmt_ms(n3['queue_ms'])
    assert 'lab-node-3: queued %s, waiting for lab-node-1, lab-node-2' % queued in page
    assert '<td class="queue">-</td><td>-</td>' in page  # lab-node-1
    assert '<td class="queue">%s</td><td>lab-node-1, lab-node-2</td>' % queued in page
    assert 'changed</span> <span class="meta">%s, queued %s</span>' % (r.fmt_ms(n3['duration_ms']), queued) in page
    # in lab-node-2's table the wait is between its two preflight rows
    table = page.split('id="node-lab-node-2"')[1].split('</table>')[0]
    assert re.findall(r'<tr(?: class="queued")?><td>(\w+)</td>', table) == ['preflight', 'queued', 'preflight', 'upgrade', 'verify']


def test_html_without_queue_has_no_queue_legend():
    page = h.render_html(rollout())
    assert 'class="queued"' not in page and 'queued (waiting' not in page and '<th>queued</th>' in page


def test_hatch_stripes_stay_in_their_box():
    for box in ((10, 20, 300, 18), (10, 20, 3, 18), (0, 0, 18, 18), (5, 5, 2, 40)):
        x0, y0, w, hh = box
        path = h._hatch(*box)
        nums = [float(v) for v in re.findall(r'-?[0-9.]+', path)]
        assert path.count('M') == path.count('L') > 0, box
        xs, ys = nums[0::2], nums[1::2]
        assert all(x0 - 0.05 <= x <= x0 + w + 0.05 for x in xs) and all(y0 - 0.05 <= y <= y0 + hh + 0.05 for y in ys), (box, path)


def test_waited_for_text_names_the_rest_by_count():
    assert h._waited_text({'waited_for': ['a', 'b'], 'waited_for_count': 2}) == 'a, b'
    assert h._waited_text({'waited_for': ['a', 'b'], 'waited_for_count': 30}) == 'a, b and 28 more'
