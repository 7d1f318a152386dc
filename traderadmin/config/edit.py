"""`KEY=VALUE` edits applied to the TOML document without losing comments or layout."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

import tomlkit
from tomlkit.items import Item

from .errors import ConfigInvalid, Issue
from .schema import Field, Schema
from .validate import unknown_key_issue

_TRUE, _FALSE = {"true", "yes", "on"}, {"false", "no", "off"}


@dataclass(frozen=True)
class Assignment:
    key: str
    value: Any


def _toml_value(text: str) -> Any:
    return tomllib.loads(f"v = {text}")["v"]


def _scalar(field: Field, kind: str, raw: str) -> Any:
    text = raw.strip()
    if kind == "integer":
        try:
            return int(text.replace("_", ""))
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    if kind == "number":
        try:
            return float(text.replace("_", ""))
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    if kind == "boolean":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"{raw!r} is not true or false")
    if text[:1] and text[0] in "\"'":
        try:
            return _toml_value(text)
        except tomllib.TOMLDecodeError:
            raise ValueError(f"{raw!r} is not a well-quoted string") from None
    return raw


def coerce(field: Field, raw: str) -> Any:
    """Turn the text after `=` into the schema's type for `field`."""
    if field.type != "array":
        return _scalar(field, field.type, raw)
    text = raw.strip()
    if text.startswith("["):
        try:
            return _toml_value(text)
        except tomllib.TOMLDecodeError:
            raise ValueError(f"{raw!r} is not a TOML list such as [\"SPY\", \"QQQ\"]") from None
    item_type = field.spec.get("items", {}).get("type", "string")
    return [_scalar(field, item_type, part) for part in text.split(",") if part.strip()]


def parse_assignments(pairs: list[str], schema: Schema) -> list[Assignment]:
    """Parse `KEY=VALUE` words; every problem is collected before anything is raised."""
    out, issues = [], []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            issues.append(Issue(pair or "<empty>", "is not KEY=VALUE", "write it as e.g. trading.max_positions=6"))
            continue
        field = schema.field(key)
        if field is None:
            issues.append(_not_a_field(key, schema))
            continue
        try:
            out.append(Assignment(key, coerce(field, raw)))
        except ValueError as e:
            issues.append(Issue(key, str(e), f"use {field.allowed()}", raw))
    if issues:
        raise ConfigInvalid(issues, "the requested change")
    return out


def _not_a_field(key: str, schema: Schema) -> Issue:
    if schema.is_table(key):
        keys = ", ".join(k for k in schema.fields if k.startswith(key + "."))
        return Issue(key, "is a table, not a value", f"set one of its keys: {keys}")
    parent, _, name = key.rpartition(".")
    return unknown_key_issue(key, name, schema.children(parent))


def _with_trivia(new: Item, old: Any) -> Item:
    # Keep the old value's inline comment and spacing: only the value changes.
    if isinstance(old, Item):
        for attr in ("indent", "comment_ws", "comment", "trail"):
            setattr(new.trivia, attr, getattr(old.trivia, attr))
    return new


def apply(doc: tomlkit.TOMLDocument, assignments: list[Assignment]) -> None:
    """Set each value in place; tables missing from the document are added."""
    for a in assignments:
        *parents, leaf = a.key.split(".")
        node: Any = doc
        for p in parents:
            if p not in node:
                node[p] = tomlkit.table()
            node = node[p]
        old = node.get(leaf)
        node[leaf] = _with_trivia(tomlkit.item(a.value), old)
