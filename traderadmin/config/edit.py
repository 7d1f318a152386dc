"""`KEY=VALUE` edits applied to the TOML document without losing comments or layout."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

import tomlkit
from tomlkit.items import Item

from .access import MAX_BYTES
from .errors import ConfigInvalid, Issue
from .schema import Field, Schema
from .validate import shown, unknown_key_issue

_TRUE, _FALSE = {"true", "yes", "on"}, {"false", "no", "off"}


@dataclass(frozen=True)
class Assignment:
    key: str
    value: Any


def split_assignments(text: str) -> list[str]:
    """The `KEY=VALUE` words of one argument, split as a POSIX shell would (quotes group, backslashes escape).

    A value that starts with `[` or `{` is a TOML array or inline table and is kept
    verbatim up to its closing bracket, quotes included: `scanner.universe=["SPY", "QQQ"]`
    is one word whose value TOML reads, as the error messages suggest typing it.
    """
    words: list[str] = []
    word: str | None = None
    i = 0
    try:
        while i < len(text):
            ch = text[i]
            if ch.isspace():
                if word is not None:
                    words.append(word)
                    word = None
                i += 1
                continue
            word = word or ""
            if ch in "[{" and word.endswith("=") and word.count("=") == 1:
                end = _closing_bracket(text, i)
                word += text[i:end]
                i = end
            elif ch == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    raise ValueError("no closing quotation")
                word += text[i + 1:end]
                i = end + 1
            elif ch == '"':
                i += 1
                while True:
                    if i >= len(text):
                        raise ValueError("no closing quotation")
                    if text[i] == '"':
                        i += 1
                        break
                    if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
                        i += 1
                    word += text[i]
                    i += 1
            elif ch == "\\":
                if i + 1 >= len(text):
                    raise ValueError("no escaped character")
                word += text[i + 1]
                i += 2
            else:
                word += ch
                i += 1
    except ValueError as e:  # an unclosed quote or bracket, or a backslash with nothing after it
        key = (word or "").partition("=")[0] or text
        raise ConfigInvalid([Issue(key, f"{text!r}: {e}",
                                   'close every quote and bracket, e.g. ibkr.host="my host" or '
                                   'scanner.universe=["SPY", "QQQ"] (and quote the whole argument for your shell: '
                                   "'ibkr.host=\"my host\"')", text)],
                            "the requested change") from e
    if word is not None:
        words.append(word)
    return words


def _closing_bracket(text: str, start: int) -> int:
    """The index just after the bracket that closes the one at `start`; TOML strings inside are skipped."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch in "\"'":
            i += 1
            while i < len(text) and text[i] != ch:
                i += 2 if ch == '"' and text[i] == "\\" else 1
            if i >= len(text):
                raise ValueError("no closing quotation")
        i += 1
    raise ValueError(f"no closing bracket for {text[start]!r}")


def _toml_value(text: str) -> Any:
    """The one TOML 1.0 value `text` holds; ValueError naming what is wrong with it otherwise."""
    try:
        doc = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError as e:
        raise ValueError(re.sub(r" \(at .*\)$", "", str(e))) from e
    except RecursionError as e:  # tomllib recurses once per nested bracket
        raise ValueError("it nests too deeply") from e
    if list(doc) != ["v"]:
        raise ValueError("it holds more than one value")
    return doc["v"]


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
        except ValueError as e:
            raise ValueError(f"{raw!r} is not a well-quoted TOML 1.0 string ({e}); TOML 1.0 escapes are "
                             "\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX") from e
    return raw


def coerce(field: Field, raw: str) -> Any:
    """Turn the text after `=` into the schema's type for `field`."""
    if field.type != "array":
        return _scalar(field, field.type, raw)
    text = raw.strip()
    if text.startswith("["):
        try:
            return _toml_value(text)
        except ValueError as e:
            raise ValueError(f"{raw!r} is not a TOML 1.0 list such as [\"SPY\", \"QQQ\"] ({e})") from e
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
        if len(raw) > MAX_BYTES:  # refused before a slow edit: the whole config may not be that large
            issues.append(Issue(key, f"is {len(raw)} characters long, more than the {MAX_BYTES} bytes a whole config "
                                "may have", f"use {field.allowed()}", raw[:20] + "..."))
            continue
        if not _is_utf8(raw):
            data = raw.encode("utf-8", "surrogateescape")
            issues.append(Issue(key, f"{data!r} is not UTF-8 text", "type the value as UTF-8 (check the "
                                "terminal's encoding, e.g. LANG=C.UTF-8)", data))
            continue
        try:
            out.append(Assignment(key, coerce(field, raw)))
        except ValueError as e:
            issues.append(Issue(key, str(e), f"use {field.allowed()}", raw))
    if issues:
        raise ConfigInvalid(issues, "the requested change")
    return out


def _is_utf8(text: str) -> bool:
    # Bytes that are not UTF-8 reach argv as lone surrogates, which no UTF-8 file can hold.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
        for depth, p in enumerate(parents, 1):
            if p not in node:
                node[p] = tomlkit.table()
            node = node[p]
            if not isinstance(node, dict):
                table = ".".join(parents[:depth])
                raise ConfigInvalid([Issue(table, f"is {shown(node)} in the file, where a table is expected",
                                           f"make it the table [{table}] (invoke config.init shows its defaults)",
                                           node)], "the requested change")
        old = node.get(leaf)
        node[leaf] = _with_trivia(tomlkit.item(a.value), old)
