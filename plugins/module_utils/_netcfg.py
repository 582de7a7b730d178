# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure helpers for persisting an uplink's IPv4 configuration (seed 004).

The NSX bootstrap container moves the node's IP addresses and routes between ``br-int`` and the
uplink (``ovs_uplink_port``); they must also be written to the distribution's network
configuration so the API server stays reachable after a reboot:

* Debian/Ubuntu ifupdown: an ``iface <if> inet static`` stanza (``/etc/network/interfaces``),
  static routes as ``up``/``down`` lines;
* RHEL-family: ``/etc/sysconfig/network-scripts/ifcfg-<if>`` plus ``route-<if>``.

Everything here takes text and data and returns data: the live configuration from
``ip -j addr show dev IF`` / ``ip -j -4 route show dev IF``, validation, rendering, and parsing
the rendered text back (used to prove a rendering round-trips before it is written).  No I/O.
"""

from __future__ import annotations

import ipaddress
import json
import re

__all__ = ['NetcfgError', 'config_from_ip_json', 'normalize_config', 'render_ifupdown', 'parse_ifupdown',
           'render_ifcfg', 'parse_ifcfg', 'render_routes', 'parse_routes', 'build']

IFNAME_RE = re.compile(r'^[A-Za-z0-9_.:@-]{1,15}$')
MAC_RE = re.compile(r'^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$')
MARK = '# cni.ovs.nsx_node_prep'


class NetcfgError(ValueError):
    """Input that cannot be persisted: names the value and what is allowed."""


def _load(value, what):
    if isinstance(value, str):
        try:
            value = json.loads(value or '[]')
        except ValueError as exc:
            raise NetcfgError('%s is not JSON (expected the output of `ip -j ...`): %s' % (what, exc))
    if not isinstance(value, list):
        raise NetcfgError('%s must be a list (the output of `ip -j ...`), got %s' % (what, type(value).__name__))
    return value


def check_ifname(name):
    if not isinstance(name, str) or not IFNAME_RE.match(name):
        raise NetcfgError('interface name %r is not valid (1-15 characters of letters, digits, _ . : @ -)' % (name,))
    return name


def config_from_ip_json(interface, addr_json, route_json):
    """Configuration of ``interface`` read from ``ip -j addr show dev IF`` and ``ip -j -4 route show dev IF``.

    Returns ``(config, skipped)``: IPv4 global addresses (first is primary), the default gateway,
    static routes (kernel-made connected routes are not persisted) and the MTU/MAC; ``skipped``
    lists what was seen and is not persisted (IPv6 addresses, link-local addresses).
    """
    check_ifname(interface)
    links = [x for x in _load(addr_json, 'ip -j addr output') if isinstance(x, dict)]
    link = next((x for x in links if x.get('ifname') == interface), None)
    if link is None:
        raise NetcfgError('interface %r not found in `ip -j addr` output (interfaces seen: %s)'
                          % (interface, ', '.join(sorted(str(x.get('ifname')) for x in links)) or 'none'))
    addresses, skipped = [], []
    for a in link.get('addr_info') or []:
        cidr = '%s/%s' % (a.get('local'), a.get('prefixlen'))
        if a.get('family') != 'inet':
            skipped.append('%s (%s; only IPv4 is persisted)' % (cidr, a.get('family')))
        elif a.get('scope') not in (None, 'global'):
            skipped.append('%s (scope %s)' % (cidr, a.get('scope')))
        else:
            addresses.append(cidr)
    gateway, routes = None, []
    for r in _load(route_json, 'ip -j route output'):
        if not isinstance(r, dict) or r.get('dev', interface) != interface:
            continue
        if r.get('protocol') == 'kernel' and not r.get('gateway'):
            continue  # connected route, made by the kernel from the address
        dst = r.get('dst')
        if dst == 'default':
            if gateway is None:
                gateway = r.get('gateway')
            continue
        if r.get('type') not in (None, 'unicast'):
            skipped.append('route %s (type %s)' % (dst, r.get('type')))
            continue
        routes.append({'dst': dst if '/' in str(dst) else '%s/32' % dst, 'via': r.get('gateway')})
    cfg = {'interface': interface, 'addresses': addresses, 'gateway': gateway, 'routes': routes,
           'mtu': link.get('mtu'), 'hwaddr': link.get('address')}
    return normalize_config(cfg), skipped


def normalize_config(cfg):
    """Validate and normalise a configuration dict (``interface``, ``addresses``, ``gateway``, ``routes``, ``mtu``, ``hwaddr``)."""
    if not isinstance(cfg, dict):
        raise NetcfgError('the uplink configuration must be a dict, got %s' % type(cfg).__name__)
    unknown = sorted(set(cfg) - {'interface', 'addresses', 'gateway', 'routes', 'mtu', 'hwaddr'})
    if unknown:
        raise NetcfgError('unknown key(s) %s in the uplink configuration (allowed: interface, addresses, gateway, '
                          'routes, mtu, hwaddr)' % ', '.join(unknown))
    interface = check_ifname(cfg.get('interface'))
    addrs = cfg.get('addresses') or []
    if isinstance(addrs, str):
        addrs = [addrs]
    if not addrs:
        raise NetcfgError('interface %s has no IPv4 address to persist (addresses is empty)' % interface)
    ifaces = []
    for a in addrs:
        try:
            ifc = ipaddress.ip_interface(str(a).strip())
        except ValueError:
            raise NetcfgError('address %r is not a valid IPv4 CIDR (for example 172.16.1.4/24)' % (a,))
        if ifc.version != 4 or '/' not in str(a):
            raise NetcfgError('address %r is not a valid IPv4 CIDR (for example 172.16.1.4/24)' % (a,))
        ifaces.append(ifc)
    gateway = cfg.get('gateway') or None
    if gateway is not None:
        try:
            gw = ipaddress.IPv4Address(str(gateway).strip())
        except ValueError:
            raise NetcfgError('gateway %r is not an IPv4 address' % (gateway,))
        if not any(gw in i.network for i in ifaces):
            raise NetcfgError('gateway %s is in none of the networks of %s (%s)'
                              % (gw, interface, ', '.join(str(i.network) for i in ifaces)))
        gateway = str(gw)
    routes = []
    for r in cfg.get('routes') or []:
        if not isinstance(r, dict) or 'dst' not in r:
            raise NetcfgError('route %r must be a dict with dst (CIDR) and optional via (gateway)' % (r,))
        try:
            net = ipaddress.IPv4Network(str(r['dst']).strip(), strict=False)
        except ValueError:
            raise NetcfgError('route destination %r is not a valid IPv4 CIDR (for example 10.0.0.0/8)' % (r['dst'],))
        via = r.get('via') or None
        if via is not None:
            try:
                via = str(ipaddress.IPv4Address(str(via).strip()))
            except ValueError:
                raise NetcfgError('route %s: gateway %r is not an IPv4 address' % (net, via))
        routes.append({'dst': str(net), 'via': via})
    mtu = cfg.get('mtu')
    if mtu in ('', None):
        mtu = None
    else:
        try:
            mtu = int(mtu)
        except (TypeError, ValueError):
            mtu = -1
        if not 68 <= mtu <= 65535:
            raise NetcfgError('mtu %r is not an integer between 68 and 65535' % (cfg.get('mtu'),))
    hwaddr = cfg.get('hwaddr') or None
    if hwaddr is not None:
        if not MAC_RE.match(str(hwaddr)):
            raise NetcfgError('hwaddr %r is not a MAC address (aa:bb:cc:dd:ee:ff)' % (hwaddr,))
        hwaddr = str(hwaddr).lower()
    return {'interface': interface, 'addresses': [str(i) for i in ifaces], 'gateway': gateway,
            'routes': routes, 'mtu': mtu, 'hwaddr': hwaddr}


def _route_cmd(r, interface):
    return '%s%s dev %s' % (r['dst'], ' via %s' % r['via'] if r['via'] else '', interface)


def render_ifupdown(cfg):
    """An ifupdown stanza for ``/etc/network/interfaces`` (routes as ``up``/``down`` lines, idempotent)."""
    cfg = normalize_config(cfg)
    i = cfg['interface']
    lines = ['auto %s' % i, 'iface %s inet static' % i, '    address %s' % cfg['addresses'][0]]
    if cfg['gateway']:
        lines.append('    gateway %s' % cfg['gateway'])
    if cfg['mtu']:
        lines.append('    mtu %d' % cfg['mtu'])
    if cfg['hwaddr']:
        lines.append('    hwaddress ether %s' % cfg['hwaddr'])
    for a in cfg['addresses'][1:]:
        lines.append('    up ip addr replace %s dev %s' % (a, i))
    if cfg['routes']:
        lines.append('    # persistent static routes')
    for r in cfg['routes']:
        lines.append('    up ip route replace %s' % _route_cmd(r, i))
        lines.append('    down ip route del %s' % _route_cmd(r, i))
    return '\n'.join(lines) + '\n'


def parse_ifupdown(text, interface):
    """Read back the ``iface <interface> inet static`` stanza of ifupdown ``text`` as a configuration dict."""
    check_ifname(interface)
    cfg = {'interface': interface, 'addresses': [], 'gateway': None, 'routes': [], 'mtu': None, 'hwaddr': None}
    inside, found = False, False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        words = line.split()
        if words[0] in ('iface', 'mapping', 'auto', 'allow-hotplug', 'source', 'source-directory') or \
                words[0].startswith('allow-'):
            inside = words[0] == 'iface' and len(words) >= 4 and words[1] == interface and words[2] == 'inet'
            if inside:
                if found:
                    raise NetcfgError('more than one "iface %s inet" stanza' % interface)
                found = True
                if words[3] != 'static':
                    raise NetcfgError('iface %s uses method %s, not static' % (interface, words[3]))
            continue
        if not inside:
            continue
        key, rest = words[0], words[1:]
        if key == 'address' and rest:
            cfg['addresses'].insert(0, rest[0])
        elif key == 'gateway' and rest:
            cfg['gateway'] = rest[0]
        elif key == 'mtu' and rest:
            cfg['mtu'] = rest[0]
        elif key == 'hwaddress' and rest:
            cfg['hwaddr'] = rest[-1]
        elif key == 'up' and rest[:3] == ['ip', 'addr', 'replace']:
            cfg['addresses'].append(rest[3])
        elif key == 'up' and rest[:3] == ['ip', 'route', 'replace']:
            cfg['routes'].append(_parse_route_words(rest[3:], interface))
    if not found:
        raise NetcfgError('no "iface %s inet static" stanza found' % interface)
    if cfg['addresses'] and '/' not in cfg['addresses'][0]:
        raise NetcfgError('iface %s: address %s has no prefix length' % (interface, cfg['addresses'][0]))
    return normalize_config(cfg)


def _parse_route_words(words, interface):
    if not words:
        raise NetcfgError('empty route')
    route = {'dst': words[0], 'via': None}
    rest = words[1:]
    while rest:
        key = rest.pop(0)
        val = rest.pop(0) if rest else None
        if key == 'via':
            route['via'] = val
        elif key == 'dev' and val != interface:
            raise NetcfgError('route %s is for device %s, not %s' % (words[0], val, interface))
    return route


def render_ifcfg(cfg):
    """RHEL ``ifcfg-<if>`` text (the keys of the seed's example that apply to a static uplink)."""
    cfg = normalize_config(cfg)
    i = cfg['interface']
    kv = [('DEVICE', i), ('NAME', i)]
    if cfg['hwaddr']:
        kv.append(('HWADDR', cfg['hwaddr'].upper()))
    kv += [('TYPE', 'Ethernet'), ('BOOTPROTO', 'none'), ('ONBOOT', 'yes')]
    for n, a in enumerate(cfg['addresses']):
        ifc = ipaddress.ip_interface(a)
        suffix = '' if n == 0 else str(n)
        kv += [('IPADDR' + suffix, str(ifc.ip)), ('PREFIX' + suffix, str(ifc.network.prefixlen))]
    if cfg['gateway']:
        kv += [('GATEWAY', cfg['gateway']), ('DEFROUTE', 'yes')]
    else:
        kv.append(('DEFROUTE', 'no'))
    if cfg['mtu']:
        kv.append(('MTU', str(cfg['mtu'])))
    kv += [('IPV4_FAILURE_FATAL', 'no'), ('IPV6INIT', 'no')]
    return '%s (seed 004: uplink %s persisted)\n' % (MARK, i) + ''.join('%s=%s\n' % p for p in kv)


def parse_ifcfg(text, interface):
    """Read back ``ifcfg-<if>`` text (and nothing else) as a configuration dict (routes empty)."""
    check_ifname(interface)
    values = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if '=' not in line:
            raise NetcfgError('ifcfg line %r is not KEY=value' % line)
        k, v = line.split('=', 1)
        values[k.strip()] = v.strip().strip('"\'')
    if values.get('DEVICE', interface) != interface:
        raise NetcfgError('ifcfg DEVICE=%s, expected %s' % (values.get('DEVICE'), interface))
    if values.get('BOOTPROTO', 'none') not in ('none', 'static'):
        raise NetcfgError('ifcfg BOOTPROTO=%s, not a static configuration' % values['BOOTPROTO'])
    addresses = []
    for suffix in [''] + [str(n) for n in range(1, 256)]:
        if 'IPADDR' + suffix not in values:
            if suffix:
                break
            continue
        prefix = values.get('PREFIX' + suffix)
        if prefix is None and 'NETMASK' + suffix in values:
            prefix = ipaddress.IPv4Network('0.0.0.0/%s' % values['NETMASK' + suffix]).prefixlen
        addresses.append('%s/%s' % (values['IPADDR' + suffix], prefix if prefix is not None else 32))
    return normalize_config({'interface': interface, 'addresses': addresses, 'gateway': values.get('GATEWAY'),
                             'routes': [], 'mtu': values.get('MTU'), 'hwaddr': values.get('HWADDR')})


def render_routes(cfg):
    """RHEL ``route-<if>`` text (``ip route`` argument lines); empty string when there are no routes."""
    cfg = normalize_config(cfg)
    if not cfg['routes']:
        return ''
    return '%s (seed 004: static routes of %s)\n' % (MARK, cfg['interface']) + \
        ''.join(_route_cmd(r, cfg['interface']) + '\n' for r in cfg['routes'])


def parse_routes(text, interface):
    """Read back ``route-<if>`` text as a list of ``{dst, via}``."""
    routes = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if '=' in line.split()[0]:
            raise NetcfgError('route file line %r uses the ADDRESSn= format; only "ip route" lines are read' % line)
        routes.append(_parse_route_words(line.split(), interface))
    return normalize_config({'interface': interface, 'addresses': ['0.0.0.0/32'], 'routes': routes})['routes']


def build(cfg):
    """Render every layout for ``cfg``, parse each back and compare (raises ``NetcfgError`` on a mismatch).

    Returns ``{'config', 'ifupdown', 'ifcfg', 'routes'}``.
    """
    cfg = normalize_config(cfg)
    out = {'config': cfg, 'ifupdown': render_ifupdown(cfg), 'ifcfg': render_ifcfg(cfg), 'routes': render_routes(cfg)}
    back_deb = parse_ifupdown(out['ifupdown'], cfg['interface'])
    back_rh = parse_ifcfg(out['ifcfg'], cfg['interface'])
    back_rh['routes'] = parse_routes(out['routes'], cfg['interface'])
    for name, back in (('ifupdown', back_deb), ('ifcfg', back_rh)):
        if back != cfg:
            raise NetcfgError('the rendered %s configuration does not parse back to the same values: %r != %r'
                              % (name, back, cfg))
    return out
