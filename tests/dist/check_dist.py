# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of tests/dist/run.sh (one sub-command per step); exit 1 with the reasons on failure."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sys
import tarfile

import yaml

# What a user of the collection needs: nothing else may ship.
ALLOWED = [
    r'MANIFEST\.json', r'FILES\.json', r'LICENSE', r'README\.md',
    r'changelogs/changelog\.yaml',
    r'meta/(runtime\.yml|execution-environment\.yml|ee-requirements\.txt|ee-bindep\.txt|awx-ee\.yml|awx-ee-requirements\.yml)',
    r'plugins/(modules|module_utils|plugin_utils|filter|callback|doc_fragments)/[A-Za-z0-9_]+\.py',
    r'roles/[a-z0-9_]+/(README\.md|(defaults|handlers|meta|tasks|vars)/[a-z0-9_]+\.yml)',
    r'playbooks/[a-z_]+\.yml',
    r'docs/[A-Za-z0-9_-]+\.(md|json)', r'docs/awx/[a-z_]+\.survey\.json',
]
FORBIDDEN_TOP = ('tests', 'lab', 'extensions', 'bench', 'scripts', 'reports', 'build', '.build', 'context', 'collections',
                 'Makefile', 'ansible.cfg', 'requirements-dev.lock', 'requirements-dist.lock', '.venv', '.venv-dist')
# ansible-lint/galaxy-importer lines that are not problems
IMPORTER_OK = re.compile(r'^(Importing with|Getting doc strings|Finding content|Loading |Linting collection|\.\.\.ansible-lint run complete'
                         r'|Collection loading complete|Importer processing completed successfully|Running ansible-test sanity)')


def fail(problems):
    for p in problems:
        print('FAIL: %s' % p)
    return 1 if problems else 0


def tar_files(tarball):
    with tarfile.open(tarball) as t:
        return {m.name: m.size for m in t.getmembers() if m.isfile()}


def doc_table(doc):
    """The 'What the tarball holds' table of docs/awx.md: {path: files} and the stated size in KiB."""
    with open(doc) as f:
        text = f.read()
    sec = text.split('## What the tarball holds', 1)
    if len(sec) < 2:
        return None, None, 'docs/awx.md has no "## What the tarball holds" section'
    sec = sec[1].split('\n## ', 1)[0]
    rows = dict((m.group(1), int(m.group(2))) for m in re.finditer(r'^\| `([^`]+)` \| (\d+) \|', sec, re.M))
    size = re.search(r'about (\d+) KiB', sec)
    return rows, int(size.group(1)) if size else None, None


def group(name):
    top = name.split('/')[0]
    return top + '/' if '/' in name else top


def cmd_contents(tarball, doc):
    problems = []
    files = tar_files(tarball)
    for name in sorted(files):
        if not any(re.fullmatch(p, name) for p in ALLOWED):
            problems.append('ships %s (not something a user of the collection needs; add it to build_ignore)' % name)
        if name.split('/')[0] in FORBIDDEN_TOP:
            problems.append('ships %s' % name)
    for must in ('MANIFEST.json', 'meta/runtime.yml', 'meta/execution-environment.yml', 'meta/ee-requirements.txt',
                 'playbooks/ovn_raft_health.yml', 'plugins/callback/rollout_report.py', 'docs/awx.md',
                 'docs/awx/ovn_raft_health.survey.json', 'changelogs/changelog.yaml'):
        if must not in files:
            problems.append('%s missing from the tarball' % must)
    for role in {n.split('/')[1] for n in files if n.startswith('roles/')}:
        if 'roles/%s/README.md' % role not in files:
            problems.append('role %s ships without README.md' % role)
    counts = {}
    for name in files:
        counts[group(name)] = counts.get(group(name), 0) + 1
    rows, size, err = doc_table(doc)
    kib = os.path.getsize(tarball) / 1024.0
    print('tarball %s: %d files, %.0f KiB' % (os.path.basename(tarball), len(files), kib))
    for g in sorted(counts):
        print('| `%s` | %d |' % (g, counts[g]))
    if err:
        problems.append(err)
    else:
        # the same paths; counts may lag a new plugin or doc by a little (max(2, 10%))
        off = {g: (rows.get(g), counts.get(g)) for g in set(rows) | set(counts)
               if rows.get(g) is None or counts.get(g) is None or abs(rows[g] - counts[g]) > max(2, counts[g] // 10)}
        if off:
            problems.append('docs/awx.md "What the tarball holds" is out of date (path: (docs, tarball)): %s' % off)
        if size is None or not 0.8 * size <= kib <= 1.2 * size:
            problems.append('docs/awx.md says about %s KiB, the tarball is %.0f KiB' % (size, kib))
    if kib > 400:
        problems.append('tarball is %.0f KiB: more than 400 KiB' % kib)
    return fail(problems)


def cmd_ee_context(context, tarball):
    problems = []
    name = os.path.basename(tarball)
    built = os.path.join(context, '_build', 'collections', name)
    if not os.path.isfile(built):
        problems.append('the context has no %s (additional_build_files)' % built)
    with open(os.path.join(context, '_build', 'requirements.yml')) as f:
        reqs = yaml.safe_load(f)
    entries = [c for c in reqs.get('collections', []) if isinstance(c, dict)]
    if not any(c.get('type') == 'file' and c.get('name') == 'collections/' + name for c in entries):
        problems.append('the image installs %s, not collections/%s' % (entries, name))
    with open(os.path.join(context, '_build', 'requirements.txt')) as f:
        if 'kubernetes' not in f.read():
            problems.append('the image gets no Python kubernetes package')
    with open(os.path.join(context, 'Containerfile')) as f:
        cf = f.read()
    if 'COPY _build /build' not in cf or 'WORKDIR /build' not in cf:
        problems.append('Containerfile no longer installs from /build')
    return fail(problems)


def _req_names(path):
    with open(path) as f:
        return sorted(re.split(r'[<>=!~;\[ ]', ln.strip())[0].lower() for ln in f if ln.strip() and not ln.startswith('#'))


def cmd_introspect(pip_txt, bindep_txt):
    problems = []
    with open(pip_txt) as f:
        pip = f.read()
    print(pip)
    for pkg in ('kubernetes', 'jmespath', 'jsonpatch'):
        if not re.search(r'^%s\b.*# from collection cni\.ovs' % pkg, pip, re.M | re.I):
            problems.append('introspect does not list %s from cni.ovs' % pkg)
    with open(bindep_txt) as f:
        if 'cni.ovs' not in f.read():
            problems.append('introspect lists no system package of cni.ovs')
    return fail(problems)


def _manifest(path):
    out = {}
    for root, _dirs, files in os.walk(path):
        for n in files:
            p = os.path.join(root, n)
            rel = os.path.relpath(p, path)
            if rel in ('MANIFEST.json', 'FILES.json') or '__pycache__' in rel:
                continue
            with open(p, 'rb') as f:
                out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


def cmd_same_files(a, b):
    ma, mb = _manifest(a), _manifest(b)
    if ma == mb:
        print('%d files, identical' % len(ma))
        return 0
    diff = sorted(set(ma) ^ set(mb)) or sorted(n for n in ma if ma[n] != mb.get(n))
    return fail(['project sync and tarball installs differ in %s' % diff[:20]])


def survey_answers(survey):
    """What AWX puts in the job's extra vars for a survey answered with its defaults: text and
    multiple-choice answers are strings, integer/float answers numbers; questions without a
    default are left out."""
    with open(survey) as f:
        spec = json.load(f)['spec']
    out = {}
    for q in spec:
        if 'default' not in q:
            continue
        if q['type'] in ('integer', 'float'):
            out[q['variable']] = q['default']
        else:
            out[q['variable']] = str(q['default'])
    return out


def cmd_runner_dir(pdd, src, survey, rl_dir, collections, python):
    """The private data dir AWX gives ansible-runner: project/ is the project checkout, the
    inventory, the survey answers in env/extravars, the environment of the docs/awx.md route B
    image (the collections path of that image)."""
    project = os.path.join(pdd, 'project')
    shutil.copytree(src, project, symlinks=True, ignore=shutil.ignore_patterns('reports', 'build', '.build', 'context', 'collections'))
    os.makedirs(os.path.join(pdd, 'inventory'))
    os.makedirs(os.path.join(pdd, 'env'))
    dbs = [{'name': 'OVN_Northbound', 'ctl': None}, {'name': 'OVN_Southbound', 'ctl': None}]
    hosts = {}
    for i in (1, 2, 3):
        hosts['raft-%d' % i] = {
            'ansible_connection': 'local', 'ansible_python_interpreter': python,
            'ovn_raft_dbs': [dict(d, ctl=os.path.join(rl_dir, '%s%d.ctl' % ('n' if d['name'] == 'OVN_Northbound' else 's', i))) for d in dbs]}
    with open(os.path.join(pdd, 'inventory', 'hosts.yml'), 'w') as f:
        yaml.safe_dump({'all': {'children': {'ovn_central': {'hosts': hosts}}}}, f)
    answers = survey_answers(survey)
    print('survey answers (extra vars):', json.dumps(answers))
    with open(os.path.join(pdd, 'env', 'extravars'), 'w') as f:
        json.dump(answers, f)
    with open(os.path.join(pdd, 'env', 'envvars'), 'w') as f:
        # the image's /usr/share/ansible/collections, here a temporary directory
        json.dump({'ANSIBLE_COLLECTIONS_PATH': collections}, f)
    with open(os.path.join(pdd, 'env', 'settings'), 'w') as f:
        json.dump({'suppress_ansible_output': False}, f)
    return 0


def cmd_runner_result(pdd, ident, members):
    problems = []
    art = os.path.join(pdd, 'artifacts', ident)
    status = open(os.path.join(art, 'status')).read().strip() if os.path.exists(os.path.join(art, 'status')) else None
    rc = open(os.path.join(art, 'rc')).read().strip() if os.path.exists(os.path.join(art, 'rc')) else None
    stdout = open(os.path.join(art, 'stdout')).read() if os.path.exists(os.path.join(art, 'stdout')) else ''
    print('runner status=%s rc=%s' % (status, rc))
    if status != 'successful' or rc != '0':
        problems.append('runner status %s rc %s' % (status, rc))
    events = [json.load(open(p)) for p in glob.glob(os.path.join(art, 'job_events', '*.json'))]
    if not any(e.get('event') == 'playbook_on_stats' for e in events):
        problems.append('no playbook_on_stats event in the job events')
    if 'raft_status' in stdout and 'No filter named' in stdout:
        problems.append('the collection was not found: %s' % stdout[-400:])
    reports = sorted(glob.glob(os.path.join(pdd, 'project', 'reports', 'ovn_raft_health-*.json')))
    if not reports:
        problems.append('the rollout_report callback wrote no report under project/reports (enabled by the project ansible.cfg)')
    else:
        with open(reports[-1]) as f:
            rep = json.load(f)
        run = rep.get('run', {})
        names = sorted(n.get('name') for n in rep.get('nodes', []))
        print('report %s: result=%s complete=%s nodes=%s' % (os.path.basename(reports[-1]), run.get('result'), run.get('complete'), names))
        if run.get('result') != 'ok' or run.get('complete') is not True or run.get('check_mode') is not False:
            problems.append('report run %s' % run)
        if names != ['raft-%d' % i for i in range(1, int(members) + 1)]:
            problems.append('report nodes %s' % names)
        if not os.path.exists(reports[-1][:-5] + '.html'):
            problems.append('no HTML report next to %s' % reports[-1])
        if any(n.get('result') != 'ok' for n in rep.get('nodes', [])):
            problems.append('report node results %s' % [(n.get('name'), n.get('result')) for n in rep['nodes']])
    if 'rollout report:' not in stdout:
        problems.append('the job output does not name the report')
    for db in ('OVN_Northbound', 'OVN_Southbound'):
        if not re.search(r'%s: %s members agree on leader' % (db, members), stdout):
            problems.append('the job output does not show %s: %s members agree' % (db, members))
    return fail(problems)


def cmd_importer_log(path):
    with open(path) as f:
        lines = [ln.rstrip() for ln in f if ln.strip()]
    bad = [ln for ln in lines if not IMPORTER_OK.match(ln)]
    if not any(ln.startswith('Importer processing completed successfully') for ln in lines):
        bad.append('no "Importer processing completed successfully"')
    return fail(['galaxy-importer: %s' % b for b in bad])


def main(argv):
    cmds = {'contents': cmd_contents, 'ee-context': cmd_ee_context, 'introspect': cmd_introspect, 'same-files': cmd_same_files,
            'runner-dir': cmd_runner_dir, 'runner-result': cmd_runner_result, 'importer-log': cmd_importer_log}
    if not argv or argv[0] not in cmds:
        print('usage: check_dist.py {%s} ...' % ','.join(cmds))
        return 2
    return cmds[argv[0]](*argv[1:])


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
