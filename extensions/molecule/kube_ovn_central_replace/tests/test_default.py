# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""After the replace of lab-node-3 by lab-node-4 in host mode: the shared checks.

The tests live in extensions/molecule/shared/kube_ovn_central_replaced.py (the same end state is
checked after both modes); naming them here is what makes pytest collect them in this scenario.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared'))
import kube_ovn_central_replaced as checks  # noqa: E402  pylint: disable=wrong-import-position

test_members_are_the_expected_three = checks.test_members_are_the_expected_three
test_leader_hears_from_every_member = checks.test_leader_hears_from_every_member
test_old_node_db_dir_gone_with_backup = checks.test_old_node_db_dir_gone_with_backup
test_kubernetes_objects_updated = checks.test_kubernetes_objects_updated
