# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure core for Open vSwitch OpenFlow state: parse, canonicalize, plan.

Parses the text of ``ovs-ofctl dump-flows --no-names --no-stats``, ``dump-groups``,
``dump-meters`` and ``dump-tlv-map`` and the JSON of ``ovs-vsctl --format=json list``,
builds a canonical form (equal state gives equal text) and the plan that turns a
bridge's current state into a saved one. No I/O and no subprocess here.
"""

from __future__ import annotations

import json
import re

# Flow flags as ovs-ofctl prints them (in this order) in front of the match.
FLOW_FLAGS = ('send_flow_rem', 'check_overlap', 'reset_counts', 'no_packet_counts', 'no_byte_counts')
# Per-flow statistics that are not state.
_FLOW_STATS = frozenset(('duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age'))
_FLOW_META = frozenset(('cookie', 'table', 'idle_timeout', 'hard_timeout', 'importance'))
_HEADER_RE = re.compile(r'^(OFPST|NXST|OFPT|NXT|ONFT)_[A-Z_]+')
_GROUP_REF_RE = re.compile(r'\bgroup:(\d+)')
DEFAULT_PRIORITY = 32768
OF_VERSIONS = ('OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14', 'OpenFlow15')
STATE_KINDS = ('flows', 'groups', 'meters', 'tlv')


class OvsParseError(ValueError):
    """Text from an OVS tool that does not have the expected shape."""


class OvsPlanError(ValueError):
    """A saved state that cannot be turned into a restore plan."""


def _is_header(line):
    return bool(_HEADER_RE.match(line))


# --------------------------------------------------------------------------- flows

class Flow:
    """One OpenFlow flow entry without its statistics."""

    __slots__ = ('table', 'priority', 'match', 'cookie', 'idle_timeout', 'hard_timeout',
                 'importance', 'flags', 'actions')

    def __init__(self, table=0, priority=DEFAULT_PRIORITY, match='', cookie=0, idle_timeout=0,
                 hard_timeout=0, importance=0, flags=(), actions=''):
        self.table = table
        self.priority = priority
        self.match = match
        self.cookie = cookie
        self.idle_timeout = idle_timeout
        self.hard_timeout = hard_timeout
        self.importance = importance
        self.flags = tuple(f for f in FLOW_FLAGS if f in flags)
        self.actions = actions

    @property
    def key(self):
        """What identifies a flow in its table (OpenFlow strict match)."""
        return (self.table, self.priority, self.match)

    def match_text(self):
        """``table=T, priority=P[,match]`` as used by ``delete_strict``."""
        text = 'table=%d, priority=%d' % (self.table, self.priority)
        if self.match:
            text += ',' + self.match
        return text

    def line(self):
        """Canonical text; ovs-ofctl accepts it in flow files and bundles."""
        parts = ['table=%d' % self.table]
        if self.cookie:
            parts.append('cookie=0x%x' % self.cookie)
        if self.idle_timeout:
            parts.append('idle_timeout=%d' % self.idle_timeout)
        if self.hard_timeout:
            parts.append('hard_timeout=%d' % self.hard_timeout)
        if self.importance:
            parts.append('importance=%d' % self.importance)
        parts.extend(self.flags)
        head = ', '.join(parts) + ', priority=%d' % self.priority
        if self.match:
            head += ',' + self.match
        return '%s actions=%s' % (head, self.actions)

    def __eq__(self, other):
        return isinstance(other, Flow) and self.line() == other.line()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.line())

    def __repr__(self):
        return 'Flow(%r)' % self.line()


def _int(text, what, line):
    try:
        return int(text, 0)
    except ValueError:
        raise OvsParseError('bad %s %r in flow line: %s' % (what, text, line))


def parse_flow_line(line):
    """Parse one line of ``ovs-ofctl dump-flows`` (with or without stats)."""
    text = line.strip()
    if text.startswith('actions='):
        head, actions = '', text[len('actions='):]
    else:
        head, sep, actions = text.partition(' actions=')
        if not sep:
            raise OvsParseError('no actions in flow line: %s' % line)
    values = {}
    flags = []
    match = ''
    tokens = head.split()
    for index, token in enumerate(tokens):
        if token.endswith(','):
            name, eq, value = token[:-1].partition('=')
            if not eq:
                if name in FLOW_FLAGS:
                    flags.append(name)
                    continue
                raise OvsParseError('unknown flow field %r in: %s' % (token, line))
            if name in _FLOW_STATS:
                continue
            if name not in _FLOW_META:
                raise OvsParseError('unknown flow field %r in: %s' % (name, line))
            values[name] = value
        elif token in FLOW_FLAGS:
            flags.append(token)
        elif index == len(tokens) - 1:
            match = token
        else:
            raise OvsParseError('unexpected %r before the match in: %s' % (token, line))
    priority = DEFAULT_PRIORITY
    if match.startswith('priority='):
        prio, _sep, match = match[len('priority='):].partition(',')
        priority = _int(prio, 'priority', line)
    return Flow(
        table=_int(values.get('table', '0'), 'table', line),
        priority=priority,
        match=match,
        cookie=_int(values.get('cookie', '0'), 'cookie', line),
        idle_timeout=_int(values.get('idle_timeout', '0'), 'idle_timeout', line),
        hard_timeout=_int(values.get('hard_timeout', '0'), 'hard_timeout', line),
        importance=_int(values.get('importance', '0'), 'importance', line),
        flags=flags,
        actions=actions,
    )


def parse_flows(text):
    """Parse ``ovs-ofctl dump-flows`` output (or a saved canonical flow file)."""
    flows = []
    for line in text.splitlines():
        if not line.strip() or _is_header(line.strip()):
            continue
        flows.append(parse_flow_line(line))
    return flows


# -------------------------------------------------------------------------- groups

class Group:
    """One group as printed by ``dump-groups`` (the text is the state)."""

    __slots__ = ('group_id', 'text', 'refs')

    def __init__(self, text):
        self.text = text.strip()
        match = re.match(r'^group_id=(\d+),', self.text)
        if not match:
            raise OvsParseError('group line without group_id: %s' % text)
        self.group_id = int(match.group(1))
        self.refs = frozenset(int(g) for g in _GROUP_REF_RE.findall(self.text))

    def __eq__(self, other):
        return isinstance(other, Group) and self.text == other.text

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return 'Group(%r)' % self.text


def parse_groups(text):
    """Parse ``ovs-ofctl dump-groups`` output, sorted by group id."""
    groups = [Group(line) for line in text.splitlines() if line.strip() and not _is_header(line.strip())]
    return sorted(groups, key=lambda g: g.group_id)


def order_groups(groups, existing_ids=()):
    """Order groups so that every group comes after the groups its buckets chain to.

    ``existing_ids`` are groups already on the switch (no need to come first).
    Raises OvsPlanError on a reference cycle or a reference to a group that is
    neither in ``groups`` nor existing.
    """
    by_id = dict((g.group_id, g) for g in groups)
    existing = frozenset(existing_ids)
    ordered = []
    state = {}

    def visit(group, path):
        mark = state.get(group.group_id)
        if mark == 'done':
            return
        if mark == 'active':
            raise OvsPlanError('group chain loops: %s' % ' -> '.join(str(i) for i in path + [group.group_id]))
        state[group.group_id] = 'active'
        for ref in sorted(group.refs):
            if ref in by_id:
                visit(by_id[ref], path + [group.group_id])
            elif ref not in existing:
                raise OvsPlanError('group %d chains to group %d, which is not saved' % (group.group_id, ref))
        state[group.group_id] = 'done'
        ordered.append(group)

    for group in sorted(groups, key=lambda g: g.group_id):
        visit(group, [])
    return ordered


# -------------------------------------------------------------------------- meters

class Meter:
    """One meter in ``add-meter`` syntax (``meter=N flags bands=...``)."""

    __slots__ = ('meter_id', 'text')

    def __init__(self, text):
        self.text = ' '.join(text.split())
        match = re.match(r'^meter=(\d+)\b', self.text)
        if not match:
            raise OvsParseError('meter text without meter id: %s' % text)
        self.meter_id = int(match.group(1))

    def __eq__(self, other):
        return isinstance(other, Meter) and self.text == other.text

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return 'Meter(%r)' % self.text


def parse_meters(text):
    """Parse ``ovs-ofctl dump-meters`` (meter line, then one line per band).

    Also reads a saved canonical file (one meter per line).
    """
    meters = []
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _is_header(line):
            continue
        if line.startswith('meter='):
            if current is not None:
                meters.append(current)
            current = [line]
        elif line.startswith('type='):
            if current is None:
                raise OvsParseError('meter band before any meter: %s' % raw)
            current.append(line)
        else:
            raise OvsParseError('unexpected line in meter dump: %s' % raw)
    if current is not None:
        meters.append(current)
    result = []
    for parts in meters:
        head, bands = parts[0], parts[1:]
        if bands and head.endswith('bands='):
            head += ' '.join(bands)
        elif bands:
            head += ' ' + ' '.join(bands)
        result.append(Meter(head))
    return sorted(result, key=lambda m: m.meter_id)


# ------------------------------------------------------------------------- TLV map

class TlvMapping:
    """One Geneve option mapping ``{class=C,type=T,len=L}->tun_metadataN``."""

    __slots__ = ('opt_class', 'opt_type', 'length', 'field')

    def __init__(self, opt_class, opt_type, length, field):
        self.opt_class = opt_class
        self.opt_type = opt_type
        self.length = length
        self.field = field

    def text(self):
        return '{class=0x%x,type=0x%x,len=%d}->%s' % (self.opt_class, self.opt_type, self.length, self.field)

    def __eq__(self, other):
        return isinstance(other, TlvMapping) and self.text() == other.text()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.text())

    def __repr__(self):
        return 'TlvMapping(%r)' % self.text()


_TLV_TEXT_RE = re.compile(r'^\{class=(0x[0-9a-fA-F]+|\d+),type=(0x[0-9a-fA-F]+|\d+),len=(\d+)\}->(tun_metadata\d+)$')


def parse_tlv_map(text):
    """Parse ``ovs-ofctl dump-tlv-map`` output, or a saved ``add-tlv-map`` argument."""
    stripped = text.strip()
    if stripped.startswith('{') or not stripped:
        mappings = []
        for item in re.findall(r'\{[^}]*\}->tun_metadata\d+', stripped):
            match = _TLV_TEXT_RE.match(item)
            if not match:
                raise OvsParseError('bad TLV mapping %r' % item)
            mappings.append(TlvMapping(int(match.group(1), 0), int(match.group(2), 0), int(match.group(3)), match.group(4)))
        return sorted(mappings, key=lambda m: m.field)
    mappings = []
    in_table = False
    for raw in text.splitlines():
        line = raw.strip()
        if not in_table:
            if line.startswith('------'):
                in_table = True
            continue
        if not line:
            continue
        fields = line.split()
        if len(fields) != 4 or not fields[3].startswith('tun_metadata'):
            raise OvsParseError('unexpected TLV map row: %s' % raw)
        try:
            mappings.append(TlvMapping(int(fields[0], 16), int(fields[1], 16), int(fields[2]), fields[3]))
        except ValueError:
            raise OvsParseError('unexpected TLV map row: %s' % raw)
    if not in_table and 'mapping table' not in text:
        raise OvsParseError('no TLV mapping table in output: %s' % text[:200])
    return sorted(mappings, key=lambda m: m.field)


def format_tlv_map(mappings):
    """The ``add-tlv-map`` argument for ``mappings`` ('' when empty)."""
    return ','.join(m.text() for m in sorted(mappings, key=lambda m: m.field))


# ------------------------------------------------------------------ bridge state

class BridgeState:
    """Flows, groups, meters and TLV map of one bridge."""

    def __init__(self, flows=(), groups=(), meters=(), tlv=()):
        self.flows = list(flows)
        self.groups = list(groups)
        self.meters = list(meters)
        self.tlv = list(tlv)

    @classmethod
    def from_dumps(cls, flows='', groups='', meters='', tlv=''):
        return cls(parse_flows(flows), parse_groups(groups), parse_meters(meters), parse_tlv_map(tlv))

    def counts(self):
        return {'flows': len(self.flows), 'groups': len(self.groups), 'meters': len(self.meters), 'tlv': len(self.tlv)}

    def canonical(self):
        """Dict of canonical texts (one entry per line, sorted); equal state, equal dict."""
        return {
            'flows': '\n'.join(sorted(f.line() for f in self.flows)) + ('\n' if self.flows else ''),
            'groups': '\n'.join(g.text for g in sorted(self.groups, key=lambda g: g.group_id)) + ('\n' if self.groups else ''),
            'meters': '\n'.join(m.text for m in sorted(self.meters, key=lambda m: m.meter_id)) + ('\n' if self.meters else ''),
            'tlv': format_tlv_map(self.tlv) + ('\n' if self.tlv else ''),
        }

    def __eq__(self, other):
        return isinstance(other, BridgeState) and self.canonical() == other.canonical()

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None


# ---------------------------------------------------------------- restore plan

class RestorePlan:
    """Steps that turn ``current`` into ``saved`` on one bridge.

    Order of execution: ``clear_first`` (del-flows + del-groups, only when a
    conflicting TLV map must be replaced), ``tlv_delete``, ``tlv_add``,
    ``meters_add``/``meters_modify``, the atomic ``bundle`` (group adds in chain
    order, group modifies, flow deletes, flow adds, group deletes), ``meters_delete``.
    """

    def __init__(self):
        self.clear_first = False
        self.tlv_delete = False
        self.tlv_add = ''
        self.meters_add = []
        self.meters_modify = []
        self.meters_delete = []
        self.bundle = []
        self._bundle_text = None
        self._bundle_lines = 0
        self.bundle_file = None
        self.replace_all = False
        self.summary = {'flows_add': 0, 'flows_delete': 0, 'groups_add': 0, 'groups_modify': 0,
                        'groups_delete': 0, 'meters_add': 0, 'meters_modify': 0, 'meters_delete': 0,
                        'tlv_add': 0, 'tlv_delete': 0}

    @property
    def empty(self):
        return not any(self.summary.values()) and not self.clear_first and not self.replace_all

    def bundle_text(self):
        if self._bundle_text is None or self._bundle_lines != len(self.bundle):
            self._bundle_text = ''.join(line + '\n' for line in self.bundle)
            self._bundle_lines = len(self.bundle)
        return self._bundle_text


def build_restore_plan(saved, current, replace_all=False):
    """Plan the OpenFlow messages that make ``current`` equal to ``saved``.

    With ``replace_all`` (used right after the module started a fresh vswitchd, to keep
    the no-forwarding window short), the flows and groups of ``current`` are not known:
    the bundle first deletes every flow and group, then adds the saved ones. Meters and
    the TLV map in ``current`` are still compared.
    """
    plan = RestorePlan()
    cleared = plan_meters_tlv(plan, saved, current, replace_all=replace_all)
    if cleared:
        current = BridgeState()
    plan_groups_flows(plan, saved, current, replace_all=replace_all)
    return plan


def plan_meters_tlv(plan, saved, current, replace_all=False):
    """Fill the TLV and meter steps of ``plan``.

    Returns True when the current flows and groups will be cleared first (a conflicting
    TLV map has to go, and mappings in use cannot be deleted).
    """
    cleared = False
    saved_tlv = set(saved.tlv)
    current_tlv = set(current.tlv)
    if saved_tlv != current_tlv:
        saved_fields = dict((m.field, m) for m in saved.tlv)
        conflict = [m for m in current.tlv if saved_fields.get(m.field) != m]
        if conflict:
            plan.clear_first = bool(current.flows or current.groups) and not replace_all
            cleared = True
            plan.tlv_delete = True
            plan.summary['tlv_delete'] = len(current.tlv)
            missing = list(saved.tlv)
        else:
            missing = [m for m in saved.tlv if m not in current_tlv]
        plan.tlv_add = format_tlv_map(missing)
        plan.summary['tlv_add'] = len(missing)

    cur_meters = dict((m.meter_id, m) for m in current.meters)
    saved_meter_ids = set()
    for meter in saved.meters:
        saved_meter_ids.add(meter.meter_id)
        have = cur_meters.get(meter.meter_id)
        if have is None:
            plan.meters_add.append(meter.text)
        elif have != meter:
            plan.meters_modify.append(meter.text)
    plan.meters_delete = sorted(i for i in cur_meters if i not in saved_meter_ids)
    plan.summary['meters_add'] = len(plan.meters_add)
    plan.summary['meters_modify'] = len(plan.meters_modify)
    plan.summary['meters_delete'] = len(plan.meters_delete)
    return cleared


def plan_groups_flows(plan, saved, current, replace_all=False):
    """Fill the atomic bundle of ``plan``: groups in chain order, flows, group deletions."""
    if replace_all:
        plan.bundle.extend(['flow delete', 'group delete group_id=all'])
        plan.replace_all = True
        current = BridgeState()
    cur_groups = dict((g.group_id, g) for g in current.groups)
    saved_groups = dict((g.group_id, g) for g in saved.groups)
    to_add = [g for g in saved.groups if g.group_id not in cur_groups]
    kept_ids = [i for i in cur_groups if i in saved_groups]
    for group in order_groups(to_add, existing_ids=kept_ids):
        plan.bundle.append('group add ' + group.text)
    for group in order_groups(saved.groups):
        have = cur_groups.get(group.group_id)
        if have is not None and have != group:
            plan.bundle.append('group modify ' + group.text)
            plan.summary['groups_modify'] += 1
    plan.summary['groups_add'] = len(to_add)

    saved_flows = dict((f.key, f) for f in saved.flows)
    if len(saved_flows) != len(saved.flows):
        raise OvsPlanError('saved flows contain two entries with the same table, priority and match')
    cur_flows = dict((f.key, f) for f in current.flows)
    for key in sorted(k for k in cur_flows if k not in saved_flows):
        plan.bundle.append('flow delete_strict ' + cur_flows[key].match_text())
        plan.summary['flows_delete'] += 1
    for flow in sorted(saved.flows, key=lambda f: (f.table, -f.priority, f.match)):
        if cur_flows.get(flow.key) != flow:
            plan.bundle.append('flow add ' + flow.line())
            plan.summary['flows_add'] += 1

    to_delete = [g for g in current.groups if g.group_id not in saved_groups]
    if to_delete:
        # Delete referrers before the groups they chain to.
        for group in reversed(order_groups(to_delete, existing_ids=list(cur_groups))):
            plan.bundle.append('group delete group_id=%d' % group.group_id)
        plan.summary['groups_delete'] = len(to_delete)


# ------------------------------------------------------------------ ovs-vsctl

def _ovsdb_value(value):
    if isinstance(value, list) and len(value) == 2 and value[0] in ('set', 'map', 'uuid', 'named-uuid'):
        kind, data = value
        if kind == 'set':
            return [_ovsdb_value(v) for v in data]
        if kind == 'map':
            return dict((_ovsdb_value(k), _ovsdb_value(v)) for k, v in data)
        return data
    return value


def parse_vsctl_json(text):
    """Rows of ``ovs-vsctl --format=json list TABLE`` as a list of dicts."""
    try:
        doc = json.loads(text)
        headings = doc['headings']
        return [dict(zip(headings, [_ovsdb_value(v) for v in row])) for row in doc['data']]
    except (ValueError, KeyError, TypeError) as exc:
        raise OvsParseError('unexpected ovs-vsctl JSON output (%s): %s' % (exc, text[:200]))


def _as_list(value):
    if isinstance(value, list):
        return value
    return [value]


def parse_bridges(text):
    """``list Bridge`` JSON (name, protocols, ...) -> {name: {protocols, of_version, ...}}."""
    bridges = {}
    for row in parse_vsctl_json(text):
        protocols = sorted(_as_list(row.get('protocols', [])))
        info = dict(row)
        info['protocols'] = protocols
        info['of_version'] = highest_of_version(protocols)
        bridges[row['name']] = info
    return bridges


def highest_of_version(protocols):
    """Highest enabled OpenFlow version; an empty column means 1.0 to 1.5 (OVS >= 2.8)."""
    known = [p for p in protocols if p in OF_VERSIONS]
    if not known:
        return OF_VERSIONS[-1]
    return max(known, key=OF_VERSIONS.index)


def parse_ofports(text):
    """``list Interface`` JSON (name, ofport) -> {name: ofport}; unassigned ofports are skipped."""
    ports = {}
    for row in parse_vsctl_json(text):
        ofport = row.get('ofport')
        if isinstance(ofport, int):
            ports[row['name']] = ofport
    return ports


def ofport_changes(before, after):
    """Interfaces whose ofport differs (or disappeared) -> {name: [before, after]}."""
    changes = {}
    for name, port in before.items():
        if port < 0:
            continue
        new = after.get(name)
        if new != port:
            changes[name] = [port, new]
    return changes


def parse_flow_restore_wait(text):
    """``list Open_vSwitch`` JSON (other_config) -> value of flow-restore-wait (bool)."""
    rows = parse_vsctl_json(text)
    if not rows:
        raise OvsParseError('the Open_vSwitch table has no row (database not initialized)')
    other = rows[0].get('other_config') or {}
    return str(other.get('flow-restore-wait', 'false')).lower() == 'true'


# --------------------------------------------------------------- save manifest

# Phases of a `restarted` operation, in order. The old vswitchd is known to be
# gone from `stopped` on: from then on, the saved files are the only copy.
PHASES = ('saving', 'saved', 'stopping', 'stopped', 'started', 'restoring', 'done')
_AFTER_STOP = frozenset(('stopped', 'started', 'restoring'))


def decide_resume(manifest, running_pid):
    """Decide whether a `restarted` run must resume from an earlier, unfinished one.

    Returns ``(resume, reason)``. Resuming means: do not save again (the switch
    may hold nothing, or only part of the state), restore from the saved files.
    """
    if not manifest or manifest.get('operation') != 'restarted':
        return False, 'no unfinished restart recorded'
    phase = manifest.get('phase')
    if phase in _AFTER_STOP:
        return True, 'a previous restart stopped vswitchd (pid %s) and did not finish (phase %s)' % (manifest.get('old_pid'), phase)
    if phase == 'stopping':
        if running_pid is not None and running_pid == manifest.get('old_pid'):
            return False, 'the vswitchd that was being stopped is still running'
        return True, 'a previous restart was stopping vswitchd (pid %s) and did not finish' % manifest.get('old_pid')
    return False, 'previous run ended in phase %s, the switch still holds its state' % phase


def safe_bridge_filename(name):
    """Bridge names become file names in save_dir: refuse anything path-like."""
    if not name or name in ('.', '..') or '/' in name or '\0' in name or name.startswith('.'):
        raise OvsPlanError('bridge name %r cannot be used as a file name' % name)
    return name
