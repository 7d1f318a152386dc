"""Judging a parsed config in the stages of CONTRACT.md ("Which keys a refusal names").

Stage 1 (the file, TOML, the limits) is `parse`; here are the rest, each run only
when the one before found nothing, so every judge names the same keys:

2. values the schema cannot judge: control characters in strings, nan and inf, dates and times;
3. the schema, with floats where integers belong: every fault, each key once;
4. the schema's `x-order` pairs.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any, Iterator, Mapping

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from .issue import Issue, Refused
from .parse import parse
from .patterns import ecma

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def load(data: bytes, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Parse and judge config bytes; the returned dict is the effective config. Raises Refused."""
    doc = parse(data)
    issues = judge(doc, schema)
    if issues:
        raise Refused(issues)
    return doc


def judge(doc: Mapping[str, Any], schema: Mapping[str, Any]) -> list[Issue]:
    """The issues of the first stage (2 to 4) that finds any, sorted by key; empty when valid."""
    for stage in (lambda: unjudgeable(doc), lambda: schema_issues(doc, schema), lambda: order_issues(doc, schema)):
        issues = stage()
        if issues:
            return sorted(issues, key=lambda i: (i.key or "", i.message))
    return []


def unjudgeable(doc: Any) -> list[Issue]:
    """Stage 2: values no setting takes and the schema cannot describe (nan slips through its ranges)."""
    return list(_unjudgeable(doc, ()))


def _unjudgeable(value: Any, path: tuple[str, ...]) -> Iterator[Issue]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _unjudgeable(v, path + (k,))
    elif isinstance(value, list):
        for v in value:  # an array's items are reported on the array
            yield from _unjudgeable(v, path)
    elif isinstance(value, float) and not math.isfinite(value):
        yield Issue(_dotted(path), f"{value} is not a finite number", rule="not-finite", value=value)
    elif isinstance(value, (datetime, date, time)):
        yield Issue(_dotted(path), f"{value.isoformat()} is a date or time, which no setting accepts", rule="date",
                    value=value)
    elif isinstance(value, str) and (control := _CONTROL.search(value)):
        # TOML lets escapes such as \u0000 put control characters in a string; no
        # setting wants one, and a NUL breaks file paths and host names further down.
        yield Issue(_dotted(path), f"contains the control character U+{ord(control[0]):04X}, which no setting accepts",
                    rule="control", value=value, reason=control[0])


def _is_integer(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 5.0 as an integer; TOML does not, nor does the Go judge's typed decoding.
    return isinstance(instance, int) and not isinstance(instance, bool)


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


StrictValidator = validators.extend(
    Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)
"""Draft 2020-12 with the contract's patterns (ECMA-262) and integers (no floats)."""

_validators: dict[int, tuple[Mapping[str, Any], Any]] = {}


def validator(schema: Mapping[str, Any]) -> Any:
    """The strict validator of `schema` (made once per schema object)."""
    held = _validators.get(id(schema))
    if held is None or held[0] is not schema:
        held = _validators[id(schema)] = (schema, StrictValidator(schema))
    return held[1]


def schema_issues(doc: Mapping[str, Any], schema: Mapping[str, Any]) -> list[Issue]:
    """Stage 3: every way `doc` breaks the schema, each (key, message) once.

    Each issue keeps its ValidationError (`error`), so a consumer may word it anew;
    the key stays the package's.
    """
    seen: set[Issue] = set()
    issues = []
    for error in validator(schema).iter_errors(doc):
        for issue in _explain(error):
            if issue not in seen:
                seen.add(issue)
                issues.append(issue)
    return issues


def _explain(error: ValidationError) -> list[Issue]:
    path = list(error.absolute_path)
    # An array element is no key: report it on the array, naming the item.
    item = next((i for i, p in enumerate(path) if isinstance(p, int)), None)
    prefix = ""
    if item is not None:
        prefix = f"item {path[item] + 1}: "
        path = path[:item]
    key = _dotted(path)
    rule = str(error.validator)
    subschema = error.schema if isinstance(error.schema, dict) else {}
    if "x-error" in subschema:
        message = prefix + subschema["x-error"].replace("{value}", str(error.instance))
        return [Issue(key, message, rule=rule, value=error.instance, error=error)]
    if error.validator == "required" and item is None:
        missing = [k for k in error.validator_value if k not in error.instance]
        return [Issue(_join(key, k), "required key is missing", rule=rule, reason=k, error=error) for k in missing]
    if error.validator == "additionalProperties" and item is None:
        known = list(subschema.get("properties", {}))
        return [Issue(_join(key, k), "unknown key", rule=rule, reason=k, error=error)
                for k in error.instance if k not in known]
    return [Issue(key or None, prefix + error.message, rule=rule, value=error.instance, error=error)]


def order_issues(doc: Mapping[str, Any], schema: Mapping[str, Any]) -> list[Issue]:
    """Stage 4: the schema's `x-order` pairs, which JSON Schema cannot express."""
    issues = []
    for rule in schema.get("x-order", []):
        low, high = value_at(doc, rule["lower"]), value_at(doc, rule["upper"])
        if high < low or (rule["strict"] and high == low):
            issues.append(Issue(rule["upper"], rule["x-error"], rule="order", value=high, error=rule))
    return issues


def value_at(doc: Mapping[str, Any], key: str) -> Any:
    """The value at a dotted key."""
    node: Any = doc
    for part in key.split("."):
        node = node[part]
    return node


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"\\": "\\\\", '"': '\\"'}


def key_part(part: Any) -> str:
    """One step of a key path as TOML spells it: bare when it can be, else a quoted basic string.

    Without the quotes a key named "" or "a.b" would be reported as no key or as two.
    """
    text = str(part)
    if _BARE_KEY.fullmatch(text):
        return text
    escaped = "".join(_ESCAPES.get(c) or (f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else c) for c in text)
    return f'"{escaped}"'


def _dotted(path: list[Any] | tuple[Any, ...]) -> str:
    return ".".join(key_part(p) for p in path)


def _join(table: str, key: str) -> str:
    return f"{table}.{key_part(key)}" if table else key_part(key)
