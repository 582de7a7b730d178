#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helper: returns the given dictionary as ``cni_ovs_report``, the way a module that
measures a data-plane gap returns its measurement (no such module exists yet)."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={'report': {'type': 'dict', 'required': True}}, supports_check_mode=True)
    report = {}
    for k, v in module.params['report'].items():
        try:
            report[k] = float(v) if '.' in str(v) else int(v)
        except (TypeError, ValueError):
            report[k] = v
    module.exit_json(changed=True, cni_ovs_report=report)


if __name__ == '__main__':
    main()
