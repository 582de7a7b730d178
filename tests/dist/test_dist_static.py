# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Static checks of the distribution files (run by tests/dist/run.sh): the execution
environment files stay inside the collection and agree with each other, the AWX route files
name the collection and its version, docs/awx.md only describes ansible.cfg settings that exist."""

from __future__ import annotations

import glob
import json
import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def load(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return yaml.safe_load(f)


def req_lines(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return sorted(ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith('#'))


def test_collection_ee_declaration_stays_inside_the_collection():
    """ansible-builder introspect joins these paths to the installed collection's root."""
    ee = load('meta/execution-environment.yml')
    deps = ee['dependencies']
    assert set(deps) == {'python', 'system'}
    for kind, path in deps.items():
        assert not os.path.isabs(path) and '..' not in path.split('/'), (kind, path)
        assert path.startswith('meta/'), (kind, path)
        assert os.path.isfile(os.path.join(ROOT, path)), path


def test_ee_python_requirements_equal_the_checkout_requirements():
    assert req_lines('meta/ee-requirements.txt') == req_lines('requirements.txt')


def test_awx_ee_definition_installs_the_built_tarball_of_this_version():
    version = load('galaxy.yml')['version']
    ee = load('meta/awx-ee.yml')
    assert ee['version'] == 3
    assert ee['dependencies']['python'] == 'ee-requirements.txt'
    assert ee['dependencies']['system'] == 'ee-bindep.txt'
    assert ee['dependencies']['galaxy'] == 'awx-ee-requirements.yml'
    assert [(b['src'], b['dest']) for b in ee['additional_build_files']] == [('../build/cni-ovs-*.tar.gz', 'collections')]
    reqs = load('meta/awx-ee-requirements.yml')['collections']
    assert reqs == [{'name': 'collections/cni-ovs-%s.tar.gz' % version, 'type': 'file'}]


def test_project_requirements_install_cni_ovs_for_awx():
    """AWX's project sync reads the root requirements.yml: it must install cni.ovs itself."""
    reqs = load('requirements.yml')['collections']
    assert {'name': '.', 'type': 'dir'} in reqs
    galaxy = load('galaxy.yml')
    assert (galaxy['namespace'], galaxy['name']) == ('cni', 'ovs')
    deps = {r['name'] for r in reqs if r.get('type') != 'dir'}
    assert deps == set(galaxy['dependencies'])


def test_build_ignore_keeps_run_and_build_output_out():
    ignore = set(load('galaxy.yml')['build_ignore'])
    assert {'reports', 'build', '.build', 'context', 'tests', 'lab', 'extensions', '.venv-dist'} <= ignore


def test_every_survey_asks_for_the_report_directory_and_name():
    for path in sorted(glob.glob(os.path.join(ROOT, 'docs', 'awx', '*.survey.json'))):
        with open(path) as f:
            names = {q['variable'] for q in json.load(f)['spec']}
        assert {'cni_ovs_report_dir', 'cni_ovs_report_name'} <= names, os.path.basename(path)


def test_awx_doc_describes_only_ansible_cfg_settings_that_exist():
    """Every `key = value` docs/awx.md quotes must be a line of the project's ansible.cfg, and
    every ansible.cfg key it names must exist there."""
    with open(os.path.join(ROOT, 'docs', 'awx.md')) as f:
        doc = f.read()
    with open(os.path.join(ROOT, 'ansible.cfg')) as f:
        cfg = f.read()
    cfg_lines = {ln.strip() for ln in cfg.splitlines()}
    cfg_keys = {ln.split('=')[0].strip() for ln in cfg_lines if '=' in ln and not ln.startswith('#')}
    quoted = re.findall(r'`([a-z_]+ = [^`]+)`', doc)
    assert quoted, 'docs/awx.md quotes no ansible.cfg setting'
    assert [q for q in quoted if q not in cfg_lines] == []
    for key in re.findall(r'`([a-z]+(?:_[a-z]+)+)`[^`\n]{0,40}ansible\.cfg|ansible\.cfg[^`\n]{0,40}`([a-z]+(?:_[a-z]+)+)`', doc):
        for k in key:
            if k and not k.startswith(('cni_ovs', 'ansible_')):
                assert k in cfg_keys, k
    assert 'collections_scan_sys_path' not in doc or 'collections_scan_sys_path' in cfg_keys


def test_role_readmes_are_generated_from_the_argument_specs():
    import importlib.util
    spec = importlib.util.spec_from_file_location('role_readmes', os.path.join(ROOT, 'scripts', 'role_readmes.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.check(ROOT) == []
    # and the check can fail: a changed default is noticed
    role = os.path.join(ROOT, 'roles', 'nsx_kmod_switch')
    with open(os.path.join(role, 'README.md')) as f:
        current = f.read()
    assert '| `nsx_kmod_switch_reboot` | bool | no | `true` |' in current
    tampered = current.replace('| `nsx_kmod_switch_reboot` | bool | no | `true` |', '| `nsx_kmod_switch_reboot` | bool | no | `false` |')
    assert mod.render(role, tampered) != tampered
