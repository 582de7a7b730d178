# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile inputs to cni.ovs.flow_restore_wait against a live private OVS.

Every case must be refused with a clear error that names the parameter (or file) and the value,
without a traceback, with changed=false, and with nothing changed: the flows, groups, meters and
TLV maps of every bridge, the flag, the running vswitchd (same pid) and the directory trees
involved are compared before and after.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from flow_live import live_ovs, needs_ovs, snapshot
from harness import assert_module_refused, run_module

from ansible_collections.cni.ovs.plugins.modules import flow_restore_wait

pytestmark = needs_ovs
BIG = 'b' * (10 * 1024 * 1024)


@pytest.fixture(scope='module')
def ovs(tmp_path_factory):
    switch = live_ovs(tmp_path_factory, 'hostile')
    try:
        yield switch
    finally:
        switch.stop()


@pytest.fixture(scope='module')
def good_save(ovs, tmp_path_factory):
    """A save made by the module itself (state=saved), copied for each tampering case."""
    path = str(tmp_path_factory.mktemp('frw-good') / 'save')
    res = run_module(flow_restore_wait, dict(ovs.params(path), state='saved'))
    assert res.get('changed') and not res.get('failed'), res
    return path


def _copy_save(good_save, tmp_path):
    path = str(tmp_path / 'save')
    shutil.copytree(good_save, path)
    os.chmod(path, 0o700)
    return path


def _manifest(path):
    with open(os.path.join(path, 'manifest.json')) as f:
        return json.load(f)


def _write_manifest(path, doc, raw=None):
    with open(os.path.join(path, 'manifest.json'), 'w') as f:
        f.write(raw if raw is not None else json.dumps(doc))


# Each builder returns (state, extra params, param the message must name, value it must show, trees).

def b_bridges(value):
    def build(ovs, tmp, good):
        return 'saved', {'bridges': value}, 'bridges', value[0] if isinstance(value, list) and value else None, []
    return build


def b_param(name, value, state='saved', shown=True):
    def build(ovs, tmp, good):
        return state, {name: value}, name, value if shown else None, []
    return build


def b_save_dir(kind):
    def build(ovs, tmp, good):
        base = str(tmp / 'area')
        os.makedirs(base)
        path = os.path.join(base, 'save')
        if kind == 'symlink':
            os.makedirs(os.path.join(base, 'real'), 0o700)
            os.symlink(os.path.join(base, 'real'), path)
        elif kind == 'world-writable':
            os.makedirs(path)
            os.chmod(path, 0o777)
        elif kind == 'foreign-owner':
            os.makedirs(path, 0o700)
            os.chown(path, 12345, 12345)
        elif kind == 'regular-file':
            with open(path, 'w') as f:
                f.write('not a dir\n')
        elif kind == 'unsafe-parent':
            os.chmod(base, 0o777)
        elif kind == 'relative':
            path = 'relative/save'
        elif kind == 'dotdot':
            path = base + '/../area/save'
        elif kind == 'unwritable':
            path = '/proc/cni-ovs-frw-save'
        elif kind == 'huge':
            path = '/tmp/' + BIG
        elif kind == 'missing':
            return 'restored', {'save_dir': path}, 'save_dir', path, [base]
        return 'saved', {'save_dir': path}, 'save_dir', path, [base]
    return build


def b_restart_command(argv, value=None, param='restart_command', state='restarted'):
    def build(ovs, tmp, good):
        if argv == ['NOEXEC']:
            path = str(tmp / 'not-executable')
            with open(path, 'w') as f:
                f.write('#!/bin/sh\nexit 0\n')
            os.chmod(path, 0o644)
            return state, {param: [path]}, param, path, [str(tmp)]
        return state, {param: argv}, param, value, [str(tmp)]
    return build


def b_manifest(doc=None, raw=None, state='restored'):
    def build(ovs, tmp, good):
        path = _copy_save(good, tmp)
        _write_manifest(path, doc, raw)
        return state, {'save_dir': path}, 'manifest.json', path, [path]
    return build


def b_manifest_edit(edit, state='restored'):
    def build(ovs, tmp, good):
        path = _copy_save(good, tmp)
        doc = _manifest(path)
        edit(doc)
        _write_manifest(path, doc)
        return state, {'save_dir': path}, 'manifest.json', path, [path]
    return build


def b_flows_file(kind, state='restored'):
    def build(ovs, tmp, good):
        path = _copy_save(good, tmp)
        name = os.path.join(path, 'frwf-a.flows')
        with open(name) as f:
            lines = f.read().splitlines(True)
        if kind == 'truncated':
            text = ''.join(lines[:len(lines) // 2])
        elif kind == 'empty':
            text = ''
        elif kind == 'one-more-flow':
            text = ''.join(lines) + 'table=0, priority=1,arp actions=drop\n'
        elif kind == 'garbage':
            text = 'this is not a flow\n'
        if kind == 'symlink':
            os.unlink(name)
            os.symlink(os.path.join(good, 'frwf-a.flows'), name)
        elif kind == 'missing':
            os.unlink(name)
        else:
            with open(name, 'w') as f:
                f.write(text)
        if state == 'restarted':
            # an unfinished restart: the files are then the only copy, and are restored without a new save
            doc = _manifest(path)
            doc.update(operation='restarted', phase='stopped', old_pid=ovs.running_vswitchd())
            _write_manifest(path, doc)
        return state, {'save_dir': path}, 'frwf-a.flows', path, [path, good]
    return build


def _set(key, value):
    def edit(doc):
        doc[key] = value
    return edit


def _bridge_set(key, value):
    def edit(doc):
        doc['bridges']['frwf-a'][key] = value
    return edit


CASES = [
    ('bridge-leading-dash', b_bridges(['-frwf-a'])),
    ('bridge-option-injection', b_bridges(['--help'])),
    ('bridge-shell-semicolon', b_bridges(['frwf-a;touch /tmp/frw-pwned'])),
    ('bridge-shell-subst', b_bridges(['$(touch /tmp/frw-pwned)'])),
    ('bridge-backticks', b_bridges(['`id`'])),
    ('bridge-dotdot', b_bridges(['..'])),
    ('bridge-path', b_bridges(['../../etc/passwd'])),
    ('bridge-slash', b_bridges(['a/b'])),
    ('bridge-space', b_bridges(['frwf a'])),
    ('bridge-newline', b_bridges(['frwf\nx'])),
    ('bridge-empty', b_bridges([''])),
    ('bridge-10MB', b_bridges([BIG])),
    ('bridge-duplicate', b_param('bridges', ['frwf-a', 'frwf-a'], shown=False)),
    ('bridge-unknown', b_bridges(['frwf-nosuch'])),
    ('bridges-dict', b_param('bridges', {'a': 1}, shown=False)),
    ('state-bogus', b_param('state', 'bogus')),
    ('start-bogus', b_param('start', 'sometimes', state='restarted')),
    ('stop-timeout-text', b_param('stop_timeout', 'soon')),
    ('stop-timeout-negative', b_param('stop_timeout', -1)),
    ('start-timeout-zero', b_param('start_timeout', 0)),
    ('command-timeout-huge', b_param('command_timeout', 10 ** 9)),
    ('keep-flag-maybe', b_param('keep_flag_on_failure', 'maybe')),
    ('db-bogus', b_param('db', 'bogus')),
    ('db-10MB', b_param('db', 'unix:' + BIG)),
    ('rundir-relative', b_param('rundir', 'run/here')),
    ('save-dir-symlink', b_save_dir('symlink')),
    ('save-dir-world-writable', b_save_dir('world-writable')),
    ('save-dir-foreign-owner', b_save_dir('foreign-owner')),
    ('save-dir-regular-file', b_save_dir('regular-file')),
    ('save-dir-unsafe-parent', b_save_dir('unsafe-parent')),
    ('save-dir-relative', b_save_dir('relative')),
    ('save-dir-dotdot', b_save_dir('dotdot')),
    ('save-dir-unwritable', b_save_dir('unwritable')),
    ('save-dir-10MB', b_save_dir('huge')),
    ('save-dir-missing-on-restore', b_save_dir('missing')),
    ('restart-command-missing-binary', b_restart_command(['/nonexistent/ovs-ctl', 'start'], '/nonexistent/ovs-ctl')),
    ('restart-command-bare-unknown', b_restart_command(['cni-ovs-no-such-program'], 'cni-ovs-no-such-program')),
    ('restart-command-not-executable', b_restart_command(['NOEXEC'])),
    ('restart-command-env-missing', b_restart_command(['env', 'A=B', '/nonexistent/ovs-vswitchd'], '/nonexistent/ovs-vswitchd')),
    ('restart-command-empty', b_restart_command([])),
    ('stop-command-missing', b_restart_command(['/nonexistent/stop-ovs'], '/nonexistent/stop-ovs', param='stop_command')),
    ('manifest-list', b_manifest(raw='[1]')),
    ('manifest-bridges-int', b_manifest_edit(_set('bridges', 5))),
    ('manifest-bridges-empty', b_manifest_edit(_set('bridges', {}))),
    ('manifest-not-json', b_manifest(raw='{"bridges": ')),
    ('manifest-empty-file', b_manifest(raw='')),
    ('manifest-phase-bogus', b_manifest_edit(_set('phase', 'halfway'))),
    ('manifest-version-bogus', b_manifest_edit(_set('version', 'two'))),
    ('manifest-counts-negative', b_manifest_edit(_bridge_set('counts', {'flows': -1, 'groups': 0, 'meters': 0, 'tlv': 0}))),
    ('manifest-digests-missing', b_manifest_edit(_bridge_set('digests', None))),
    ('manifest-of-version-bogus', b_manifest_edit(_bridge_set('of_version', 'OpenFlow99'))),
    ('manifest-bridge-name-10MB', b_manifest_edit(lambda d: d['bridges'].__setitem__(BIG, d['bridges']['frwf-a']))),
    ('manifest-bridge-name-dotdot', b_manifest_edit(lambda d: d['bridges'].__setitem__('..', d['bridges']['frwf-a']))),
    ('manifest-ofports-text', b_manifest_edit(_set('ofports', 'eth0'))),
    ('manifest-saved-state-list', b_manifest(raw='[1]', state='saved')),
    ('manifest-restarted-bridges-int', b_manifest_edit(_set('bridges', 5), state='restarted')),
    ('flows-truncated', b_flows_file('truncated')),
    ('flows-empty', b_flows_file('empty')),
    ('flows-one-more', b_flows_file('one-more-flow')),
    ('flows-garbage', b_flows_file('garbage')),
    ('flows-symlink', b_flows_file('symlink')),
    ('flows-missing', b_flows_file('missing')),
    ('flows-truncated-on-resume', b_flows_file('truncated', state='restarted')),
    ('flows-empty-on-resume', b_flows_file('empty', state='restarted')),
]


@pytest.mark.parametrize('build', [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_and_nothing_changed(ovs, good_save, tmp_path, build):
    state, extra, param, value, trees = build(ovs, tmp_path, good_save)
    params = dict(ovs.params(str(tmp_path / 'default-save')), state=state)
    params.update(extra)
    trees = trees + [str(tmp_path / 'default-save')]
    before = snapshot(ovs, *trees)
    result = run_module(flow_restore_wait, params)
    shown = value if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    msg = assert_module_refused(result, param, shown)
    assert len(msg) < 20000, 'message is %d characters long' % len(msg)
    assert snapshot(ovs, *trees) == before
    assert not os.path.exists('/tmp/frw-pwned')


def test_at_least_35_cases():
    assert len(CASES) >= 35
