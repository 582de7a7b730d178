# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: a rolling OVS hot upgrade of every lab node host with traffic flowing.

Needs the running lab with node hosts (make lab-up, CNI=kube-ovn). In one run, per node:
  floor     the same node's bare restart, measured first with the lab's traffic probe:
            SIGTERM vswitchd, start the same ovs-vswitchd argv directly, ovs-ofctl add-flows
            (no flag, no service manager: the minimum any restart needs on that node);
  floor_sd  the same through the service manager: SIGTERM, systemctl start, add-flows;
  gap       the rollout's data-plane gap on the node (playbooks/ovs_hot_upgrade.yml, host mode,
            forced restart, the role's own probe, default stop/start commands);
  ratio     gap / floor;
  others    packets lost on this node while OTHER nodes were being upgraded (a background probe
            on a second UDP port runs on every node through the whole rollout; losses inside the
            node's own upgrade phase are its own gap and are not counted here): must be 0;
  wall time of the node's turn split into deliberate waits (package step, probe settle, health
  waits: tasks named "... Wait ..."), the restart module itself, and orchestration overhead
  (everything else), from the per-task timings of the ansible.posix.json callback.
Prints a table and the raw JSON (--json FILE).

The playbook reaches the node hosts over SSH as the normal user cniops with sudo (become), as real
nodes are reached (--connection podman: the lab's plumbing, ~0.9 s a task).

--mode daemonset (a LAB_KUBELET=real CNI=kube-ovn lab): Open vSwitch runs in the ovs-ovn DaemonSet's
real pods; the rollout is the playbook's DaemonSet mode (the template's image switched between the
lab image's two tags, each node's pod replaced with the module restoring the flows), and the floor
is a bare replacement of the node's pod (deleted, nothing saved, no flag; the new pod's start
script and the lab's controller stand-in bring the flows back).

--local-nodes 3 30 100: orchestration only, without node hosts or lab (see local_mode): how the
per-node overhead grows with N.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STATE = os.path.join(ROOT, 'lab', '.state')
INVENTORY = os.path.join(STATE, 'inventory.yml')
# the same nodes over SSH as the normal user cniops with sudo (become): the shape of real nodes
SSH_INVENTORY = os.path.join(STATE, 'inventory-ssh.yml')
VENV = os.path.join(ROOT, '.venv', 'bin')
ENV = dict(os.environ, CONTAINERS_CONF=os.environ.get('CONTAINERS_CONF', os.path.join(ROOT, 'lab', 'nodes', 'containers.conf')),
           LANG='C')
PPS = 1000
SETTLE_S = 2  # the probe's settle after each restart, passed to the playbook (a deliberate wait)
BG_PORT = 9998
# DaemonSet mode: deleting the node's old pod waits (wait: true) for the kubelet to terminate it
WAIT_RE = re.compile(r'\bWait\b|Install the \.deb|packages from the repositories|Copy the \.deb|Let the probe|'
                     r"Delete the node's old pod", re.I)
MODULE_RE = re.compile(r'Save, stop, flow-restore-wait|Save, flow-restore-wait')


def run(argv, check=True, timeout=600, **kw):
    res = subprocess.run(argv, env=kw.pop('env', ENV), capture_output=True, text=True, timeout=timeout, check=False, **kw)
    if check and res.returncode != 0:
        raise RuntimeError('%s: rc=%d %s %s' % (' '.join(argv), res.returncode, res.stdout[-1500:], res.stderr[-1500:]))
    return res


def nx(node, script, check=True):
    return run(['podman', 'exec', node, 'bash', '-c', script], check=check)


def nodes():
    import yaml  # pylint: disable=import-outside-toplevel
    with open(INVENTORY, encoding='utf-8') as f:
        inv = yaml.safe_load(f)
    return sorted((inv['all']['children'].get('kube_node') or {}).get('hosts') or {})


class Probe:
    """cni-ovs-lab-probe on a node until stop() (stop file), started in the background."""

    def __init__(self, node, port, tag):
        self.node, self.stop_file, self.ready = node, '/run/bench-%s.stop' % tag, '/run/bench-%s.ready' % tag
        nx(node, 'rm -f %s %s' % (self.stop_file, self.ready))
        self.proc = subprocess.Popen(['podman', 'exec', node, 'cni-ovs-lab-probe', '--pps', str(PPS), '--port', str(port),
                                      '--duration', '3000', '--stop-file', self.stop_file, '--settle', '1',
                                      '--ready-file', self.ready], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        deadline = time.monotonic() + 30
        while nx(node, 'test -e %s' % self.ready, check=False).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('probe on %s not ready: %s' % (node, self.proc.communicate(timeout=5) if self.proc.poll() is not None else 'timeout'))
            time.sleep(0.05)
        self.t0 = time.time()  # wall clock of (about) the first send

    def stop(self):
        nx(self.node, 'touch %s' % self.stop_file)
        out, err = self.proc.communicate(timeout=120)
        if self.proc.returncode != 0:
            raise RuntimeError('probe on %s failed: %s %s' % (self.node, out, err))
        return json.loads(out)


FLOOR = r'''
set -e
pidf=/var/run/openvswitch/ovs-vswitchd.pid
pid=$(cat $pidf)
argv=$(tr '\0' ' ' < /proc/$pid/cmdline)
ovs-ofctl dump-flows --no-stats br-int | grep -v '_FLOW reply' > /run/bench-floor.flows
%(stop)s
kill -TERM $pid
while kill -0 $pid 2>/dev/null; do sleep 0.002; done
%(start)s
n=0; until ovs-ofctl add-flows br-int /run/bench-floor.flows 2>/dev/null; do n=$((n+1)); [ $n -lt 5000 ] || exit 7; sleep 0.002; done
'''
FLOOR_BARE = FLOOR % {'stop': '', 'start': '$argv'}
FLOOR_SD = FLOOR % {'stop': '', 'start': 'systemctl start ovs-vswitchd.service'}
# The bare floor runs a vswitchd outside the service manager: systemd runs the unit's ExecStop
# (ovs-ctl stop) when its main process exits, which would stop a vswitchd started right after.
# So first (outside the measurement) the unit is stopped and the same argv started by hand.
BARE_SETUP = ('pid=$(cat /var/run/openvswitch/ovs-vswitchd.pid); argv=$(tr "\\0" " " < /proc/$pid/cmdline); '
              'systemctl stop --job-mode=ignore-dependencies ovs-vswitchd.service; $argv && cni-ovs-lab-pods flows >/dev/null')
# back under systemd with the lab's flows (outside any measurement)
RESET = ('pid=$(cat /var/run/openvswitch/ovs-vswitchd.pid); kill -TERM $pid; while kill -0 $pid 2>/dev/null; do sleep 0.01; done; '
         'systemctl start ovs-vswitchd.service && cni-ovs-lab-pods flows >/dev/null')


def floor(node, script, reset):
    if reset:
        nx(node, BARE_SETUP)
    p = Probe(node, 9997, 'floor')
    time.sleep(1)
    nx(node, script)
    time.sleep(1)
    r = p.stop()
    if reset:
        nx(node, RESET)
    else:
        nx(node, 'cni-ovs-lab-pods flows >/dev/null')
    return r['longest_gap_ms']


# DaemonSet mode (--mode daemonset, a LAB_KUBELET=real lab): Open vSwitch runs in the ovs-ovn
# DaemonSet's real pods. The floor there is a bare pod replacement: the node's ovs-ovn pod deleted
# with nothing saved and no flag, the DaemonSet controller's new pod starts both daemons and the
# lab's controller stand-in (SIMULATED ovn-controller, run by the pod's start script) installs the
# flows again: the minimum any replacement of that pod costs on that node.
DS_NAMESPACE, DS_NAME, DS_SELECTOR = 'kube-system', 'ovs-ovn', 'app=ovs'
DS_IMAGES = ('localhost/cni-ovs-lab/kube-ovn:v1.13.2', 'localhost/cni-ovs-lab/kube-ovn:v1.13.3')  # one lab image, two tags


def stand_in_flows(node, check=True):
    """How many of the lab controller stand-in's flows (cookie 0x1ab) br-int of the node has."""
    out = nx(node, 'ovs-ofctl dump-flows --no-stats br-int 2>/dev/null | grep -c cookie=0x1ab || true', check=check).stdout
    return int(out.strip() or 0)


def k8s_api():
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    config.load_kube_config(config_file=os.path.join(STATE, 'kubeconfig'))
    return client.CoreV1Api(), client.AppsV1Api()


def ovs_pods(core, node):
    return core.list_namespaced_pod(DS_NAMESPACE, label_selector=DS_SELECTOR, field_selector='spec.nodeName=%s' % node).items


def pod_ready(pod):
    return any(c.type == 'Ready' and c.status == 'True' for c in (pod.status.conditions or []))


def floor_pod(core, node, timeout=180):
    """Probe gap of a bare replacement of the node's ovs-ovn pod (see DS_* above)."""
    old = [x for x in ovs_pods(core, node) if not x.metadata.deletion_timestamp]
    if len(old) != 1 or not pod_ready(old[0]):
        raise RuntimeError('%s: want one Ready ovs-ovn pod, found %s' % (node, [x.metadata.name for x in old]))
    want = stand_in_flows(node)
    p = Probe(node, 9997, 'floor')
    time.sleep(1)
    core.delete_namespaced_pod(old[0].metadata.name, DS_NAMESPACE)
    deadline = time.monotonic() + timeout
    while True:
        pods = ovs_pods(core, node)
        new = [x for x in pods if x.metadata.uid != old[0].metadata.uid]
        if new and len(pods) == 1 and pod_ready(new[0]) and stand_in_flows(node, check=False) >= want:
            break
        if time.monotonic() > deadline:
            p.stop()
            raise RuntimeError('%s: the replaced ovs-ovn pod did not come back with its %d flows in %d s' % (node, want, timeout))
        time.sleep(0.2)
    time.sleep(1)
    return p.stop()['longest_gap_ms']


def lab_kubelet():
    try:
        with open(os.path.join(STATE, 'config'), encoding='utf-8') as f:
            return dict(line.strip().split('=', 1) for line in f if '=' in line).get('LAB_KUBELET', 'kwok')
    except OSError:
        return None


def parse_time(s):
    return datetime.datetime.strptime(s.replace('Z', '+0000'), '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def turn_costs(data, hosts):
    """Per host of the node-by-node plays: tasks, total, deliberate waits, module seconds (ansible.posix.json)."""
    per = {n: {'wait_s': 0.0, 'module_s': 0.0, 'total_s': 0.0, 'tasks': 0} for n in hosts}
    cost = {}  # task name -> [seconds per node turn]
    for play in data['plays'][1:]:
        for task in play['tasks']:
            name = task['task']['name']
            # ansible.posix.json times each task, not each host: with serial 1 that is the node's
            d = task['task'].get('duration') or {}
            if not d.get('start') or not d.get('end'):
                continue
            s, e = parse_time(d['start']), parse_time(d['end'])
            for h in task['hosts']:
                if h not in per:
                    continue
                per[h]['tasks'] += 1
                per[h]['total_s'] += e - s
                cost.setdefault(name, []).append(e - s)
                if MODULE_RE.search(name):
                    per[h]['module_s'] += e - s
                elif WAIT_RE.search(name):
                    per[h]['wait_s'] += e - s
    return per, cost


def playbook_env(tag, rep_dir=os.path.join(STATE, 'bench-rollout-reports')):
    os.makedirs(rep_dir, exist_ok=True)
    return rep_dir, dict(ENV, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
                         ANSIBLE_CALLBACKS_ENABLED='ansible.posix.json,cni.ovs.rollout_report', CNI_OVS_REPORT_DIR=rep_dir,
                         CNI_OVS_REPORT_NAME=tag)


def local_mode(counts, forks):
    """Orchestration only, at N nodes without node hosts.

    N inventory hosts reached through the local connection all drive ONE private Open vSwitch
    (ovsdb-server + ovs-vswitchd, userspace datapath, tests/lib/ovs.sh, state under /tmp), each
    with its own save directory; serial 1, so each node's turn is a real hot restart of that
    vswitchd. No traffic probe (no node, no pods: the data plane is measured in the node-host
    mode). What grows with N is Ansible's side: the preflight play over all N hosts, the per-batch
    play start, the report callback.
    """
    base = '/tmp/cni-ovs-bench-rollout-local'
    helper = os.path.join(ROOT, 'tests', 'lib', 'ovs.sh')
    env_prefix = ['env', 'OVS_RUNDIR=%s/run' % base, 'OVS_DBDIR=%s/db' % base, 'OVS_LOGDIR=%s/log' % base,
                  'OVS_SYSCONFDIR=%s/etc' % base]
    rows = []
    try:
        run(['rm', '-rf', base])
        run([helper, base, 'start'])
        run([helper, base, 'rich-table'])
        for n in counts:
            names = ['bench-node-%03d' % i for i in range(1, n + 1)]
            inv = {'all': {'children': {'bench_local': {'hosts': dict((h, {}) for h in names), 'vars': {
                'ansible_connection': 'local', 'ansible_python_interpreter': os.path.join(VENV, 'python'),
                'ovs_hot_upgrade_db': 'unix:%s/run/db.sock' % base, 'ovs_hot_upgrade_rundir': '%s/run' % base,
                'ovs_hot_upgrade_log_file': '%s/log/ovs-vswitchd.log' % base,
                'ovs_hot_upgrade_save_dir': base + '/save/{{ inventory_hostname }}',
                'ovs_hot_upgrade_restart_command': env_prefix + ['/usr/share/openvswitch/scripts/ovs-ctl', '--no-ovsdb-server',
                                                                 '--no-monitor', '--no-mlockall', 'start'],
                'ovs_hot_upgrade_stop_command': []}}}}}
            inv_path = os.path.join(base, 'inventory-%d.json' % n)
            with open(inv_path, 'w', encoding='utf-8') as f:
                json.dump(inv, f)
            _rep_dir, env = playbook_env('bench_rollout_local_%d' % n, os.path.join(base, 'reports'))
            t0 = time.time()
            res = run([os.path.join(VENV, 'ansible-playbook'), '-i', inv_path, '--forks', str(forks),
                       os.path.join(ROOT, 'playbooks', 'ovs_hot_upgrade.yml'),
                       '-e', json.dumps({'ovs_hot_upgrade_hosts': 'bench_local', 'ovs_hot_upgrade_packages': [],
                                         'ovs_hot_upgrade_force_restart': True})],
                      check=False, timeout=7200, env=env, cwd=ROOT)
            wall = time.time() - t0
            if res.returncode != 0:
                sys.exit('bench/rollout: the %d-node local rollout failed (rc=%d): %s %s'
                         % (n, res.returncode, res.stdout[-3000:], res.stderr[-2000:]))
            data, _end = json.JSONDecoder().raw_decode(res.stdout[res.stdout.index('{'):])
            pre = sum(parse_time(t['task']['duration']['end']) - parse_time(t['task']['duration']['start'])
                      for t in data['plays'][0]['tasks'] if (t['task'].get('duration') or {}).get('end'))
            per, _cost = turn_costs(data, names)
            over = [per[h]['total_s'] - per[h]['wait_s'] - per[h]['module_s'] for h in names]
            row = {'nodes': n, 'wall_s': round(wall, 1), 'wall_per_node_s': round(wall / n, 2),
                   'preflight_play_s': round(pre, 1), 'preflight_play_per_node_s': round(pre / n, 2),
                   'turn_mean_s': round(statistics.mean(per[h]['total_s'] for h in names), 2),
                   'module_mean_s': round(statistics.mean(per[h]['module_s'] for h in names), 2),
                   'overhead_mean_s': round(statistics.mean(over), 2), 'overhead_max_s': round(max(over), 2),
                   'tasks_per_turn': per[names[0]]['tasks']}
            rows.append(row)
            print('  %4d nodes: wall %.0f s (%.2f s/node); preflight play %.1f s (%.2f s/node); turn %.2f s, '
                  'module %.2f s, overhead mean %.2f s max %.2f s, %d tasks/turn' % (
                      n, wall, row['wall_per_node_s'], pre, row['preflight_play_per_node_s'], row['turn_mean_s'],
                      row['module_mean_s'], row['overhead_mean_s'], row['overhead_max_s'], row['tasks_per_turn']), flush=True)
    finally:
        run([helper, base, 'stop'], check=False)
    print('\n%6s %8s %10s %12s %14s %10s %10s' % ('nodes', 'wall s', 's/node', 'preflight s', 'preflight/node', 'overhead', 'max'))
    for r in rows:
        print('%6d %8.1f %10.2f %12.1f %14.2f %10.2f %10.2f' % (
            r['nodes'], r['wall_s'], r['wall_per_node_s'], r['preflight_play_s'], r['preflight_play_per_node_s'],
            r['overhead_mean_s'], r['overhead_max_s']))
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print('overhead per node grows %.2f -> %.2f s from %d to %d nodes (x%.2f for x%.0f nodes)' % (
            a['overhead_mean_s'], b['overhead_mean_s'], a['nodes'], b['nodes'],
            b['overhead_mean_s'] / a['overhead_mean_s'] if a['overhead_mean_s'] else 0, b['nodes'] / a['nodes']))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--json', help='write the raw results here')
    ap.add_argument('--connection', choices=['ssh', 'podman'], default='ssh',
                    help='how the playbook reaches the nodes: ssh as a normal user with become (real nodes), '
                         'or the lab plumbing\'s podman exec as root')
    ap.add_argument('--mode', choices=['host', 'daemonset'], default='host',
                    help='host: OVS as systemd services of the node hosts (the default lab); daemonset: OVS in the ovs-ovn '
                         'DaemonSet\'s real pods (LAB_KUBELET=real lab), the floor being a bare pod replacement')
    ap.add_argument('--profile', type=int, default=15, help='print this many of the costliest tasks of a node turn')
    ap.add_argument('--floor-runs', type=int, default=3, help='floor measurements per node (median)')
    ap.add_argument('--local-nodes', type=int, nargs='*', metavar='N',
                    help='orchestration only: N hosts without node hosts sharing one private Open vSwitch over the '
                         'local connection (e.g. --local-nodes 3 30 100); no lab needed')
    ap.add_argument('--forks', type=int, default=20, help='forks for --local-nodes (the preflight play runs on all hosts)')
    a = ap.parse_args()
    if a.local_nodes:
        print('bench/rollout: orchestration only, %s nodes without node hosts (one private Open vSwitch, local connection)'
              % ', '.join(map(str, a.local_nodes)), flush=True)
        rows = local_mode(a.local_nodes, a.forks)
        if a.json:
            with open(a.json, 'w', encoding='utf-8') as f:
                json.dump({'local_nodes': rows}, f, indent=1)
        return 0
    if not os.path.exists(INVENTORY):
        sys.exit('bench/rollout: no lab (make lab-up)')
    hosts = nodes()
    if not hosts:
        sys.exit('bench/rollout: the lab has no node hosts')
    print('bench/rollout: %d node hosts: %s; mode %s; probe %d pps' % (len(hosts), ' '.join(hosts), a.mode, PPS), flush=True)

    floors = {}
    extra = {}
    if a.mode == 'daemonset':
        if lab_kubelet() != 'real':
            sys.exit('bench/rollout: --mode daemonset needs the lab with real kubelets and OVS in the ovs-ovn pods: '
                     'make lab-down; LAB_KUBELET=real CNI=kube-ovn bash lab/lab.sh up')
        core, apps = k8s_api()
        for n in hosts:
            bare = [floor_pod(core, n) for _run in range(a.floor_runs)]
            floors[n] = {'bare_ms': statistics.median(bare), 'systemd_ms': None, 'bare_runs': bare, 'systemd_runs': []}
            print('  floor %s: bare pod replacement %s ms' % (n, bare), flush=True)
        ds = apps.read_namespaced_daemon_set(DS_NAME, DS_NAMESPACE)
        cur = ds.spec.template.spec.containers[0].image
        target = DS_IMAGES[1] if cur == DS_IMAGES[0] else DS_IMAGES[0]
        print('DaemonSet %s/%s: image %s -> %s' % (DS_NAMESPACE, DS_NAME, cur, target), flush=True)
        extra = {'ovs_hot_upgrade_mode': 'daemonset', 'ovs_hot_upgrade_daemonset_image': target,
                 'ovs_hot_upgrade_max_lost_packets': 5000}
    else:
        for n in hosts:
            bare = [floor(n, FLOOR_BARE, True) for _run in range(a.floor_runs)]
            sd = [floor(n, FLOOR_SD, False) for _run in range(a.floor_runs)]
            floors[n] = {'bare_ms': statistics.median(bare), 'systemd_ms': statistics.median(sd), 'bare_runs': bare, 'systemd_runs': sd}
            print('  floor %s: bare %s ms, through systemd %s ms' % (n, bare, sd), flush=True)

    bg = {n: Probe(n, BG_PORT, 'bg') for n in hosts}
    rep_dir, env = playbook_env('bench_rollout')
    t_run = time.time()
    inventory = SSH_INVENTORY if a.connection == 'ssh' else INVENTORY
    print('rollout over %s (%s)' % (a.connection, os.path.relpath(inventory, ROOT)), flush=True)
    res = run([os.path.join(VENV, 'ansible-playbook'), '-i', inventory, os.path.join(ROOT, 'playbooks', 'ovs_hot_upgrade.yml'),
               '-e', json.dumps(dict({'ovs_hot_upgrade_hosts': ':'.join(hosts), 'ovs_hot_upgrade_packages': [],
                                      'ovs_hot_upgrade_force_restart': True, 'ovs_hot_upgrade_probe_settle_seconds': SETTLE_S,
                                      'ovs_hot_upgrade_probe_command': ['cni-ovs-lab-probe', '--pps', str(PPS)]}, **extra))],
              check=False, timeout=3600, env=env, cwd=ROOT)
    wall = time.time() - t_run
    bgr = {n: (p.t0, p.stop()) for n, p in bg.items()}
    if res.returncode != 0:
        sys.exit('bench/rollout: the rollout failed (rc=%d): %s %s' % (res.returncode, res.stdout[-3000:], res.stderr[-2000:]))
    # the JSON callback's document, then the rollout_report callback's summary lines
    data, _end = json.JSONDecoder().raw_decode(res.stdout[res.stdout.index('{'):])
    print('\n'.join(line for line in res.stdout.splitlines() if re.match(r'(ROLLOUT REPORT|NODE |\d+/\d+ )', line)))
    # this run's report: the newest JSON file of this report name
    mine = [os.path.join(rep_dir, f) for f in os.listdir(rep_dir) if f.startswith('bench_rollout-') and f.endswith('.json')]
    with open(max(mine, key=os.path.getmtime), encoding='utf-8') as f:
        report = json.load(f)

    # per-task durations per host (play 2 = the node's turn)
    per, cost = turn_costs(data, hosts)
    rows = []
    for n in hosts:
        rn = [x for x in report['nodes'] if x['name'] == n][0]
        gap = rn['data_plane'].get('gap_ms_max')
        up = [p for p in rn['phases'] if p['name'] in ('upgrade', 'verify')]
        w0 = min(parse_time(p['start']) for p in up) - 1.0
        w1 = max(parse_time(p['end']) for p in up) + 1.0
        t0, r = bgr[n]
        other = 0
        for first, last in r['lost_ranges']:
            for seq in range(first, last + 1):
                t = t0 + seq / PPS
                if not w0 <= t <= w1:
                    other += 1
        turn = per[n]['total_s']
        overhead = turn - per[n]['wait_s'] - per[n]['module_s'] - SETTLE_S
        rows.append({'node': n, 'gap_ms': gap, 'floor_ms': floors[n]['bare_ms'], 'floor_systemd_ms': floors[n]['systemd_ms'],
                     'ratio': round(gap / floors[n]['bare_ms'], 2) if gap and floors[n]['bare_ms'] else None,
                     'lost_while_others_upgraded': other, 'bg_lost_total': r['lost'],
                     'turn_s': round(turn, 1), 'waits_s': round(per[n]['wait_s'] + SETTLE_S, 1),
                     'module_s': round(per[n]['module_s'], 1), 'overhead_s': round(overhead, 1), 'tasks': per[n]['tasks']})
    print()
    print('%-11s %8s %9s %11s %6s %12s %7s %7s %7s %9s %6s' % ('node', 'gap ms', 'floor ms', 'floor(sd)', 'ratio',
                                                               'lost(others)', 'turn s', 'waits s', 'module', 'overhead', 'tasks'))
    for x in rows:
        print('%-11s %8s %9s %11s %6s %12s %7s %7s %7s %9s %6s' % (
            x['node'], x['gap_ms'], x['floor_ms'], x['floor_systemd_ms'] or '-', x['ratio'], x['lost_while_others_upgraded'],
            x['turn_s'], x['waits_s'], x['module_s'], x['overhead_s'], x['tasks']))
    print('\nthe %d costliest tasks of a node turn (seconds summed over the %d nodes, runs):' % (a.profile, len(hosts)))
    for name, ds in sorted(cost.items(), key=lambda kv: -sum(kv[1]))[:a.profile]:
        print('  %6.1f s %3dx  %s' % (sum(ds), len(ds), name[:110]))
    print('rollout wall time %.1f s for %d nodes (%.1f s per node, incl. the preflight play)' % (wall, len(hosts), wall / len(hosts)))
    if a.json:
        with open(a.json, 'w', encoding='utf-8') as f:
            json.dump({'mode': a.mode, 'floors': floors, 'rows': rows, 'wall_s': wall, 'task_cost_s': cost}, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
