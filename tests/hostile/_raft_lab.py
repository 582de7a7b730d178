# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real raft cluster helper of tests/faults/_raft_lab.py, loaded by path for the hostile layer."""

from __future__ import annotations

import importlib.util
import os

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'faults', '_raft_lab.py')
_spec = importlib.util.spec_from_file_location('_raft_lab_faults', _PATH)
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)

RaftLab = _mod.RaftLab
NB = _mod.NB
