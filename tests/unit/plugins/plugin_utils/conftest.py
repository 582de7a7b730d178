# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every report a test builds is checked with the real jsonschema library and with the built-in checker."""

from __future__ import annotations

import jsonschema
import pytest

from ansible_collections.cni.ovs.plugins.plugin_utils import _report_model, _report_validate
from ansible_collections.cni.ovs.plugins.plugin_utils._report_schema import REPORT_SCHEMA


@pytest.fixture(autouse=True)
def every_built_report_is_valid(monkeypatch):
    real = _report_model.build_report

    def checked(*args, **kwargs):
        report = real(*args, **kwargs)
        errors = [e.message for e in jsonschema.Draft202012Validator(REPORT_SCHEMA).iter_errors(report)]
        assert errors == [], 'build_report made a report jsonschema rejects: %s' % errors
        assert _report_validate.builtin_errors(report) == []
        return report

    monkeypatch.setattr(_report_model, 'build_report', checked)
