# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private real OVS daemons (ovsdb-server + ovs-vswitchd, userspace datapath) for the
flow_restore_wait fault and hostile tests.

The daemons run in their own network namespace (only one netdev vswitchd per netns can own
ovs-netdev) with all state under a private base dir, through the integration target's
tests/lib/ovs.sh. The module talks to them over unix sockets, so it runs in the test process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OVS_SH = os.path.join(ROOT, 'tests', 'lib', 'ovs.sh')
CTL = '/usr/share/openvswitch/scripts/ovs-ctl'
OF = 'OpenFlow15'


def available():
    return os.geteuid() == 0 and all(shutil.which(t) for t in ('ovs-vsctl', 'ovs-ofctl', 'ovsdb-server', 'ovs-vswitchd', 'ip')) \
        and os.path.exists(CTL)


def table_a():
    """Bridge A: groups (select chains to all), a meter used by flows, TLV map, ~300 flows in 3 tables."""
    groups = ['group_id=2,type=all,bucket=output:1,bucket=output:7',
              'group_id=1,type=select,selection_method=hash,fields(ip_src),bucket=bucket_id:0,weight:50,actions=group:2,'
              'bucket=bucket_id:1,weight:50,actions=output:7',
              'group_id=3,type=indirect,bucket=actions=group:1']
    meters = ['meter=1 kbps burst stats bands=type=drop rate=1000 burst_size=100']
    flows = ['table=0,priority=1000,tun_metadata0=0x1234,actions=meter:1,goto_table:1',
             'cookie=0xabc,table=0,priority=800,in_port=7,actions=meter:1,group:1',
             'table=1,priority=90,ip,actions=group:3',
             'table=2,priority=0,actions=drop']
    for i in range(300):
        t = i % 3
        flows.append('cookie=0x%x,table=%d,priority=%d,ip,nw_dst=10.%d.%d.%d,actions=mod_dl_dst:02:00:00:00:%02x:%02x,output:%d'
                     % (i + 1, t, 100 + i % 50, t, i // 250, i % 250 + 1, i // 250, i % 250, 1 if i % 2 else 7))
    return {'tlv': '{class=0xffff,type=0x80,len=4}->tun_metadata0', 'groups': groups, 'meters': meters, 'flows': flows}


def table_b():
    return {'tlv': '', 'groups': ['group_id=5,type=all,bucket=output:1'], 'meters': [],
            'flows': ['table=0,priority=%d,udp,tp_dst=%d,actions=group:5' % (10 + i % 5, 1000 + i) for i in range(60)]}


class PrivateOvs:
    """ovsdb-server and ovs-vswitchd with state under ``base``, vswitchd in netns ``ns``."""

    bridges = ('frwf-a', 'frwf-b')

    def __init__(self, base, ns):
        self.base = base
        self.ns = ns
        self.run = os.path.join(base, 'run')
        self.env = dict(os.environ, OVS_RUNDIR=self.run, OVS_DBDIR=os.path.join(base, 'db'), OVS_LOGDIR=os.path.join(base, 'log'),
                        OVS_SYSCONFDIR=os.path.join(base, 'etc'), LANG='C', LC_ALL='C')
        self.envargs = ['env'] + ['%s=%s' % (k, self.env[k]) for k in ('OVS_RUNDIR', 'OVS_DBDIR', 'OVS_LOGDIR', 'OVS_SYSCONFDIR')]

    # ---------------------------------------------------------------- commands

    def sh(self, argv, check=True, netns=False, timeout=60):
        if netns:
            argv = ['ip', 'netns', 'exec', self.ns] + argv
        proc = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError('%s failed rc=%d: %s %s' % (argv, proc.returncode, proc.stdout, proc.stderr))
        return proc.stdout

    def helper(self, *args, **kwargs):
        return self.sh(['sh', OVS_SH, self.base] + list(args), **kwargs)

    def vsctl(self, *args):
        return self.sh(['ovs-vsctl', '--db=unix:%s/db.sock' % self.run, '--timeout=10'] + list(args))

    def ofctl(self, bridge, *args, **kwargs):
        cmd, rest = args[0], list(args[1:])
        return self.sh(['ovs-ofctl', '-O', OF, '--timeout=10', cmd, 'unix:%s/%s.mgmt' % (self.run, bridge)] + rest, **kwargs)

    @property
    def restart_command(self):
        """What an operator gives as restart_command: ovs-ctl (no ovsdb-server), here inside the netns."""
        return ['ip', 'netns', 'exec', self.ns] + self.envargs + [CTL, '--no-ovsdb-server', '--no-monitor', '--no-mlockall', 'start']

    def params(self, save_dir, **extra):
        params = {'db': 'unix:%s/db.sock' % self.run, 'rundir': self.run, 'log_file': os.path.join(self.base, 'log', 'ovs-vswitchd.log'),
                  'save_dir': save_dir, 'restart_command': self.restart_command, 'stop_timeout': 10, 'start_timeout': 5,
                  'command_timeout': 10}
        params.update(extra)
        return params

    # ----------------------------------------------------------------- daemons

    def start(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
        os.makedirs(self.base, 0o700)
        subprocess.run(['ip', 'netns', 'add', self.ns], check=True, capture_output=True)
        self.sh(['ip', 'link', 'set', 'lo', 'up'], netns=True)
        self.helper('start', netns=True)
        self.vsctl('--', 'add-br', 'frwf-a', '--', 'set', 'bridge', 'frwf-a', 'datapath_type=netdev', 'fail_mode=secure',
                   'protocols=OpenFlow13,OpenFlow15',
                   '--', 'add-port', 'frwf-a', 'frwf-a1', '--', 'set', 'interface', 'frwf-a1', 'type=internal', 'ofport_request=1',
                   '--', 'add-port', 'frwf-a', 'frwf-a7', '--', 'set', 'interface', 'frwf-a7', 'type=internal', 'ofport_request=7',
                   '--', 'add-br', 'frwf-b', '--', 'set', 'bridge', 'frwf-b', 'datapath_type=netdev', 'fail_mode=secure',
                   '--', 'add-port', 'frwf-b', 'frwf-b1', '--', 'set', 'interface', 'frwf-b1', 'type=internal', 'ofport_request=1')
        self.load()

    def load(self):
        for bridge, table in (('frwf-a', table_a()), ('frwf-b', table_b())):
            if table['tlv']:
                self.ofctl(bridge, 'add-tlv-map', table['tlv'])
            for meter in table['meters']:
                self.ofctl(bridge, 'add-meter', meter)
            for group in table['groups']:
                self.ofctl(bridge, 'add-group', group)
            path = os.path.join(self.base, '%s.flows' % bridge)
            with open(path, 'w') as f:
                f.write('\n'.join(table['flows']) + '\n')
            self.ofctl(bridge, 'add-flows', path)

    def stop(self):
        if os.path.isdir(self.run):
            for daemon in ('ovs-vswitchd', 'ovsdb-server'):
                pid = self.pid(daemon)
                if pid:
                    subprocess.run(['ovs-appctl', '-t', '%s/%s.%d.ctl' % (self.run, daemon, pid), '--timeout=5', 'exit']
                                   + (['--cleanup'] if daemon == 'ovs-vswitchd' else []), capture_output=True, check=False)
                    if self.alive(pid):
                        self.kill(daemon)
        subprocess.run(['ip', 'netns', 'del', self.ns], capture_output=True, check=False)

    def pid(self, daemon='ovs-vswitchd'):
        try:
            with open(os.path.join(self.run, '%s.pid' % daemon)) as f:
                return int(f.read().strip() or 0) or None
        except (OSError, ValueError):
            return None

    @staticmethod
    def alive(pid):
        """A process that exists and is not a zombie."""
        try:
            with open('/proc/%d/stat' % pid) as f:
                return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
        except (OSError, IndexError):
            return False

    def running_vswitchd(self):
        pid = self.pid()
        return pid if pid and self.alive(pid) else None

    def kill(self, daemon):
        """SIGKILL the daemon; returns its pid (None when none runs). Waits until it is dead."""
        pid = self.pid(daemon)
        if not pid or not self.alive(pid):
            return None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self.alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not self.alive(pid), '%s pid %d survived SIGKILL' % (daemon, pid)
        return pid

    def restart_db(self):
        """Start ovsdb-server again after it was killed (what an operator or systemd does)."""
        pid = self.pid('ovsdb-server')
        if pid and self.alive(pid):
            return
        for name in ('ovsdb-server.pid', 'ovsdb-server.%s.ctl' % pid, 'db.sock'):
            try:
                os.unlink(os.path.join(self.run, name))
            except OSError:
                pass
        self.sh(self.envargs + [CTL, '--no-ovs-vswitchd', '--no-monitor', '--no-mlockall', 'start'], netns=True)

    # ------------------------------------------------------------------- state

    def flag(self):
        return self.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'other_config:flow-restore-wait').strip()

    def canon(self):
        """Independent canonical dump (ovs.sh canon): flows, groups, meters, TLV map of every bridge."""
        return self.helper('canon')

    def ofports(self):
        return self.helper('ofports')
