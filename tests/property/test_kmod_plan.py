# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Properties of the ovs_kmod_swap planner and execution core on generated real trees.

For a generated NSX-OVS installation (location, NSX module files, some of them RHEL-style
symbolic links into another kernel's tree, upstream files kept in nsx/usr-ovs-kmod-backup,
with or without INFO, other files in nsx/ and at the location): plan -> execute gives
exactly the files an independent model expects, every removed content is in the archive,
files outside the release directory are untouched, and planning the result is empty.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.cni.ovs.plugins.module_utils._kmod import DEFAULT_MODULES, KmodError, plan_upstream
from ansible_collections.cni.ovs.plugins.module_utils._kmod_exec import JOURNAL, FileOps, KmodSwitch

R = '5.14.0-427.el9.x86_64'
LOCATIONS = ('weak-updates/openvswitch', 'updates/dkms')
BK = 'nsx/usr-ovs-kmod-backup'


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


@st.composite
def installations(draw):
    mods = list(DEFAULT_MODULES)
    return {
        'location': draw(st.sampled_from(LOCATIONS)),
        'installed': draw(st.booleans()),
        'nsx': draw(st.sets(st.sampled_from(mods))),
        'linked': draw(st.sets(st.sampled_from(mods))),
        'backup': draw(st.sets(st.sampled_from(mods))),
        'info': draw(st.sampled_from([None, 'location', 'extra', 'mixed'])),
        'nsx_extra': draw(st.lists(st.sampled_from(['VERSION', 'state/a', 'state/b/c', '.hidden']), unique=True)),
        'other_at_location': draw(st.booleans()),
        'give_location': draw(st.booleans()),
    }


def lay(root, inst):
    modules_root = os.path.join(root, 'lib', 'modules')
    rel = os.path.join(modules_root, R)
    other = os.path.join(modules_root, '5.14.0-1.el9', 'extra')
    loc = inst['location']
    _write(os.path.join(rel, 'kernel/net/openvswitch/openvswitch.ko'), b'in-tree openvswitch')
    os.makedirs(os.path.join(rel, loc), exist_ok=True)
    for mod in sorted(inst['nsx']):
        data = ('nsx %s' % mod).encode()
        if mod in inst['linked']:
            _write(os.path.join(other, mod), data)
            os.symlink(os.path.join('..', '..', '..', '5.14.0-1.el9', 'extra', mod), os.path.join(rel, loc, mod))
        else:
            _write(os.path.join(rel, loc, mod), data)
    if inst['other_at_location']:
        _write(os.path.join(rel, loc, 'vboxdrv.ko'), b'another dkms module')
    dests = {}
    if inst['installed']:
        os.makedirs(os.path.join(rel, 'nsx'))
        for name in inst['nsx_extra']:
            _write(os.path.join(rel, 'nsx', name), ('bookkeeping %s' % name).encode())
        lines = []
        for i, mod in enumerate(sorted(inst['backup'])):
            _write(os.path.join(rel, BK, mod), ('upstream %s' % mod).encode())
            where = inst['info']
            if where == 'extra' or (where == 'mixed' and i % 2):
                dests[mod] = 'extra/openvswitch/%s' % mod
            else:
                dests[mod] = '%s/%s' % (loc, mod)
            if where:
                lines.append('%s /lib/modules/%s/%s' % (mod, R, dests[mod]))
        if inst['info']:
            _write(os.path.join(rel, BK, 'INFO'), ('\n'.join(lines) + '\n').encode())
    return modules_root, rel, other, dests


def files_of(top):
    """{relative path: sha256 of the content (links followed) or ('link', target)} of the files under top."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, top)
            if os.path.islink(full):
                out[rel] = ('link', os.readlink(full))
            else:
                with open(full, 'rb') as f:
                    out[rel] = _sha(f.read())
    return out


def model(inst, before, dests):
    """The files of the release dir an uninterrupted switch leaves, computed without the planner."""
    loc = inst['location']
    if not inst['installed']:
        return dict(before)
    after = dict((p, v) for p, v in before.items() if not p.startswith('nsx/'))
    for mod in inst['nsx']:
        after.pop('%s/%s' % (loc, mod), None)
    for mod in inst['backup']:
        after[dests[mod]] = _sha(('upstream %s' % mod).encode())
    return after


def core(modules_root, backup_dir, location=None):
    params = {'state': 'upstream', 'kernel_release': R, 'modules_root': modules_root, 'nsx_location': location,
              'modules': list(DEFAULT_MODULES), 'use_info': True, 'backup': True, 'backup_dir': backup_dir,
              'depmod': False, 'modprobe': False}
    return KmodSwitch(params, fs=FileOps(), run=lambda argv: (0, '', ''), which=lambda name: None,
                      running_release='6.0.0-test')


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(installations())
def test_plan_execute_gives_the_model_and_replanning_is_empty(inst):
    with tempfile.TemporaryDirectory() as root:
        modules_root, rel, other, dests = lay(root, inst)
        backup_dir = os.path.join(root, 'backups')
        location = inst['location'] if inst['give_location'] else None
        before = files_of(rel)
        before_other = files_of(other) if os.path.isdir(other) else {}
        try:
            result = core(modules_root, backup_dir, location).run()
        except KmodError as exc:
            # the only refusal the generator can provoke: module files in both NSX locations cannot happen, so
            # an auto-detection without any module file and backup files without a destination
            assert 'no NSX location was found' in str(exc) or 'set nsx_location' in str(exc), exc
            assert files_of(rel) == before
            return
        after = files_of(rel)
        assert after == model(inst, before, dests)
        assert JOURNAL not in after
        assert (files_of(other) if os.path.isdir(other) else {}) == before_other, 'a link target outside was changed'
        # every content that left its place is in the archive (links: the content they pointed to)
        archived = {}
        if result['backup_path']:
            with tarfile.open(result['backup_path']) as tar:
                for member in tar.getmembers():
                    assert member.isfile(), member.name
                    archived[member.name] = _sha(tar.extractfile(member).read())
        for path, value in before.items():
            if after.get(path) == value:
                continue
            if isinstance(value, tuple):
                value = _sha(open(os.path.join(rel, os.path.dirname(path), value[1]), 'rb').read()) \
                    if os.path.exists(os.path.join(rel, os.path.dirname(path), value[1])) else value
            assert archived.get(path) == value, '%s removed but not archived' % path
        # idempotent: planning the result changes nothing, and a second run reports no change
        again = core(modules_root, backup_dir, location)
        again.prepare()
        plan, _info, _journal, pending = again.plan()
        assert not plan.tree_changes and not pending
        second = core(modules_root, backup_dir, location).run()
        assert second['changed'] is False and files_of(rel) == after


@settings(max_examples=200, deadline=None)
@given(installations(), st.lists(st.sampled_from(list(DEFAULT_MODULES)), unique=True))
def test_planner_never_removes_a_journaled_path(inst, journaled):
    """Pure planner: whatever the tree, a path listed in the journal is neither removed nor archived as NSX's."""
    loc = inst['location']
    facts = dict(('%s/%s' % (loc, m), 'file') for m in inst['nsx'] | set(journaled))
    facts[loc] = 'dir'
    listing = None
    if inst['installed']:
        listing = dict(('%s/%s' % (BK, m), 'file') for m in inst['backup'])
        listing[BK] = 'dir'
    journal = ['%s/%s' % (loc, m) for m in journaled]
    try:
        plan = plan_upstream(list(DEFAULT_MODULES), loc, listing, {}, journal, facts, {})
    except KmodError:
        return
    assert not set(journal) & set(plan.removes)
    for path in journal:
        assert path in plan.after or not inst['installed'] or path not in facts
