# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks after lab-node-3 was replaced by lab-node-4 (playbooks/kube_ovn_central_replace.yml),
shared by the scenarios kube_ovn_central_replace (host mode, members as host units) and
kube_ovn_central_pod (pod mode, members in real pods): raft membership read on the node hosts
(through /run/ovn in both), Kubernetes objects through the API, the old node's DB directory gone
with a 0600 backup. Each scenario's tests/test_default.py names these tests for pytest."""

from __future__ import annotations

import os
import re

import pytest

ROOT = os.environ.get('MOLECULE_PROJECT_DIRECTORY', os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..')))
WANT = ['198.18.0.11', '198.18.0.12', '198.18.0.14']
DBS = [('ovnnb', 'OVN_Northbound', 6643), ('ovnsb', 'OVN_Southbound', 6644)]
BACKUP_DIR = '/var/backups/cni-ovs/kube_ovn_central'


def parse(text):
    servers = re.findall(r'^\s*([0-9a-f]{4}) \([0-9a-f]{4} at tcp:\[?([0-9.]+)\]?:(\d+)\)', text, re.M)
    fields = dict(re.findall(r'^([A-Z][A-Za-z ]+): (.*)$', text, re.M))
    return fields, servers


@pytest.mark.parametrize('ctl,name,port', DBS)
def test_members_are_the_expected_three(host, ctl, name, port):
    me = host.backend.get_hostname()
    text = host.run('ovn-appctl -t /var/run/ovn/%s_db.ctl cluster/status %s' % (ctl, name))
    if me == 'lab-node-3':
        # kicked, stopped and wiped: no member runs there any more
        assert text.rc != 0 or 'cluster member' not in text.stdout
        return
    assert text.rc == 0, text.stderr
    fields, servers = parse(text.stdout)
    assert fields['Status'] == 'cluster member'
    assert sorted(ip for _i, ip, _p in servers) == WANT
    assert {int(p) for _i, _ip, p in servers} == {port}
    assert fields['Leader'] != 'unknown'
    assert fields['Entries not yet committed'] == '0'


def test_leader_hears_from_every_member(host):
    if host.backend.get_hostname() == 'lab-node-3':
        pytest.skip('not a member')
    for ctl, name, _port in DBS:
        out = host.check_output('ovn-appctl -t /var/run/ovn/%s_db.ctl cluster/status %s', ctl, name)
        fields, _servers = parse(out)
        if fields.get('Role') != 'leader':
            continue
        lines = [ln for ln in out.splitlines() if re.match(r'^\s*[0-9a-f]{4} \(', ln) and '(self)' not in ln]
        assert len(lines) == 2
        for ln in lines:
            ms = int(re.search(r'last msg (\d+) ms ago', ln).group(1))
            assert ms < 10000, ln


def test_old_node_db_dir_gone_with_backup(host):
    if host.backend.get_hostname() != 'lab-node-3':
        pytest.skip('only the removed node')
    assert not host.file('/etc/origin/ovn').exists
    backups = host.check_output('ls -1 %s', BACKUP_DIR).split()
    mine = [b for b in backups if re.match(r'^ovn-lab-node-3-removed-\d{8}T\d{6}Z\.tar\.gz$', b)]
    assert mine, backups
    f = host.file(os.path.join(BACKUP_DIR, sorted(mine)[-1]))
    assert f.mode == 0o600
    listing = host.check_output('tar -tzf %s', f.path)
    assert 'ovn/ovnnb_db.db' in listing and 'ovn/ovnsb_db.db' in listing
    assert host.service('ovn-ovsdb-server-nb').is_running is False


def _k8s():
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    config.load_kube_config(config_file=os.path.join(ROOT, 'lab', '.state', 'kubeconfig'))
    return client


def _env(containers, name):
    return [e.value for c in containers for e in (c.env or []) if e.name == name]


def test_kubernetes_objects_updated(host):
    if host.backend.get_hostname() != 'lab-node-1':
        pytest.skip('API checks once')
    k = _k8s()
    apps, core = k.AppsV1Api(), k.CoreV1Api()
    central = apps.read_namespaced_deployment('ovn-central', 'kube-system')
    assert _env(central.spec.template.spec.containers, 'NODE_IPS') == [','.join(WANT)]
    assert central.spec.replicas == 3 and central.status.available_replicas == 3
    ds = apps.read_namespaced_daemon_set('ovs-ovn', 'kube-system')
    assert _env(ds.spec.template.spec.containers, 'OVN_DB_IPS') == [','.join(WANT)]
    ctrl = apps.read_namespaced_deployment('kube-ovn-controller', 'kube-system')
    assert _env(ctrl.spec.template.spec.containers, 'OVN_DB_IPS') == [','.join(WANT)]
    assert ctrl.status.updated_replicas == ctrl.spec.replicas == ctrl.status.available_replicas
    # every ovs pod was recreated with the new OVN_DB_IPS, one per node, Ready
    pods = core.list_namespaced_pod('kube-system', label_selector='app=ovs').items
    nodes = [n.metadata.name for n in core.list_node().items]
    assert sorted(p.spec.node_name for p in pods) == sorted(nodes)
    for p in pods:
        assert _env(p.spec.containers, 'OVN_DB_IPS') == [','.join(WANT)], p.metadata.name
        assert any(c.type == 'Ready' and c.status == 'True' for c in p.status.conditions or []), p.metadata.name
    # labels and placement of ovn-central
    masters = sorted(n.metadata.name for n in core.list_node(label_selector='kube-ovn/role=master').items)
    assert masters == ['lab-node-1', 'lab-node-2', 'lab-node-4']
    placed = sorted(p.spec.node_name for p in core.list_namespaced_pod('kube-system', label_selector='app=ovn-central').items
                    if p.metadata.deletion_timestamp is None)
    assert placed == masters
