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
