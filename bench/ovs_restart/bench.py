# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: traffic gap of ovs-vswitchd restarts, measured side by side in one run.

Topology: two network namespaces, each with a veth into one fail-mode=secure bridge
(userspace datapath) of a private OVS; a UDP probe sends PPS packets per second from
ns1 to ns2 with sequence numbers. Methods, alternated run by run:
  a  cni.ovs.flow_restore_wait state=restarted (through ansible-playbook)
  b  ovs-ctl --no-ovsdb-server restart (the usual tool; ovs-save + flow-restore-wait)
  c  bare: SIGTERM, start ovs-vswitchd, ovs-ofctl add-flows (no flag; minimum work)
Then the restore time of the module for 10k and 100k flows.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BASE = '/tmp/cni-ovs-bench-ovs_restart'
RUN, DBD, LOG, ETC, SAVE = (os.path.join(BASE, d) for d in ('run', 'db', 'log', 'etc', 'save'))
ENV = dict(os.environ, OVS_RUNDIR=RUN, OVS_DBDIR=DBD, OVS_LOGDIR=LOG, OVS_SYSCONFDIR=ETC, LANG='C', LC_ALL='C')
OVS_CTL = '/usr/share/openvswitch/scripts/ovs-ctl'
BR = 'frwb-br'
NS1, NS2 = 'frwb-ns1', 'frwb-ns2'
IP1, IP2 = '198.18.50.1', '198.18.50.2'
PORT = 5001
PY = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
VSWITCHD_ARGV = ['env', 'OVS_RUNDIR=%s' % RUN, 'ovs-vswitchd', 'unix:%s/db.sock' % RUN, '-vconsole:emer', '-vsyslog:err',
                 '-vfile:info', '--no-chdir', '--pidfile=%s/ovs-vswitchd.pid' % RUN, '--detach',
                 '--log-file=%s/ovs-vswitchd.log' % LOG]


def sh(argv, check=True, **kw):
    res = subprocess.run(argv, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False, **kw)
    if check and res.returncode != 0:
        raise RuntimeError('%s failed (rc=%d): %s %s' % (' '.join(argv), res.returncode, res.stdout[-2000:], res.stderr[-2000:]))
    return res.stdout


def vsctl(*args):
    return sh(['ovs-vsctl', '--db=unix:%s/db.sock' % RUN, '--timeout=30'] + list(args))


def ofctl(*args, **kw):
    cmd, rest = args[0], args[1:]
    return sh(['ovs-ofctl', '-O', 'OpenFlow15', '--timeout=60', cmd, 'unix:%s/%s.mgmt' % (RUN, BR)] + list(rest), **kw)


def vswitchd_pid():
    try:
        with open(os.path.join(RUN, 'ovs-vswitchd.pid')) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def wait_path(path, present, timeout=30.0):
    deadline = time.monotonic() + timeout
    while os.path.exists(path) != present:
        if time.monotonic() > deadline:
            raise RuntimeError('timeout waiting for %s to %s' % (path, 'appear' if present else 'go away'))
        time.sleep(0.002)


def flow_count():
    return len([ln for ln in ofctl('dump-flows', '--no-stats').splitlines() if ln.startswith(' ')])


# ------------------------------------------------------------------- setup

def teardown():
    for daemon in ('ovs-vswitchd', 'ovsdb-server'):
        pidfile = os.path.join(RUN, '%s.pid' % daemon)
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = f.read().strip()
            # --cleanup: vswitchd removes its datapath and the tap device of the bridge
            cleanup = ['--cleanup'] if daemon == 'ovs-vswitchd' else []
            if subprocess.run(['ovs-appctl', '-t', '%s/%s.%s.ctl' % (RUN, daemon, pid), '--timeout=10', 'exit'] + cleanup,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode != 0:
                subprocess.run(['kill', '-9', pid], stderr=subprocess.DEVNULL, check=False)
    for ns in (NS1, NS2):
        subprocess.run(['ip', 'netns', 'del', ns], stderr=subprocess.DEVNULL, check=False)
    for dev in ('frwb-h1', 'frwb-h2'):
        subprocess.run(['ip', 'link', 'del', dev], stderr=subprocess.DEVNULL, check=False)
    shutil.rmtree(BASE, ignore_errors=True)


def setup(filler):
    teardown()
    for d in (RUN, DBD, LOG, ETC + '/openvswitch'):
        os.makedirs(d)
    sh([OVS_CTL, '--system-id=random', '--no-mlockall', '--no-monitor', 'start'])
    for idx, (ns, ip) in enumerate(((NS1, IP1), (NS2, IP2)), 1):
        host, peer = 'frwb-h%d' % idx, 'frwb-n%d' % idx
        sh(['ip', 'netns', 'add', ns])
        sh(['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', peer])
        sh(['ip', 'link', 'set', peer, 'netns', ns])
        sh(['ip', '-n', ns, 'link', 'set', peer, 'name', 'eth0'])
        sh(['ip', '-n', ns, 'addr', 'add', ip + '/24', 'dev', 'eth0'])
        sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'])
        sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
        sh(['ip', 'link', 'set', host, 'up'])
        # userspace datapath + veth: UDP checksums are wrong unless tx offload is off
        sh(['ip', 'netns', 'exec', ns, 'ethtool', '-K', 'eth0', 'tx', 'off'])
        sh(['ethtool', '-K', host, 'tx', 'off'])
    macs = {}
    for ns in (NS1, NS2):
        macs[ns] = re.search(r'link/ether (\S+)', sh(['ip', '-n', ns, 'link', 'show', 'eth0'])).group(1)
    sh(['ip', '-n', NS1, 'neigh', 'replace', IP2, 'lladdr', macs[NS2], 'dev', 'eth0', 'nud', 'permanent'])
    sh(['ip', '-n', NS2, 'neigh', 'replace', IP1, 'lladdr', macs[NS1], 'dev', 'eth0', 'nud', 'permanent'])
    vsctl('add-br', BR, '--', 'set', 'bridge', BR, 'datapath_type=netdev', 'fail_mode=secure',
          '--', 'add-port', BR, 'frwb-h1', '--', 'set', 'interface', 'frwb-h1', 'ofport_request=1',
          '--', 'add-port', BR, 'frwb-h2', '--', 'set', 'interface', 'frwb-h2', 'ofport_request=2')
    write_flows(filler)
    ofctl('add-flows', os.path.join(BASE, 'flows.txt'))


def write_flows(filler):
    lines = ['table=0,priority=100,in_port=1,actions=output:2', 'table=0,priority=100,in_port=2,actions=output:1']
    for i in range(filler):
        lines.append('table=1,priority=10,udp,nw_dst=10.%d.%d.%d,tp_dst=%d,actions=drop'
                     % (i // 65536 % 256, i // 256 % 256, i % 256, i // 16777216 + 1))
    with open(os.path.join(BASE, 'flows.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


# ------------------------------------------------------------------ probe

class Probe:
    def __init__(self, pps):
        self.pps = pps

    def __enter__(self):
        self.recv = subprocess.Popen(['ip', 'netns', 'exec', NS2, PY, os.path.join(HERE, 'probe.py'), 'recv', IP2, str(PORT), '120'],
                                     stdout=subprocess.PIPE, universal_newlines=True)
        self.recv.stdout.readline()  # ready
        self.send = subprocess.Popen(['ip', 'netns', 'exec', NS1, PY, os.path.join(HERE, 'probe.py'), 'send', IP2, str(PORT),
                                      str(self.pps), '120'], stdout=subprocess.PIPE, universal_newlines=True)
        return self

    def result(self):
        self.send.send_signal(signal.SIGTERM)
        sent = json.loads(self.send.communicate(timeout=30)[0])['sent']
        time.sleep(0.3)
        self.recv.send_signal(signal.SIGTERM)
        rec = json.loads(self.recv.communicate(timeout=30)[0].strip().splitlines()[-1])
        rec['sent'] = sent
        rec['lost'] = sent - rec['received']
        return rec

    def __exit__(self, *exc):
        for proc in (self.send, self.recv):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------- methods

def method_a():
    """cni.ovs.flow_restore_wait state=restarted."""
    extra = {'bench_db': 'unix:%s/db.sock' % RUN, 'bench_rundir': RUN, 'bench_log': LOG + '/ovs-vswitchd.log',
             'bench_save': SAVE, 'bench_restart_command': VSWITCHD_ARGV, 'bench_result_file': os.path.join(BASE, 'result.json'),
             'ansible_python_interpreter': os.path.join(ROOT, '.venv/bin/python')}
    env = dict(ENV, LANG='C.UTF-8', LC_ALL='C.UTF-8', ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'),
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               CNI_OVS_REPORT_DIR=os.path.join(BASE, 'reports'))
    res = subprocess.run([os.path.join(ROOT, '.venv/bin/ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                          os.path.join(HERE, 'module_restart.yml'), '-e', json.dumps(extra)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    if res.returncode != 0:
        raise RuntimeError('module restart failed:\n%s' % res.stdout[-3000:])
    with open(os.path.join(BASE, 'result.json')) as f:
        return json.load(f)['timings_ms']


def method_b():
    """ovs-ctl --no-ovsdb-server restart."""
    start = time.monotonic()
    sh([OVS_CTL, '--no-ovsdb-server', '--no-monitor', '--no-mlockall', 'restart'])
    return {'total': int((time.monotonic() - start) * 1000)}


def method_c(flows_file):
    """Bare: SIGTERM, start, re-add flows."""
    t0 = time.monotonic()
    pid = vswitchd_pid()
    os.kill(pid, signal.SIGTERM)
    wait_path(os.path.join(RUN, 'ovs-vswitchd.pid'), False)
    t_start = time.monotonic()
    sh(VSWITCHD_ARGV)
    wait_path(os.path.join(RUN, '%s.mgmt' % BR), True)
    ofctl('add-flows', flows_file)
    t1 = time.monotonic()
    return {'start_to_forwarding': int((t1 - t_start) * 1000), 'kill_to_forwarding': int((t1 - t0) * 1000)}


def bundle_floor(flows_file):
    """Time of one ``ovs-ofctl bundle`` adding the same flows to an empty bridge."""
    bundle = os.path.join(BASE, 'floor.bundle')
    with open(flows_file) as src, open(bundle, 'w') as dst:
        for line in src:
            dst.write('flow add ' + line)
    vsctl('add-br', 'frwb-t', '--', 'set', 'bridge', 'frwb-t', 'datapath_type=netdev', 'fail_mode=secure')
    try:
        wait_path(os.path.join(RUN, 'frwb-t.mgmt'), True)
        start = time.monotonic()
        sh(['ovs-ofctl', '-O', 'OpenFlow15', '--timeout=60', 'bundle', 'unix:%s/frwb-t.mgmt' % RUN, bundle])
        return int((time.monotonic() - start) * 1000)
    finally:
        vsctl('del-br', 'frwb-t')


def method_none():
    """No restart (baseline of the probe)."""
    return {}


def med(values):
    return statistics.median(values) if values else float('nan')


def summarize(args, methods, results):
    print()
    print('%-3s %-28s %10s %16s %s' % ('', 'method (median of %d runs)' % args.runs, 'lost pkts', 'longest gap ms', 'other'))
    summary = {}
    for key, name, _f in methods:
        rows = results[key]
        summary[key] = {'lost': med([r['lost'] for r in rows]), 'gap': med([r['longest_gap_ms'] for r in rows])}
        other = ''
        if key == 'a':
            other = 'module no_forwarding %s ms, restore %s ms, start %s ms' % (
                med([r['no_forwarding'] for r in rows]), med([r['restore'] for r in rows]), med([r['start'] for r in rows]))
            summary[key]['no_forwarding'] = med([r['no_forwarding'] for r in rows])
        elif key == 'b':
            other = 'ovs-ctl ran %s ms' % med([r['total'] for r in rows])
        elif key == 'c':
            summary[key]['start_to_forwarding'] = med([r['start_to_forwarding'] for r in rows])
            other = 'start-to-forwarding %s ms, kill-to-forwarding %s ms' % (
                summary[key]['start_to_forwarding'], med([r['kill_to_forwarding'] for r in rows]))
        print('%-3s %-28s %10s %16s %s' % (key, name, summary[key]['lost'], summary[key]['gap'], other))
    a, b, c = summary['a'], summary['b'], summary['c']
    print()
    print('ratio a/b longest gap  = %.3f (target <= 0.7)' % (a['gap'] / b['gap']))
    print('ratio a/b lost packets = %.3f' % (a['lost'] / b['lost'] if b['lost'] else float('nan')))
    print('a gap / c gap          = %.3f (target a <= 1.3 x c)' % (a['gap'] / c['gap']))
    print('a gap / c start-to-forwarding (clock) = %.3f' % (a['gap'] / c['start_to_forwarding']))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--pps', type=int, default=1000)
    parser.add_argument('--filler', type=int, default=1000, help='extra flows in table 1 (restored by every method)')
    parser.add_argument('--restore-sizes', default='10000,100000')
    parser.add_argument('--settle', type=float, default=1.0)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit('needs root (network namespaces, OVS)')
    flows_file = os.path.join(BASE, 'flows.txt')
    methods = [('a', 'flow_restore_wait module', method_a), ('b', 'ovs-ctl restart', method_b),
               ('c', 'bare kill+start+add-flows', lambda: method_c(flows_file)), ('0', 'no restart (baseline)', method_none)]
    results = dict((key, []) for key, _n, _f in methods)
    try:
        setup(args.filler)
        expected = flow_count()
        print('setup: bridge %s fail_mode=secure, netdev datapath, %d flows, probe %d pps %s -> %s'
              % (BR, expected, args.pps, IP1, IP2), flush=True)
        with Probe(args.pps) as probe:
            time.sleep(1.0)
            warm = probe.result()
        if warm['received'] < warm['sent'] * 0.9:
            raise RuntimeError('probe does not pass the bridge before any restart: %s' % warm)
        for run in range(args.runs):
            order = methods[run % 3:3] + methods[:run % 3] + [methods[3]]
            for key, _name, func in order:
                with Probe(args.pps) as probe:
                    time.sleep(args.settle)
                    info = func()
                    time.sleep(args.settle)
                    res = probe.result()
                res.update(info)
                res['flows_after'] = flow_count()
                results[key].append(res)
                print('run %d method %s: lost %4d of %5d, longest gap %7.1f ms, flows after %d %s'
                      % (run + 1, key, res['lost'], res['sent'], res['longest_gap_ms'], res['flows_after'],
                         json.dumps(info, sort_keys=True)), flush=True)
                if res['flows_after'] != expected:
                    print('  WARNING: method %s left %d flows, expected %d' % (key, res['flows_after'], expected), flush=True)
        if args.runs:
            summarize(args, methods, results)
        print()

        print()
        for size in [int(s) for s in args.restore_sizes.split(',') if s]:
            write_flows(size)
            ofctl('replace-flows', flows_file)
            count = flow_count()
            info = method_a()
            after = flow_count()
            print('restore of %d flows by the module: restore %s ms, no_forwarding %s ms, save %s ms, verify %s ms, flows after %d'
                  % (count, info['restore'], info['no_forwarding'], info['save'], info['verify'], after), flush=True)
            print('  same flows, one plain "ovs-ofctl bundle" into an empty bridge (floor): %d ms' % bundle_floor(flows_file), flush=True)
    finally:
        teardown()


if __name__ == '__main__':
    main()
