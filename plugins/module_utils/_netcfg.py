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
* RHEL-family: ``/etc/sysconfig/network-scripts/ifcfg-<if>`` plus ``route-<if>``;
* netplan (Ubuntu 18.04+, cloud images): a file of its own in ``/etc/netplan``;
* NetworkManager keyfiles (RHEL 9/10 without ifcfg): ``/etc/NetworkManager/system-connections/<id>.nmconnection``.

Everything here takes text and data and returns data: the live configuration from
``ip -j addr show dev IF`` / ``ip -j -4 route show dev IF``, validation, rendering, and parsing
the rendered text back (used to prove a rendering round-trips before it is written).  No I/O.
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core on the controller
    yaml = None

__all__ = ['NetcfgError', 'config_from_ip_json', 'normalize_config', 'render_ifupdown', 'parse_ifupdown',
           'render_ifcfg', 'parse_ifcfg', 'render_routes', 'parse_routes', 'render_netplan', 'parse_netplan',
           'netplan_defines', 'keyfile_id', 'render_keyfile', 'parse_keyfile', 'keyfile_binds', 'build']

# Kernel interface names (dev_valid_name): 1-15 bytes, not "." or "..", no "/", ":" or whitespace.
# Stricter here: ASCII letters, digits and _ . @ -, and no leading "-" (it would read as an option of ip).
IFNAME_RE = re.compile(r'(?!-)[A-Za-z0-9_.@-]{1,15}')
MAC_RE = re.compile(r'[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}')
MARK = '# cni.ovs.nsx_node_prep'
MTU_MIN, MTU_MAX = 68, 65535


class NetcfgError(ValueError):
    """Input that cannot be persisted: names the value and what is allowed."""


def _short(value, limit=80):
    """repr() of value for an error message, cut to limit characters (a 10 MB input stays readable)."""
    text = repr(value)
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def _cut(text, limit=200):
    """Plain text cut to limit characters for an error message."""
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def _load(value, what):
    if isinstance(value, str):
        try:
            value = json.loads(value or '[]')
        except ValueError as exc:
            raise NetcfgError('%s is not JSON (expected the output of `ip -j ...`): %s' % (what, _short(str(exc), 120)))
    if not isinstance(value, list):
        raise NetcfgError('%s must be a list (the output of `ip -j ...`), got %s %s' % (what, type(value).__name__, _short(value)))
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            raise NetcfgError('%s item %d must be an object, got %s %s' % (what, n, type(item).__name__, _short(item)))
    return value


def _field(obj, key, types, what):
    """obj[key] (None when absent) when it is None or one of types (a bool is not an int); else an error naming it."""
    value = obj.get(key)
    if value is not None and (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)):
        raise NetcfgError('%s %s must be a %s, got %s %s'
                          % (what, key, ' or '.join(t.__name__ for t in types), type(value).__name__, _short(value)))
    return value


def check_ifname(name):
    if not isinstance(name, str) or not IFNAME_RE.fullmatch(name) or name in ('.', '..'):
        raise NetcfgError('interface name %s is not valid (1-15 characters of letters, digits, _ . @ -, not starting with -)'
                          % (_short(name),))
    return name


def config_from_ip_json(interface, addr_json, route_json):
    """Configuration of ``interface`` read from ``ip -j addr show dev IF`` and ``ip -j -4 route show dev IF``.

    Returns ``(config, skipped)``: IPv4 global addresses (first is primary), the default gateway,
    static routes (kernel-made connected routes are not persisted) and the MTU/MAC; ``skipped``
    lists what was seen and is not persisted (IPv6 addresses, link-local addresses).
    """
    check_ifname(interface)
    links = _load(addr_json, 'ip -j addr output')
    link = next((x for x in links if x.get('ifname') == interface), None)
    if link is None:
        raise NetcfgError('interface %r not found in `ip -j addr` output (interfaces seen: %s)'
                          % (interface, _cut(', '.join(sorted(str(x.get('ifname')) for x in links)) or 'none')))
    addresses, skipped = [], []
    what = 'ip -j addr output: %s' % interface
    infos = _field(link, 'addr_info', (list,), what) or []
    for n, a in enumerate(infos):
        if not isinstance(a, dict):
            raise NetcfgError('%s addr_info item %d must be an object, got %s %s' % (what, n, type(a).__name__, _short(a)))
        local = _field(a, 'local', (str,), '%s addr_info[%d]' % (what, n))
        prefixlen = _field(a, 'prefixlen', (int,), '%s addr_info[%d]' % (what, n))
        family = _field(a, 'family', (str,), '%s addr_info[%d]' % (what, n))
        scope = _field(a, 'scope', (str,), '%s addr_info[%d]' % (what, n))
        cidr = '%s/%s' % (local, prefixlen)
        if family != 'inet':
            skipped.append('%s (%s; only IPv4 is persisted)' % (cidr, family))
        elif scope not in (None, 'global'):
            skipped.append('%s (scope %s)' % (cidr, scope))
        else:
            addresses.append(cidr)
    gateway, routes = None, []
    for n, r in enumerate(_load(route_json, 'ip -j route output')):
        if r.get('dev', interface) != interface:
            continue
        rwhat = 'ip -j route output item %d' % n
        dst = _field(r, 'dst', (str,), rwhat)
        via = _field(r, 'gateway', (str,), rwhat)
        if r.get('protocol') == 'kernel' and not via:
            continue  # connected route, made by the kernel from the address
        if dst == 'default':
            if not via:
                skipped.append('default route without a gateway (device route; not persisted)')
            elif gateway is None:
                gateway = via
            elif via != gateway:
                skipped.append('default route via %s (only the first default route is persisted, via %s)' % (via, gateway))
            continue
        if r.get('type') not in (None, 'unicast'):
            skipped.append('route %s (type %s)' % (dst, r.get('type')))
            continue
        if dst is None:
            raise NetcfgError('%s has no dst: %s' % (rwhat, _short(r)))
        routes.append({'dst': dst if '/' in dst else '%s/32' % dst, 'via': via})
    cfg = {'interface': interface, 'addresses': addresses, 'gateway': gateway, 'routes': routes,
           'mtu': _field(link, 'mtu', (int,), what), 'hwaddr': _field(link, 'address', (str,), what)}
    return normalize_config(cfg), skipped


def _ipv4_text(value, what):
    """The stripped text of an IPv4 address/CIDR given as a string; anything else is an error naming it."""
    if not isinstance(value, str):
        raise NetcfgError('%s %s is a %s, expected a string' % (what, _short(value), type(value).__name__))
    text = value.strip()
    if '%' in text:
        raise NetcfgError('%s %s is a scoped address; only IPv4 is persisted' % (what, _short(value)))
    return text


def _special(ip):
    """Why ip cannot be a host's address (None when it can)."""
    if ip.is_unspecified:
        return 'the unspecified address'
    if ip.is_loopback:
        return 'a loopback address'
    if ip.is_multicast:
        return 'a multicast address'
    if ip == ipaddress.IPv4Address('255.255.255.255'):
        return 'the limited broadcast address'
    return None


def _edge(ip, net):
    """'network'/'broadcast' when ip is that address of net (only for /30 and larger: /31 and /32 have no such addresses)."""
    if net.prefixlen <= 30:
        if ip == net.network_address:
            return 'network'
        if ip == net.broadcast_address:
            return 'broadcast'
    return None


def _on_link(gw, ifaces, interface, what):
    """Check that gateway gw can be reached directly through interface: inside one of its networks, a host of it,
    not the interface's own address."""
    nets = [i.network for i in ifaces if gw in i.network]
    if not nets:
        raise NetcfgError('%s %s is in none of the networks of %s (%s): it would not be reachable (off-link)'
                          % (what, gw, interface, ', '.join(str(i.network) for i in ifaces)))
    for net in nets:
        edge = _edge(gw, net)
        if edge:
            raise NetcfgError('%s %s is the %s address of %s, not a host on it' % (what, gw, edge, net))
    if any(gw == i.ip for i in ifaces):
        raise NetcfgError('%s %s is an address of %s itself, not a gateway' % (what, gw, interface))
    if _special(gw):
        raise NetcfgError('%s %s is %s' % (what, gw, _special(gw)))


def _normalize_routes(routes, interface, ifaces=None):
    """Routes as ``[{dst, via}]`` (dst normalised to its network); with ifaces, every via must be on-link."""
    if routes is None or routes == '':
        routes = []
    if not isinstance(routes, (list, tuple)):
        raise NetcfgError('routes must be a list of {dst, via}, got %s %s' % (type(routes).__name__, _short(routes)))
    out, seen = [], set()
    for r in routes:
        if not isinstance(r, dict) or 'dst' not in r:
            raise NetcfgError('route %s must be a dict with dst (CIDR) and optional via (gateway)' % (_short(r),))
        unknown = sorted(str(k) for k in set(r) - {'dst', 'via'})
        if unknown:
            raise NetcfgError('route %s: unknown key(s) %s (allowed: dst, via)' % (_short(r), _cut(', '.join(unknown))))
        try:
            net = ipaddress.IPv4Network(_ipv4_text(r['dst'], 'route destination'), strict=False)
        except ValueError as exc:
            if isinstance(exc, NetcfgError):
                raise
            raise NetcfgError('route destination %s is not a valid IPv4 CIDR (for example 10.0.0.0/8)' % (_short(r['dst']),))
        if net.prefixlen == 0:
            raise NetcfgError('route destination %s is the default route: give its gateway as gateway (one default route '
                              'per uplink)' % (_short(r['dst']),))
        if net in seen:
            raise NetcfgError('route destination %s is listed twice (from %s)' % (net, _short(r['dst'])))
        seen.add(net)
        via = r.get('via')
        if via in (None, ''):
            via = None
        else:
            try:
                via = ipaddress.IPv4Address(_ipv4_text(via, 'route %s: gateway' % net))
            except ValueError as exc:
                if isinstance(exc, NetcfgError):
                    raise
                raise NetcfgError('route %s: gateway %s is not an IPv4 address' % (net, _short(via)))
            if ifaces is not None:
                _on_link(via, ifaces, interface, 'route %s: gateway' % net)
            via = str(via)
        out.append({'dst': str(net), 'via': via})
    return out


def _mtu(value):
    if value is None or value == '':
        return None
    mtu = None
    if isinstance(value, int) and not isinstance(value, bool):
        mtu = value
    elif isinstance(value, str) and re.fullmatch(r'\s*[0-9]{1,6}\s*', value):
        mtu = int(value)
    if mtu is None or not MTU_MIN <= mtu <= MTU_MAX:
        raise NetcfgError('mtu %s is not an integer between %d and %d' % (_short(value), MTU_MIN, MTU_MAX))
    return mtu


def _hwaddr(value):
    if value is None or value == '':
        return None
    if not isinstance(value, str) or not MAC_RE.fullmatch(value.strip()):
        raise NetcfgError('hwaddr %s is not a MAC address (aa:bb:cc:dd:ee:ff)' % (_short(value),))
    mac = value.strip().lower()
    if int(mac[:2], 16) & 1 or mac == '00:00:00:00:00:00':
        raise NetcfgError('hwaddr %s is a multicast or all-zero MAC address, not an interface address' % (_short(value),))
    return mac


def normalize_config(cfg):
    """Validate and normalise a configuration dict (``interface``, ``addresses``, ``gateway``, ``routes``, ``mtu``, ``hwaddr``).

    Refused (a NetcfgError naming the value): an invalid interface name; an address that is not an IPv4 CIDR, is
    the network or broadcast address of its prefix (/30 and larger), is unspecified, loopback, multicast or listed
    twice; a gateway or route gateway that is not on one of the interface's networks (off-link), is the network or
    broadcast address or the interface's own address; a route destination listed twice; an MTU that is not an
    integer between 68 and 65535 (a float such as 1500.9 or a boolean is refused, the string "1500" is 1500); a MAC
    that is not unicast.
    """
    if not isinstance(cfg, dict):
        raise NetcfgError('the uplink configuration must be a dict, got %s %s' % (type(cfg).__name__, _short(cfg)))
    unknown = sorted(str(k) for k in set(cfg) - {'interface', 'addresses', 'gateway', 'routes', 'mtu', 'hwaddr'})
    if unknown:
        raise NetcfgError('unknown key(s) %s in the uplink configuration (allowed: interface, addresses, gateway, '
                          'routes, mtu, hwaddr)' % _cut(', '.join(unknown)))
    interface = check_ifname(cfg.get('interface'))
    addrs = cfg.get('addresses')
    if addrs is None or addrs == '':
        addrs = []
    if isinstance(addrs, str):
        addrs = [addrs]
    if not isinstance(addrs, (list, tuple)):
        raise NetcfgError('addresses must be a list of IPv4 CIDRs, got %s %s' % (type(addrs).__name__, _short(addrs)))
    if not addrs:
        raise NetcfgError('interface %s has no IPv4 address to persist (addresses is empty)' % interface)
    ifaces = []
    for a in addrs:
        text = _ipv4_text(a, 'address')
        try:
            ifc = ipaddress.ip_interface(text)
        except ValueError:
            raise NetcfgError('address %s is not a valid IPv4 CIDR (for example 172.16.1.4/24)' % (_short(a),))
        if ifc.version != 4 or '/' not in text:
            raise NetcfgError('address %s is not a valid IPv4 CIDR (for example 172.16.1.4/24)' % (_short(a),))
        edge = _edge(ifc.ip, ifc.network)
        if edge:
            raise NetcfgError('address %s is the %s address of %s, not a host address' % (_short(a), edge, ifc.network))
        if _special(ifc.ip):
            raise NetcfgError('address %s is %s, not a host address' % (_short(a), _special(ifc.ip)))
        if any(ifc.ip == i.ip for i in ifaces):
            raise NetcfgError('address %s is listed twice' % (_short(a),))
        ifaces.append(ifc)
    gateway = cfg.get('gateway')
    if gateway in (None, ''):
        gateway = None
    else:
        try:
            gw = ipaddress.IPv4Address(_ipv4_text(gateway, 'gateway'))
        except ValueError as exc:
            if isinstance(exc, NetcfgError):
                raise
            raise NetcfgError('gateway %s is not an IPv4 address' % (_short(gateway),))
        _on_link(gw, ifaces, interface, 'gateway')
        gateway = str(gw)
    routes = _normalize_routes(cfg.get('routes'), interface, ifaces)
    return {'interface': interface, 'addresses': [str(i) for i in ifaces], 'gateway': gateway,
            'routes': routes, 'mtu': _mtu(cfg.get('mtu')), 'hwaddr': _hwaddr(cfg.get('hwaddr'))}


def _check_text(text):
    if not isinstance(text, str):
        raise NetcfgError('the file text must be a string, got %s %s' % (type(text).__name__, _short(text)))


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
    _check_text(text)
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
                    raise NetcfgError('iface %s uses method %s, not static' % (interface, _cut(words[3])))
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
            if len(rest) < 4:
                raise NetcfgError('iface %s: line %s has no address' % (interface, _short(line)))
            cfg['addresses'].append(rest[3])
        elif key == 'up' and rest[:3] == ['ip', 'route', 'replace']:
            cfg['routes'].append(_parse_route_words(rest[3:], interface))
    if not found:
        raise NetcfgError('no "iface %s inet static" stanza found' % interface)
    if cfg['addresses'] and '/' not in cfg['addresses'][0]:
        raise NetcfgError('iface %s: address %s has no prefix length' % (interface, _cut(cfg['addresses'][0])))
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
            raise NetcfgError('route %s is for device %s, not %s' % (_cut(words[0]), _cut(str(val)), interface))
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
    _check_text(text)
    check_ifname(interface)
    values = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if '=' not in line:
            raise NetcfgError('ifcfg line %s is not KEY=value' % _short(line))
        k, v = line.split('=', 1)
        values[k.strip()] = v.strip().strip('"\'')
    if values.get('DEVICE', interface) != interface:
        raise NetcfgError('ifcfg DEVICE=%s, expected %s' % (_cut(values.get('DEVICE')), interface))
    if values.get('BOOTPROTO', 'none') not in ('none', 'static'):
        raise NetcfgError('ifcfg BOOTPROTO=%s, not a static configuration' % _cut(values['BOOTPROTO']))
    addresses = []
    for suffix in [''] + [str(n) for n in range(1, 256)]:
        if 'IPADDR' + suffix not in values:
            if suffix:
                break
            continue
        prefix = values.get('PREFIX' + suffix)
        if prefix is None and 'NETMASK' + suffix in values:
            try:
                prefix = ipaddress.IPv4Network('0.0.0.0/%s' % values['NETMASK' + suffix]).prefixlen
            except ValueError:
                raise NetcfgError('ifcfg NETMASK%s=%s is not an IPv4 netmask' % (suffix, _short(values['NETMASK' + suffix])))
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
    """Read back ``route-<if>`` text as a list of ``{dst, via}`` (gateways are not checked against addresses here)."""
    _check_text(text)
    check_ifname(interface)
    routes = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if '=' in line.split()[0]:
            raise NetcfgError('route file line %s uses the ADDRESSn= format; only "ip route" lines are read' % _short(line))
        routes.append(_parse_route_words(line.split(), interface))
    return _normalize_routes(routes, interface)


# netplan device types whose definitions are keyed by interface name (netplan(5), "network:" mapping).
NETPLAN_TYPES = ('ethernets', 'bonds', 'bridges', 'vlans', 'wifis', 'modems', 'tunnels', 'vrfs', 'dummy-devices',
                 'virtual-ethernets', 'nm-devices')


def _q(text):
    """A YAML double-quoted scalar (JSON string syntax is valid YAML; no MAC read as a base-60 number)."""
    return json.dumps(text)


def render_netplan(cfg):
    """A netplan file of its own (``/etc/netplan/<name>.yaml``) defining the uplink in ``ethernets``.

    The default route is written as ``to: 0.0.0.0/0`` (read by every netplan release since Ubuntu 18.04; ``to:
    default`` needs 0.103, ``gateway4`` is deprecated); a route without a gateway as ``scope: link``. ``dhcp4: false``
    makes the definition static. The MAC, when known, is ``macaddress`` (sets it, as ifupdown's ``hwaddress``).
    """
    cfg = normalize_config(cfg)
    i = cfg['interface']
    lines = ['%s (seed 004: uplink %s persisted)' % (MARK, i), 'network:', '  version: 2', '  ethernets:',
             '    %s:' % _q(i), '      dhcp4: false',
             '      addresses: [%s]' % ', '.join(_q(a) for a in cfg['addresses'])]
    if cfg['mtu']:
        lines.append('      mtu: %d' % cfg['mtu'])
    if cfg['hwaddr']:
        lines.append('      macaddress: %s' % _q(cfg['hwaddr']))
    routes = ([{'dst': '0.0.0.0/0', 'via': cfg['gateway']}] if cfg['gateway'] else []) + cfg['routes']
    if routes:
        lines.append('      routes:')
    for r in routes:
        lines.append('        - to: %s' % _q(r['dst']))
        lines.append('          %s' % ('via: %s' % _q(r['via']) if r['via'] else 'scope: link'))
    return '\n'.join(lines) + '\n'


def _netplan_network(text, what):
    _check_text(text)
    if yaml is None:
        raise NetcfgError('reading netplan files needs PyYAML')
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NetcfgError('%s is not valid YAML: %s' % (what, _cut(str(exc).replace('\n', ' '), 160)))
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get('network', {}), dict):
        raise NetcfgError('%s is not a netplan file (a mapping with a "network" mapping)' % what)
    return data.get('network') or {}


def netplan_defines(text, interface):
    """The netplan device types (``ethernets``, ``bonds``, ...) under which netplan ``text`` defines ``interface``,
    by its key or by ``set-name``; ``[]`` when it does not. Invalid YAML is an error (netplan would refuse it too)."""
    check_ifname(interface)
    network = _netplan_network(text, 'netplan file')
    found = []
    for kind in NETPLAN_TYPES:
        defs = network.get(kind) or {}
        if not isinstance(defs, dict):
            raise NetcfgError('netplan file: network.%s is not a mapping' % kind)
        for name, body in defs.items():
            if str(name) == interface or (isinstance(body, dict) and str(body.get('set-name', '')) == interface):
                found.append(kind)
                break
    return found


def parse_netplan(text, interface):
    """Read back the ``ethernets.<interface>`` definition of netplan ``text`` as a configuration dict.

    Refused: no such definition, DHCP enabled, keys this role does not write (they would be lost or change the
    meaning: ``match``, ``set-name``, ``routing-policy``, a route with ``table``/``metric``/``type``/``from``...).
    """
    check_ifname(interface)
    network = _netplan_network(text, 'netplan file')
    body = (network.get('ethernets') or {}).get(interface)
    if not isinstance(body, dict):
        raise NetcfgError('no "ethernets: %s:" definition found' % interface)
    known = {'dhcp4', 'dhcp6', 'addresses', 'mtu', 'macaddress', 'routes', 'gateway4'}
    unknown = sorted(str(k) for k in set(body) - known)
    if unknown:
        raise NetcfgError('ethernets.%s has key(s) %s this role does not write (allowed: %s)'
                          % (interface, _cut(', '.join(unknown)), ', '.join(sorted(known))))
    for key in ('dhcp4', 'dhcp6'):
        if body.get(key) not in (None, False, 'false', 'no', 'off'):
            raise NetcfgError('ethernets.%s has %s: %s, not a static configuration' % (interface, key, _short(body.get(key))))
    addrs = body.get('addresses') or []
    if not isinstance(addrs, list):
        raise NetcfgError('ethernets.%s addresses is not a list: %s' % (interface, _short(addrs)))
    gateway, routes = body.get('gateway4'), []
    raw_routes = body.get('routes') or []
    if not isinstance(raw_routes, list):
        raise NetcfgError('ethernets.%s routes is not a list: %s' % (interface, _short(raw_routes)))
    for r in raw_routes:
        if not isinstance(r, dict) or 'to' not in r:
            raise NetcfgError('ethernets.%s route %s has no "to"' % (interface, _short(r)))
        extra = sorted(str(k) for k in set(r) - {'to', 'via', 'scope'})
        if extra or r.get('scope', 'link' if 'via' not in r else None) not in (None, 'link'):
            raise NetcfgError('ethernets.%s route %s has settings this role does not write (allowed: to, via, scope: link)'
                              % (interface, _short(r)))
        dst = str(r['to'])
        if dst in ('default', '0.0.0.0/0'):
            if gateway is not None and str(r.get('via')) != gateway:
                raise NetcfgError('ethernets.%s has two default routes (%s and %s)' % (interface, gateway, _short(r.get('via'))))
            gateway = r.get('via')
            continue
        routes.append({'dst': dst, 'via': r.get('via')})
    mac = body.get('macaddress')
    return normalize_config({'interface': interface, 'addresses': [str(a) for a in addrs], 'gateway': gateway,
                             'routes': routes, 'mtu': body.get('mtu'), 'hwaddr': None if mac is None else str(mac)})


def keyfile_id(interface):
    """The NetworkManager connection id (and file name stem) of the uplink's profile."""
    return 'cni-ovs-%s' % check_ifname(interface)


def render_keyfile(cfg):
    """A NetworkManager keyfile (``/etc/NetworkManager/system-connections/cni-ovs-<if>.nmconnection``, mode 0600).

    In the layout ``nmcli`` 1.42 writes: the gateway after the first address (``address1=A/P,GW``), routes as
    ``routeN=DST,GW``; ``uuid`` is derived from the interface name (stable across re-runs, so a re-run writes the same
    bytes); ``[ethernet] mac-address`` binds the profile to the device's MAC when it is known.
    """
    cfg = normalize_config(cfg)
    i = cfg['interface']
    conn_id = keyfile_id(i)
    lines = ['%s (seed 004: uplink %s persisted)' % (MARK, i), '[connection]', 'id=%s' % conn_id,
             'uuid=%s' % uuid.uuid5(uuid.NAMESPACE_URL, 'cni.ovs.nsx_node_prep/%s' % i), 'type=ethernet',
             'interface-name=%s' % i, 'autoconnect=true', '', '[ethernet]']
    if cfg['hwaddr']:
        lines.append('mac-address=%s' % cfg['hwaddr'].upper())
    if cfg['mtu']:
        lines.append('mtu=%d' % cfg['mtu'])
    lines += ['', '[ipv4]', 'method=manual']
    for n, a in enumerate(cfg['addresses'], 1):
        lines.append('address%d=%s%s' % (n, a, ',%s' % cfg['gateway'] if n == 1 and cfg['gateway'] else ''))
    if not cfg['gateway']:
        lines.append('never-default=true')
    for n, r in enumerate(cfg['routes'], 1):
        lines.append('route%d=%s%s' % (n, r['dst'], ',%s' % r['via'] if r['via'] else ''))
    lines += ['', '[ipv6]', 'method=ignore']
    return '\n'.join(lines) + '\n'


def _keyfile_sections(text):
    _check_text(text)
    sections, current = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#') or line.startswith(';'):
            continue
        if line.startswith('[') and line.endswith(']'):
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        if current is None or '=' not in line:
            raise NetcfgError('keyfile line %s is not inside a [section] as key=value' % _short(line))
        k, v = line.split('=', 1)
        current[k.strip()] = v.strip()
    return sections


def keyfile_binds(text, interface):
    """True when the keyfile ``text`` is a profile that NetworkManager would activate on ``interface`` at boot
    (``interface-name`` is it, and ``autoconnect`` is not false)."""
    check_ifname(interface)
    conn = _keyfile_sections(text).get('connection', {})
    return conn.get('interface-name') == interface and conn.get('autoconnect', 'true').lower() not in ('false', 'no', '0')


def parse_keyfile(text, interface):
    """Read back a NetworkManager keyfile bound to ``interface`` as a configuration dict (``ipv4.method=manual`` only;
    ``address1=A/P,GW`` and ``gateway=GW`` both read)."""
    check_ifname(interface)
    sections = _keyfile_sections(text)
    conn = sections.get('connection', {})
    if conn.get('interface-name') != interface:
        raise NetcfgError('keyfile interface-name=%s, expected %s' % (_cut(str(conn.get('interface-name'))), interface))
    if conn.get('type') not in ('ethernet', '802-3-ethernet'):
        raise NetcfgError('keyfile type=%s, expected ethernet' % _cut(str(conn.get('type'))))
    ipv4 = sections.get('ipv4', {})
    if ipv4.get('method') != 'manual':
        raise NetcfgError('keyfile ipv4.method=%s, not a static (manual) configuration' % _cut(str(ipv4.get('method'))))
    addresses, gateway = [], ipv4.get('gateway') or None
    for n in range(1, 1000):
        value = ipv4.get('address%d' % n)
        if value is None:
            break
        parts = [p.strip() for p in value.rstrip(';').split(',')]
        addresses.append(parts[0])
        if len(parts) > 1 and parts[1]:
            if gateway not in (None, parts[1]):
                raise NetcfgError('keyfile has two gateways (%s and %s)' % (gateway, _cut(parts[1])))
            gateway = parts[1]
    routes = []
    for n in range(1, 1000):
        value = ipv4.get('route%d' % n)
        if value is None:
            break
        parts = [p.strip() for p in value.rstrip(';').split(',')]
        if len(parts) > 2 or ipv4.get('route%d_options' % n):
            raise NetcfgError('keyfile route%d=%s has a metric or options this role does not write' % (n, _cut(value)))
        routes.append({'dst': parts[0], 'via': parts[1] if len(parts) > 1 and parts[1] not in ('', '0.0.0.0') else None})
    eth = sections.get('ethernet', sections.get('802-3-ethernet', {}))
    return normalize_config({'interface': interface, 'addresses': addresses, 'gateway': gateway, 'routes': routes,
                             'mtu': eth.get('mtu') or None, 'hwaddr': eth.get('mac-address') or None})


def build(cfg):
    """Render every layout for ``cfg``, parse each back and compare (raises ``NetcfgError`` on a mismatch).

    Returns ``{'config', 'ifupdown', 'ifcfg', 'routes', 'netplan', 'keyfile', 'keyfile_id'}``.
    """
    cfg = normalize_config(cfg)
    out = {'config': cfg, 'ifupdown': render_ifupdown(cfg), 'ifcfg': render_ifcfg(cfg), 'routes': render_routes(cfg),
           'netplan': render_netplan(cfg), 'keyfile': render_keyfile(cfg), 'keyfile_id': keyfile_id(cfg['interface'])}
    back_deb = parse_ifupdown(out['ifupdown'], cfg['interface'])
    back_rh = parse_ifcfg(out['ifcfg'], cfg['interface'])
    back_rh['routes'] = parse_routes(out['routes'], cfg['interface'])
    checks = [('ifupdown', back_deb), ('ifcfg', back_rh), ('keyfile', parse_keyfile(out['keyfile'], cfg['interface']))]
    if yaml is not None:
        checks.append(('netplan', parse_netplan(out['netplan'], cfg['interface'])))
    for name, back in checks:
        if back != cfg:
            raise NetcfgError('the rendered %s configuration does not parse back to the same values: %r != %r'
                              % (name, back, cfg))
    return out
