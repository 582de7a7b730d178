# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis strategies for the filter property tests (uplink configurations, networks, Pods, MachineConfigPools)."""

from __future__ import annotations

import ipaddress

from hypothesis import settings
from hypothesis import strategies as st

# Deterministic in CI: derandomized, no example database on disk.
FAST = settings(derandomize=True, database=None, deadline=None, max_examples=60)
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=150)

_BAD4 = [ipaddress.ip_network(n) for n in ('0.0.0.0/8', '127.0.0.0/8', '224.0.0.0/3')]

ifnames = st.builds(lambda a, b: a + b, st.sampled_from('aeZ9_'), st.text(alphabet='abxyzAB019_.@-', max_size=14))


def _usable(ip):
    return not any(ip in n for n in _BAD4)


@st.composite
def host_ifaces(draw):
    """An IPv4 interface address (ip/prefix) that is a host of its network."""
    prefix = draw(st.integers(min_value=8, max_value=32))
    ip = draw(st.ip_addresses(v=4).filter(_usable))
    net = ipaddress.ip_network('%s/%d' % (ip, prefix), strict=False)
    if prefix <= 30 and ip in (net.network_address, net.broadcast_address):
        ip = net.network_address + 1
    return ipaddress.ip_interface('%s/%d' % (ip, prefix))


def _edge(ip, ifaces):
    return any(i.network.prefixlen <= 30 and ip in (i.network.network_address, i.network.broadcast_address) for i in ifaces)


def _host_in(draw, ifc, ifaces):
    """A host of ifc's network that is none of the addresses of ifaces (nor the network/broadcast address of one of
    their networks), or None when there is none."""
    own = set(i.ip for i in ifaces)
    net = ifc.network
    first, last = int(net.network_address), int(net.broadcast_address)
    if net.prefixlen <= 30:
        first, last = first + 1, last - 1
    for _attempt in range(5):
        ip = ipaddress.IPv4Address(draw(st.integers(min_value=first, max_value=last)))
        if ip not in own and _usable(ip) and not _edge(ip, ifaces):
            return ip
    return None


@st.composite
def uplink_configs(draw):
    """A valid uplink configuration, as a user would write it (CIDRs may carry host bits in route destinations)."""
    ifaces, seen = [], set()
    for ifc in draw(st.lists(host_ifaces(), min_size=1, max_size=4)):
        if ifc.ip not in seen:
            seen.add(ifc.ip)
            ifaces.append(ifc)
    gateway = None
    if draw(st.booleans()):
        gateway = _host_in(draw, draw(st.sampled_from(ifaces)), ifaces)
    routes, dsts = [], set()
    for _route in range(draw(st.integers(min_value=0, max_value=4))):
        # /0 is the default route, given as gateway (a /0 route is refused: test_uplink_default_route_as_route_is_refused)
        dst = ipaddress.ip_interface('%s/%d' % (draw(st.ip_addresses(v=4)), draw(st.integers(min_value=1, max_value=32))))
        if dst.network in dsts:
            continue
        dsts.add(dst.network)
        via = _host_in(draw, draw(st.sampled_from(ifaces)), ifaces) if draw(st.booleans()) else None
        routes.append({'dst': str(dst), 'via': str(via) if via else None})
    mac = None
    if draw(st.booleans()):
        octets = draw(st.lists(st.integers(min_value=0, max_value=255), min_size=6, max_size=6))
        octets[0] &= 0xfe
        octets[5] |= 1  # never all zero
        mac = ':'.join('%02x' % o for o in octets)
        if draw(st.booleans()):
            mac = mac.upper()
    return {'interface': draw(ifnames), 'addresses': [str(i) for i in ifaces], 'gateway': str(gateway) if gateway else None,
            'routes': routes, 'mtu': draw(st.none() | st.integers(min_value=68, max_value=65535)), 'hwaddr': mac}


def ip_json(cfg):
    """What `ip -j addr show dev IF` and `ip -j -4 route show dev IF` print for cfg (plus a link-local IPv6 and the
    kernel's connected routes, which are not persisted)."""
    infos = [{'family': 'inet', 'local': a.split('/')[0], 'prefixlen': int(a.split('/')[1]), 'scope': 'global',
              'label': cfg['interface']} for a in cfg['addresses']]
    infos.append({'family': 'inet6', 'local': 'fe80::1', 'prefixlen': 64, 'scope': 'link'})
    link = {'ifname': cfg['interface'], 'mtu': cfg['mtu'], 'address': cfg['hwaddr'], 'addr_info': infos}
    routes = []
    if cfg['gateway']:
        routes.append({'dst': 'default', 'gateway': cfg['gateway'], 'flags': []})
    for a in cfg['addresses']:
        net = ipaddress.ip_interface(a).network
        routes.append({'dst': str(net) if net.prefixlen < 32 else str(net.network_address), 'protocol': 'kernel',
                       'scope': 'link', 'prefsrc': a.split('/')[0], 'flags': []})
    for r in cfg['routes']:
        net = ipaddress.ip_network(r['dst'], strict=False)
        entry = {'dst': str(net) if net.prefixlen < 32 else str(net.network_address), 'flags': []}
        if r['via']:
            entry['gateway'] = r['via']
        else:
            entry.update(protocol='static', scope='link')
        routes.append(entry)
    return [{'ifname': 'lo', 'addr_info': []}, link], routes


@st.composite
def networks(draw, family=None):
    """A network entry as the roles pass it: a CIDR string (host bits allowed), a plain address or a {cidr} dict.
    Returns (entry, ipaddress network it means)."""
    v = family or draw(st.sampled_from([4, 6]))
    ip = draw(st.ip_addresses(v=v))
    plain = draw(st.integers(min_value=0, max_value=5)) == 0
    prefix = ip.max_prefixlen if plain else draw(st.integers(min_value=0, max_value=ip.max_prefixlen))
    text = str(ip) if plain else '%s/%d' % (ip, prefix)
    net = ipaddress.ip_network('%s/%d' % (ip, prefix), strict=False)
    shape = draw(st.sampled_from(['str', 'str', 'dict', 'spaced']))
    entry = {'cidr': text, 'hostPrefix': 23} if shape == 'dict' else ' %s ' % text if shape == 'spaced' else text
    return entry, net


# Near addresses so overlaps happen often: a few /8 or /16 neighbourhoods and their subnets.
@st.composite
def clustered_networks(draw):
    base = draw(st.sampled_from(['100.64.0.0', '100.88.0.0', '10.0.0.0', 'fd98::', 'fd97::', '::']))
    base = ipaddress.ip_address(base)
    span = 24 if base.version == 4 else 72
    ip = base + draw(st.integers(min_value=0, max_value=2 ** span - 1))
    prefix = draw(st.integers(min_value=max(0, base.max_prefixlen - span - 4), max_value=base.max_prefixlen))
    net = ipaddress.ip_network('%s/%d' % (ip, prefix), strict=False)
    return ('%s/%d' % (ip, prefix)), net


names = st.builds(lambda a, b: a + b, st.sampled_from('abcnw'), st.text(alphabet='abcdexyz019-', max_size=12))
ERRORS = ['CrashLoopBackOff', 'Error', 'ImagePullBackOff', 'OOMKilled', 'StartError']
WAITING = ERRORS + ['ContainerCreating', 'PodInitializing']


@st.composite
def container_statuses(draw):
    state = draw(st.sampled_from(['running', 'waiting', 'terminated', 'none']))
    cs = {'name': draw(names)}
    if state == 'running':
        cs['state'] = {'running': {'startedAt': '2026-12-02T00:00:00Z'}}
    elif state == 'waiting':
        cs['state'] = {'waiting': {'reason': draw(st.sampled_from(WAITING))}}
    elif state == 'terminated':
        code = draw(st.sampled_from([0, 0, 0, 1, 2, 137]) | st.integers(min_value=-5, max_value=255))
        term = {'exitCode': str(code) if draw(st.booleans()) else code}
        if draw(st.booleans()):
            term['reason'] = draw(st.sampled_from(['Completed', 'Error', 'OOMKilled']))
        cs['state'] = {'terminated': term}
    return cs


@st.composite
def pods(draw):
    pod = {'metadata': {'name': draw(names), 'namespace': draw(names)},
           'spec': {'nodeName': draw(st.sampled_from(['node-1', 'node-2', 'node-3']))},
           'status': {'phase': draw(st.sampled_from(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']))}}
    if draw(st.booleans()):
        pod['metadata']['deletionTimestamp'] = '2026-12-02T00:00:00Z'
    if draw(st.booleans()):
        pod['status']['reason'] = draw(st.sampled_from(['Evicted', 'NodeLost']))
    for key in ('initContainerStatuses', 'containerStatuses'):
        if draw(st.booleans()):
            pod['status'][key] = draw(st.lists(container_statuses(), max_size=3))
    return pod


MCD = 'machineconfiguration.openshift.io/'
CONFIGS = ['rendered-master-1', 'rendered-master-2', 'rendered-worker-1', 'rendered-worker-2']


@st.composite
def pools(draw, name):
    machines = draw(st.integers(min_value=0, max_value=5))
    pool = {'metadata': {'name': name},
            'spec': {'configuration': {'name': draw(st.sampled_from(CONFIGS))}, 'paused': draw(st.booleans())},
            'status': {'configuration': {'name': draw(st.sampled_from(CONFIGS))}, 'machineCount': machines,
                       'updatedMachineCount': draw(st.integers(min_value=0, max_value=machines)),
                       'degradedMachineCount': draw(st.integers(min_value=0, max_value=1))}}
    if draw(st.booleans()):
        pool['status']['conditions'] = [{'type': 'Degraded', 'status': draw(st.sampled_from(['True', 'False']))}]
    return pool


@st.composite
def mco_nodes(draw, name):
    ann = {}
    for key in ('currentConfig', 'desiredConfig', 'state'):
        if draw(st.integers(min_value=0, max_value=5)):
            ann[MCD + key] = draw(st.sampled_from(['Done', 'Working', 'Degraded'] if key == 'state' else CONFIGS))
    return {'metadata': {'name': name, 'annotations': ann}}


# Anything JSON/YAML can carry: what a filter may receive from a template.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)
