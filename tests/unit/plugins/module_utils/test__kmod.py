# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest

from ansible_collections.cni.ovs.plugins.module_utils._kmod import (
    DEFAULT_MODULES, JOURNAL_FILE, KmodError, check_nsx, depmod_base, depmod_stale, detect_location,
    modprobe_skip_reason, module_names, parse_info, parse_journal, parse_modinfo, parse_modinfo_output,
    parse_modules_dep, parse_proc_modules, plan_upstream, probe_paths, render_journal, unload_order,
    validate_location, validate_modules, validate_release,
)

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'kmod')
R = '5.14.0-1.el9'
WU = 'weak-updates/openvswitch'
BK = 'nsx/usr-ovs-kmod-backup'
MODS = list(DEFAULT_MODULES)
UP = ['openvswitch.ko', 'vport-geneve.ko', 'vport-gre.ko', 'vport-vxlan.ko']


def fixture(name, mode='r'):
    with open(os.path.join(FIX, name), mode) as f:
        return f.read()


# ------------------------------------------------------------------ modinfo

@pytest.mark.parametrize('ko, txt', [
    ('gcc_nsx_openvswitch.ko', 'modinfo_nsx_openvswitch.txt'),
    ('gcc_nsx_vport_stt.ko', 'modinfo_nsx_vport_stt.txt'),
])
def test_parse_modinfo_matches_real_modinfo(ko, txt):
    ours = parse_modinfo(fixture(ko, 'rb'))
    real = parse_modinfo_output(fixture(txt))
    assert real['filename'] == ko
    for key in ('version', 'vermagic', 'name', 'license', 'srcversion', 'depends'):
        assert ours[key].strip() == real[key], key
    # the decoy "version=decoy-not-modinfo" in .data comes first in the file and must be ignored
    assert ours['version'] == '2.17.1.20950nsx'
    assert ours['vermagic'] == '5.14.0-362.el9.x86_64 SMP preempt mod_unload modversions '


def test_parse_modinfo_without_elf_scans_strings():
    blob = b'junk\0version=2.17.9\0vermagic=5.14.0 SMP mod_unload\0not a pair\0=novalue\0Bad Key=x\0version=second\0'
    assert parse_modinfo(blob) == {'version': '2.17.9', 'vermagic': '5.14.0 SMP mod_unload'}


@pytest.mark.parametrize('blob', [
    b'',
    b'\x7fELF' + b'\0' * 10,                      # too short: no section table
    b'\x7fELF\x02\x01' + b'\xff' * 80,            # section table offset beyond the file
    b'\x28\xb5\x2f\xfd' + b'\0' * 40,             # zstd-compressed module
])
def test_parse_modinfo_garbage_gives_empty(blob):
    assert parse_modinfo(blob) == {}


def test_parse_modinfo_rejects_text():
    with pytest.raises(TypeError):
        parse_modinfo('version=1')


def test_parse_modinfo_output_skips_continuation_lines():
    text = 'filename:       /x.ko\nsig_key:        44:BF\nsignature:      03:A9:0E\n\t\tFE:18:30\nname:           x\n'
    assert parse_modinfo_output(text) == {'filename': '/x.ko', 'sig_key': '44:BF', 'signature': '03:A9:0E', 'name': 'x'}


# ------------------------------------------------------------------ modules.dep, /proc/modules

def test_parse_modules_dep_real():
    paths = parse_modules_dep(fixture('modules.dep'))
    assert 'weak-updates/openvswitch/vport-stt.ko' in paths
    assert 'kernel/net/openvswitch/openvswitch.ko' in paths
    assert len(paths) == 6


def test_parse_modules_dep_with_deps():
    assert parse_modules_dep('a/b.ko: c/d.ko e.ko\n\nnonsense\nx.ko:\n') == ['a/b.ko', 'x.ko']


def test_parse_proc_modules():
    # format of proc(5) /proc/modules; this machine has no module support, so nothing could be recorded here
    text = ('vport_geneve 16384 0 - Live 0x0000000000000000\n'
            'openvswitch 184320 3 vport_geneve,vport_stt, Live 0x0000000000000000\n'
            'broken line\n'
            'nf_nat abc 1 - Live 0x0\n')
    mods = parse_proc_modules(text)
    assert mods == {
        'vport_geneve': {'size': 16384, 'refcount': 0, 'used_by': []},
        'openvswitch': {'size': 184320, 'refcount': 3, 'used_by': ['vport_geneve', 'vport_stt']},
    }
    assert unload_order(MODS, mods) == ['vport_geneve', 'openvswitch']


def test_module_names():
    assert module_names(MODS) == ['openvswitch', 'vport_geneve', 'vport_gre', 'vport_lisp', 'vport_stt', 'vport_vxlan']
    assert module_names(['x-y.ko.xz']) == ['x_y']


# ------------------------------------------------------------------ INFO

def test_parse_info_forms():
    text = ('# comment\n\n'
            'openvswitch.ko /lib/modules/%s/extra/openvswitch/openvswitch.ko\n'
            'vport-gre.ko   /usr/lib/modules/%s/extra/openvswitch/vport-gre.ko\n'
            'vport-vxlan.ko weak-updates/openvswitch/vport-vxlan.ko\n'
            'vport-geneve.ko /tmp/t/lib/modules/%s/updates/./vport-geneve.ko\n' % (R, R, R))
    assert parse_info(text, R, '/tmp/t/lib/modules') == {
        'openvswitch.ko': 'extra/openvswitch/openvswitch.ko',
        'vport-gre.ko': 'extra/openvswitch/vport-gre.ko',
        'vport-vxlan.ko': 'weak-updates/openvswitch/vport-vxlan.ko',
        'vport-geneve.ko': 'updates/vport-geneve.ko',
    }


@pytest.mark.parametrize('text, message', [
    ('openvswitch.ko\n', 'line 1'),
    ('a b c\n', 'expected'),
    ('# x\nsub/openvswitch.ko extra/x.ko\n', 'line 2: file name'),
    ('openvswitch.ko /lib/modules/9.9/extra/openvswitch.ko\n', 'outside the module tree'),
    ('openvswitch.ko /etc/passwd\n', 'outside the module tree'),
    ('openvswitch.ko ../../etc/x.ko\n', 'outside the module tree'),
    ('openvswitch.ko .\n', 'outside the module tree'),
    ('openvswitch.ko nsx/usr-ovs-kmod-backup/openvswitch.ko\n', 'inside nsx/'),
    ('openvswitch.ko extra/a.ko\nopenvswitch.ko extra/b.ko\n', 'listed twice'),
])
def test_parse_info_rejects(text, message):
    with pytest.raises(KmodError, match=message):
        parse_info(text, R)


def test_parse_info_duplicate_same_path_ok():
    assert parse_info('a.ko extra/a.ko\na.ko extra/a.ko\n', R) == {'a.ko': 'extra/a.ko'}


def test_journal_round_trip():
    text = render_journal(['weak-updates/openvswitch/openvswitch.ko', 'extra/x.ko'])
    assert text.startswith('#')
    assert parse_journal(text) == ['weak-updates/openvswitch/openvswitch.ko', 'extra/x.ko']


# ------------------------------------------------------------------ input checks

@pytest.mark.parametrize('modules, ok', [
    (MODS, True),
    (['openvswitch.ko.xz'], True),
    ([], False),
    (['../openvswitch.ko'], False),
    (['sub/openvswitch.ko'], False),
    (['openvswitch'], False),
    (['openvswitch.ko', 'openvswitch.ko'], False),
    (['-r.ko'], True),  # a plain file name; commands never receive it as an option
])
def test_validate_modules(modules, ok):
    if ok:
        validate_modules(modules)
    else:
        with pytest.raises(KmodError):
            validate_modules(modules)


@pytest.mark.parametrize('release, ok', [
    ('5.14.0-362.el9.x86_64', True), ('6.8.0-45-generic', True), ('', False), ('..', False),
    ('5.14/../x', False), ('a b', False),
])
def test_validate_release(release, ok):
    if ok:
        validate_release(release)
    else:
        with pytest.raises(KmodError):
            validate_release(release)


@pytest.mark.parametrize('location, result', [
    ('weak-updates/openvswitch', 'weak-updates/openvswitch'),
    ('updates/dkms/', 'updates/dkms'),
    ('/lib/modules/x', None), ('../x', None), ('.', None), ('nsx', None), ('nsx/x', None), ('', None),
])
def test_validate_location(location, result):
    if result:
        assert validate_location(location) == result
    else:
        with pytest.raises(KmodError):
            validate_location(location)


@pytest.mark.parametrize('root, base', [
    ('/lib/modules', '/'), ('/lib/modules/', '/'), ('/tmp/t/lib/modules', '/tmp/t'),
    ('/usr/lib/modules', '/usr'), ('/tmp/modules', None), ('/srv/lib/modulesx', None),
])
def test_depmod_base(root, base):
    assert depmod_base(root) == base


@pytest.mark.parametrize('args, expect', [
    ((False, True, R, R, '/lib/modules'), 'modprobe=false'),
    ((True, False, R, R, '/lib/modules'), '/proc/modules is absent'),
    ((True, True, R, '6.1.0', '/lib/modules'), 'is not the running kernel'),
    ((True, True, R, R, '/tmp/t/lib/modules'), 'is not /lib/modules'),
    ((True, True, R, R, '/lib/modules/'), None),
])
def test_modprobe_skip_reason(args, expect):
    reason = modprobe_skip_reason(*args)
    if expect is None:
        assert reason is None
    else:
        assert expect in reason


@pytest.mark.parametrize('dep, existing, mtime, ctimes, expect', [
    (None, set(), None, [], 'missing'),
    (['weak-updates/openvswitch/openvswitch.ko'], set(), 10.0, [], 'lists missing files'),
    (['a.ko'], {'a.ko'}, 10.0, [9.0, 11.0], 'changed after'),
    (['a.ko'], {'a.ko'}, 10.0, [9.0, 10.0], None),
    ([], set(), 10.0, [], None),
])
def test_depmod_stale(dep, existing, mtime, ctimes, expect):
    reason = depmod_stale(dep, existing, mtime, ctimes)
    if expect is None:
        assert reason is None
    else:
        assert expect in reason


# ------------------------------------------------------------------ planning

def tree(*files, **kinds):
    facts = dict((f, 'file') for f in files)
    facts.update(kinds)
    return facts


def nsx(*files):
    listing = {'nsx': 'dir'}
    for f in files:
        parts = f.split('/')
        for i in range(1, len(parts)):
            listing['/'.join(parts[:i])] = 'dir'
        listing[f] = 'file'
    listing.pop('nsx', None)
    return listing


def rhel_facts(extra=()):
    return tree(*(['%s/%s' % (WU, m) for m in MODS] + list(extra)), **{WU: 'dir'})


def test_plan_rhel_no_info_moves_into_location_by_replacement():
    listing = nsx(*['%s/%s' % (BK, m) for m in UP])
    plan = plan_upstream(MODS, None, listing, {}, [], rhel_facts())
    assert plan.location == WU
    assert plan.moves == [('%s/%s' % (BK, m), '%s/%s' % (WU, m)) for m in UP]
    assert plan.removes == ['%s/vport-lisp.ko' % WU, '%s/vport-stt.ko' % WU]
    assert plan.remove_dirs == ['nsx']
    # replaced NSX files are archived too, and the whole nsx/ tree
    assert set(plan.archive) == set(['%s/%s' % (WU, m) for m in MODS] + ['%s/%s' % (BK, m) for m in UP])
    assert plan.journal == sorted('%s/%s' % (WU, m) for m in UP)
    assert plan.after == sorted('%s/%s' % (WU, m) for m in UP)
    assert plan.tree_changes


def test_plan_rhel_info_moves_to_original_places():
    info = dict((m, 'extra/openvswitch/%s' % m) for m in UP[:3])
    info['vport-vxlan.ko'] = '%s/vport-vxlan.ko' % WU
    listing = nsx(*(['%s/%s' % (BK, m) for m in UP] + [BK + '/INFO']))
    plan = plan_upstream(MODS, None, listing, info, [], rhel_facts())
    assert ('%s/openvswitch.ko' % BK, 'extra/openvswitch/openvswitch.ko') in plan.moves
    assert ('%s/vport-vxlan.ko' % BK, '%s/vport-vxlan.ko' % WU) in plan.moves
    assert sorted(plan.removes) == sorted('%s/%s' % (WU, m) for m in MODS if m != 'vport-vxlan.ko')
    assert BK + '/INFO' in plan.archive
    assert plan.after == sorted(['extra/openvswitch/%s' % m for m in UP[:3]] + ['%s/vport-vxlan.ko' % WU])


def test_plan_no_usr_backup_ubuntu_keeps_foreign_dkms_module():
    facts = tree(*['updates/dkms/%s' % m for m in MODS], **{'updates/dkms': 'dir'})
    plan = plan_upstream(MODS, None, {'nsx/VERSION': 'file'}, {}, [], facts)
    assert plan.location == 'updates/dkms'
    assert plan.moves == []
    assert plan.removes == ['updates/dkms/%s' % m for m in MODS]
    assert plan.archive == sorted(['nsx/VERSION'] + ['updates/dkms/%s' % m for m in MODS])
    assert plan.after == []  # only the listed names are handled; other DKMS files are never probed


def test_plan_switched_tree_without_nsx_is_noop():
    facts = tree(*['%s/%s' % (WU, m) for m in UP], **{WU: 'dir'})
    plan = plan_upstream(MODS, None, None, {}, [], facts)
    assert not plan.tree_changes and plan.archive == []
    assert [k['path'] for k in plan.kept] == ['%s/%s' % (WU, m) for m in UP]
    assert plan.before == plan.after


def test_plan_resume_after_partial_run_uses_journal():
    # An earlier run replaced openvswitch.ko and vport-geneve.ko, then stopped.
    done = ['%s/openvswitch.ko' % WU, '%s/vport-geneve.ko' % WU]
    journal = sorted('%s/%s' % (WU, m) for m in UP)
    listing = nsx('%s/vport-gre.ko' % BK, '%s/vport-vxlan.ko' % BK, JOURNAL_FILE)
    plan = plan_upstream(MODS, None, listing, {}, journal, rhel_facts())
    assert plan.moves == [('%s/vport-gre.ko' % BK, '%s/vport-gre.ko' % WU), ('%s/vport-vxlan.ko' % BK, '%s/vport-vxlan.ko' % WU)]
    assert [k['path'] for k in plan.kept] == done
    assert plan.removes == ['%s/vport-lisp.ko' % WU, '%s/vport-stt.ko' % WU]
    assert JOURNAL_FILE not in plan.archive
    assert not any(d in plan.archive for d in done)


def test_plan_hand_half_switched_with_info():
    facts = tree(*['%s/%s' % (WU, m) for m in UP], **{WU: 'dir'})
    info = dict((m, '%s/%s' % (WU, m)) for m in UP)
    listing = nsx('%s/vport-gre.ko' % BK, '%s/vport-vxlan.ko' % BK, BK + '/INFO')
    plan = plan_upstream(MODS, None, listing, info, [], facts)
    assert [k['path'] for k in plan.kept] == ['%s/openvswitch.ko' % WU, '%s/vport-geneve.ko' % WU]
    assert [d for _s, d in plan.moves] == ['%s/vport-gre.ko' % WU, '%s/vport-vxlan.ko' % WU]
    assert plan.removes == []


def test_plan_conflicting_destination_refused():
    info = {'openvswitch.ko': 'extra/openvswitch.ko'}
    facts = rhel_facts(['extra/openvswitch.ko'])
    listing = nsx('%s/openvswitch.ko' % BK)
    with pytest.raises(KmodError, match='already holds a different file'):
        plan_upstream(MODS, None, listing, info, [], facts, {'%s/openvswitch.ko' % BK: 'a', 'extra/openvswitch.ko': 'b'})


def test_plan_identical_destination_drops_backup_copy():
    info = {'openvswitch.ko': 'extra/openvswitch.ko'}
    facts = rhel_facts(['extra/openvswitch.ko'])
    listing = nsx('%s/openvswitch.ko' % BK)
    plan = plan_upstream(MODS, None, listing, info, [], facts, {'%s/openvswitch.ko' % BK: 'a', 'extra/openvswitch.ko': 'a'})
    assert plan.moves == []
    assert 'same content' in plan.notes[0]
    assert '%s/openvswitch.ko' % BK in plan.archive


def test_plan_both_locations_ambiguous():
    facts = tree('%s/openvswitch.ko' % WU, 'updates/dkms/openvswitch.ko')
    with pytest.raises(KmodError, match='set nsx_location'):
        plan_upstream(MODS, None, nsx(), {}, [], facts)
    plan = plan_upstream(MODS, 'updates/dkms', nsx(), {}, [], facts)
    assert plan.removes == ['updates/dkms/openvswitch.ko']


def test_plan_backup_without_location_needs_one():
    with pytest.raises(KmodError, match='set nsx_location'):
        plan_upstream(MODS, None, nsx('%s/openvswitch.ko' % BK), {}, [], {})


def test_detect_location_existing_empty_dir():
    assert detect_location(MODS, None, {'updates/dkms': 'dir'})[0] == 'updates/dkms'
    assert detect_location(MODS, None, {})[0] is None


def test_probe_paths():
    paths = probe_paths(['a.ko'], [WU, 'updates/dkms'], {'a.ko': 'extra/a.ko'})
    assert paths == ['extra/a.ko', 'updates/dkms/a.ko', '%s/a.ko' % WU]


# ------------------------------------------------------------------ state=nsx

def test_check_nsx_upstream_tree_is_ready():
    facts = tree('%s/openvswitch.ko' % WU, **{WU: 'dir'})
    v = check_nsx(MODS, None, None, False, facts, False)
    assert v['ready'] and v['state'] == 'upstream' and v['upstream_files'] == ['%s/openvswitch.ko' % WU]


def test_check_nsx_already_nsx():
    v = check_nsx(MODS, None, nsx('%s/openvswitch.ko' % BK), False, rhel_facts(), True)
    assert v['ready'] and v['state'] == 'nsx' and len(v['nsx_files']) == 6


@pytest.mark.parametrize('journal, usr_backup, facts, problem', [
    (True, False, {}, 'did not finish'),
    (False, True, {WU: 'dir'}, 'half-finished'),
])
def test_check_nsx_problems(journal, usr_backup, facts, problem):
    v = check_nsx(MODS, None, nsx(), journal, facts, usr_backup)
    assert not v['ready'] and problem in v['problems'][0]


def test_check_nsx_leftover_empty_nsx_dir():
    v = check_nsx(MODS, None, {}, False, {}, False)
    assert v['ready'] and v['state'] == 'nsx-incomplete'


def test_parse_modinfo_elf_without_modinfo_section_ignores_decoys():
    data = fixture('gcc_nsx_openvswitch.ko', 'rb')
    assert data.count(b'.modinfo\0') == 1
    renamed = data.replace(b'.modinfo\0', b'.modinfX\0')
    assert b'version=decoy-not-modinfo' in renamed
    assert parse_modinfo(renamed) == {}


# --------------------------------------------------------------------------- journal v2 (_kmod_exec)

def _edit(text, **changes):
    import json
    data = json.loads(text)
    data.update(changes)
    return json.dumps(data)


def test_journal_v2_round_trip_and_damage():
    from ansible_collections.cni.ovs.plugins.module_utils._kmod_exec import parse_journal_v2, render_journal
    text = render_journal('5.14.0-1', ['weak-updates/openvswitch/openvswitch.ko'], ['/b/a.tar.gz'], ['openvswitch'],
                          {'openvswitch.ko': 'extra/openvswitch/openvswitch.ko'})
    got = parse_journal_v2(text, '5.14.0-1', 'J')
    assert got == {'restored': ['weak-updates/openvswitch/openvswitch.ko'], 'archives': ['/b/a.tar.gz'],
                   'unloaded': ['openvswitch'], 'info': {'openvswitch.ko': 'extra/openvswitch/openvswitch.ko'}}
    for bad, why in [
        (text[:len(text) // 2], 'not valid JSON'),
        ('[]', 'unknown format'),
        (text.replace('5.14.0-1', '4.18.0-1'), 'written for kernel'),
        (text.replace('"weak-updates/openvswitch/openvswitch.ko"', '"../../etc/passwd"'), 'not inside the release'),
        (text.replace('"weak-updates/openvswitch/openvswitch.ko"', '"/etc/passwd"'), 'not inside the release'),
        (_edit(text, unloaded='openvswitch'), 'unloaded is not a list'),
        (_edit(text, info={'openvswitch.ko': '../../x'}), 'not inside the release'),
        (_edit(text, restored=[1]), 'restored is not a list'),
    ]:
        with pytest.raises(KmodError) as exc:
            parse_journal_v2(bad, '5.14.0-1', '/x/J')
        assert why in str(exc.value) and '/x/J' in str(exc.value) and 'damaged' in str(exc.value)


@pytest.mark.parametrize('release', ['-v', '--help', '', '.', '..', 'a/b', 'a b', 'a\x00b', ' a', '~1'])
def test_validate_release_refuses(release):
    with pytest.raises(KmodError):
        validate_release(release)


def test_shown_cuts_long_values():
    from ansible_collections.cni.ovs.plugins.module_utils._kmod_exec import shown
    assert shown('abc') == "'abc'"
    assert shown('x' * 1000) == "'%s'... (1000 characters)" % ('x' * 512)
