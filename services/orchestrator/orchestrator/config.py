"""Read, parse and validate a config file against the bundled schema.

schema.json is a copy of the project's config/schema.json (a repository test
keeps them equal); the service ships it so it judges configs exactly like the
toolkit and the scanner do.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from typing import Any, Iterator

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError


@dataclass(frozen=True)
class Issue:
    """One problem in a config; `key` is the dotted path at fault, None for TOML syntax."""

    key: str | None
    message: str

    def __str__(self) -> str:
        return self.message if self.key is None else f"{self.key}: {self.message}"


class ConfigError(Exception):
    """A config that must not be applied: its TOML does not parse, or it breaks the schema."""

    def __init__(self, issues: list[Issue], syntax: bool = False) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues
        self.syntax = syntax

    @property
    def keys(self) -> list[str]:
        return [i.key for i in self.issues if i.key is not None]


def sha256(data: bytes) -> str:
    """The config's identity: lowercase hex SHA-256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()


@cache
def schema() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8"))


def schema_default(*path: str) -> Any:
    """The schema's default for a key, for settings needed before any config is applied."""
    node = schema()
    for part in path:
        node = node["properties"][part]
    return node["default"]


def _is_integer(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 5.0 as an integer; TOML does not, and neither does the
    # scanner's typed decoding, so a float for an integer key is refused here too.
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@cache
def _validator() -> Any:
    return _Validator(schema())


def load(data: bytes) -> dict[str, Any]:
    """Parse and validate config bytes; the returned dict is the effective config."""
    doc = parse(data)
    issues = validate(doc)
    if issues:
        raise ConfigError(issues)
    return doc


def parse(data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError([Issue(None, f"invalid TOML: not UTF-8 text (byte {e.start})")], syntax=True) from e
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError([Issue(None, _syntax_message(str(e)))], syntax=True) from e


def _syntax_message(error: str) -> str:
    m = re.fullmatch(r"(?s)(.*?) \((at line \d+, column \d+|at end of document)\)", error)
    return f"invalid TOML {m[2]}: {m[1]}" if m else f"invalid TOML: {error}"


def validate(doc: dict[str, Any]) -> list[Issue]:
    """Every way `doc` breaks the schema, sorted by key; empty when valid."""
    # Values JSON cannot hold (dates, nan, inf) are judged first: the schema's
    # range checks let nan through, and nothing else could describe them.
    issues = list(_non_json_values(doc, ()))
    if not issues:
        seen: set[Issue] = set()
        for error in _validator().iter_errors(doc):
            for issue in _explain(error, doc):
                if issue not in seen:
                    seen.add(issue)
                    issues.append(issue)
    if not issues:
        issues = _order_issues(doc)
    return sorted(issues, key=lambda i: (i.key or "", i.message))


def _order_issues(doc: dict[str, Any]) -> list[Issue]:
    """The schema's `x-order` pairs, which JSON Schema cannot express: judged once the rest passes."""
    issues = []
    for rule in schema().get("x-order", []):
        low, high = _at(doc, rule["lower"]), _at(doc, rule["upper"])
        if high < low or (rule["strict"] and high == low):
            issues.append(Issue(rule["upper"], rule["x-error"]))
    return issues


def _at(doc: dict[str, Any], key: str) -> Any:
    node: Any = doc
    for part in key.split("."):
        node = node[part]
    return node


def _non_json_values(value: Any, path: tuple[str, ...]) -> Iterator[Issue]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _non_json_values(v, path + (k,))
    elif isinstance(value, list):
        for v in value:
            yield from _non_json_values(v, path)
    elif isinstance(value, float) and not math.isfinite(value):
        yield Issue(_dotted(path), f"{value} is not a finite number")
    elif isinstance(value, (datetime, date, time)):
        yield Issue(_dotted(path), f"{value.isoformat()} is a date or time, which no setting accepts")


def _explain(error: ValidationError, doc: dict[str, Any]) -> list[Issue]:
    path = list(error.absolute_path)
    # An array element is no key: report it on the array, naming the item.
    item = next((i for i, p in enumerate(path) if isinstance(p, int)), None)
    prefix = ""
    if item is not None:
        prefix = f"item {path[item] + 1}: "
        path = path[:item]
    key = _dotted(path)
    subschema = error.schema if isinstance(error.schema, dict) else {}
    if "x-error" in subschema:
        return [Issue(key, prefix + subschema["x-error"].replace("{value}", str(error.instance)))]
    if error.validator == "required" and item is None:
        missing = [k for k in error.validator_value if k not in error.instance]
        return [Issue(_join(key, k), "required key is missing") for k in missing]
    if error.validator == "additionalProperties" and item is None:
        known = list(subschema.get("properties", {}))
        return [Issue(_join(key, k), "unknown key" + _suggestion(k, known)) for k in error.instance if k not in known]
    return [Issue(key or None, prefix + error.message)]


def _suggestion(name: str, known: list[str]) -> str:
    best, best_distance = "", len(name) // 2 + 1
    for candidate in sorted(known):
        d = _edit_distance(name, candidate)
        if d < best_distance:
            best, best_distance = candidate, d
    return f' (did you mean "{best}"?)' if best else ""


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _dotted(path: list[Any] | tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def _join(table: str, key: str) -> str:
    return f"{table}.{key}" if table else key
