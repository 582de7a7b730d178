# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation of a run report against REPORT_SCHEMA.

With the jsonschema library where it can be imported (Draft 2020-12); else (an execution
environment without it) with the small checker below, which knows just the keywords
REPORT_SCHEMA uses. The unit tests keep the two in agreement.
"""

from __future__ import annotations

import re

from ansible_collections.cni.ovs.plugins.plugin_utils._report_schema import REPORT_SCHEMA

try:
    from jsonschema import Draft202012Validator as _Validator
except ImportError:  # not installed, or older than 4.0 (no Draft 2020-12)
    _Validator = None


_TYPES = {
    'string': lambda v: isinstance(v, str),
    # JSON Schema: an integer is any number without a fractional part (1.0 too)
    'integer': lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    'number': lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    'boolean': lambda v: isinstance(v, bool),
    'object': lambda v: isinstance(v, dict),
    'array': lambda v: isinstance(v, list),
    'null': lambda v: v is None,
}


def _equal(a, b):
    """JSON equality of the scalars const and enum use: true and 1 differ (Python says True == 1)."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def validate(instance, schema=None):
    """Check instance against REPORT_SCHEMA (or schema); return a list of errors, empty when it is valid."""
    if _Validator is not None:
        return jsonschema_errors(instance, schema)
    return builtin_errors(instance, schema)


def jsonschema_errors(instance, schema=None):
    """The errors the jsonschema library finds ('$.path: message'); needs jsonschema."""
    validator = _Validator(REPORT_SCHEMA if schema is None else schema)
    return ['%s: %s' % (e.json_path, e.message) for e in validator.iter_errors(instance)]


def builtin_errors(instance, schema=None):
    """Check instance against the subset of JSON Schema used by REPORT_SCHEMA; return a list of errors."""
    root = REPORT_SCHEMA if schema is None else schema
    errors = []
    _check(instance, root, root, '$', errors)
    return errors


def _check(value, schema, root, path, errors):
    if '$ref' in schema:
        ref = schema['$ref']
        if not ref.startswith('#/$defs/'):
            raise ValueError('unsupported $ref %s' % ref)
        _check(value, root['$defs'][ref[len('#/$defs/'):]], root, path, errors)
        return
    if 'anyOf' in schema:
        for alt in schema['anyOf']:
            sub = []
            _check(value, alt, root, path, sub)
            if not sub:
                return
        errors.append('%s: matches none of the allowed forms' % path)
        return
    if 'const' in schema and not _equal(value, schema['const']):
        errors.append('%s: must be %r' % (path, schema['const']))
        return
    if 'enum' in schema and not any(_equal(value, v) for v in schema['enum']):
        errors.append('%s: %r not one of %s' % (path, value, ', '.join(schema['enum'])))
        return
    t = schema.get('type')
    if t is not None and not _TYPES[t](value):
        errors.append('%s: expected %s' % (path, t))
        return
    if 'minimum' in schema and _TYPES['number'](value) and value < schema['minimum']:
        errors.append('%s: below %s' % (path, schema['minimum']))
    if 'pattern' in schema and isinstance(value, str) and not re.search(schema['pattern'], value):
        errors.append('%s: %r does not match %s' % (path, value, schema['pattern']))
    if isinstance(value, dict):
        for k in schema.get('required', ()):
            if k not in value:
                errors.append('%s: missing %s' % (path, k))
        props = schema.get('properties', {})
        for k, v in value.items():
            if k in props:
                _check(v, props[k], root, '%s.%s' % (path, k), errors)
            elif schema.get('additionalProperties') is False:
                errors.append('%s: unexpected key %s' % (path, k))
    if isinstance(value, list) and 'items' in schema:
        for i, v in enumerate(value):
            _check(v, schema['items'], root, '%s[%d]' % (path, i), errors)
