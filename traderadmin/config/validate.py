"""Judge a config against the schema, with errors that name the key and the fix."""
from __future__ import annotations

import difflib
import math
import re
import tomllib
from typing import Any

import tomlkit
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from tomlkit.exceptions import ParseError, TOMLKitError

from .errors import SYNTAX, ConfigInvalid, Issue
from .schema import Schema

# Names that smell of credentials: these must come from a Kubernetes Secret, never the file.
_SECRET = re.compile(r"pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|account", re.I)
_SECRET_FIX = (
    "remove it: secrets never go in config.toml; put it in a Kubernetes Secret "
    "and pass it to the service as an environment variable"
)


def parse(text: str) -> tomlkit.TOMLDocument:
    """Parse TOML keeping comments and layout; syntax errors carry line and column."""
    try:
        return tomlkit.parse(text)
    except ParseError as e:
        where, reason = f"line {e.line}, column {e.col}", _parse_reason(e)
        error: Exception = e
    except TOMLKitError as e:
        # Some errors (a duplicate key) come without a position; the stdlib parser has one.
        where, reason, error = "", str(e), e
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as std:
            m = re.search(r"\(at line (\d+), column (\d+)\)", str(std))
            if m:
                where = f"line {m[1]}, column {m[2]}"
    at = f" at {where}" if where else ""
    raise ConfigInvalid(
        [Issue(SYNTAX, f"not valid TOML{at}: {reason}", "correct the TOML syntax at that position")]
    ) from error


def _parse_reason(e: ParseError) -> str:
    # tomlkit appends " at line L col C" to its message; we report the position ourselves.
    return re.sub(r" at line \d+ col \d+$", "", str(e))


def _is_integer(checker: Any, value: Any) -> bool:
    # JSON Schema counts 5.0 as an integer; TOML tells 5 and 5.0 apart, and so does the Go scanner.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(checker: Any, value: Any) -> bool:
    # nan and inf slip through minimum/maximum; no tunable means either.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


_StrictValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number}),
)


def issues_of(data: dict[str, Any], schema: Schema) -> list[Issue]:
    """Every way `data` breaks the schema, sorted by key; empty when valid."""
    validator = _StrictValidator(schema.document)
    found: dict[tuple[str, str], Issue] = {}
    for err in validator.iter_errors(data):
        for issue in _explain(err, schema):
            found.setdefault((issue.key, issue.message), issue)
    if not found:
        return order_issues(data, schema)
    return sorted(found.values(), key=lambda i: i.key)


def _value_at(data: dict[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def order_issues(data: dict[str, Any], schema: Schema) -> list[Issue]:
    """The schema's `x-order` pairs (JSON Schema cannot compare two values), on a config that passes the rest."""
    issues = []
    for rule in schema.document.get("x-order", []):
        low, high = _value_at(data, rule["lower"]), _value_at(data, rule["upper"])
        if high < low or (rule["strict"] and high == low):
            relation = "above" if rule["strict"] else "at least"
            issues.append(Issue(rule["upper"], rule["x-error"],
                                f"use a value {relation} {tomlkit.item(low).as_string()}, or lower {rule['lower']}", high))
    return sorted(issues, key=lambda i: i.key)


def check(data: dict[str, Any], schema: Schema, source: str = "config") -> None:
    """Raise ConfigInvalid with every issue of `data`."""
    issues = issues_of(data, schema)
    if issues:
        raise ConfigInvalid(issues, source)


def check_text(text: str, schema: Schema, source: str = "config") -> tomlkit.TOMLDocument:
    """Parse and validate; return the document for further edits."""
    try:
        doc = parse(text)
    except ConfigInvalid as e:
        e.source = source
        raise ConfigInvalid(e.issues, source) from e.__cause__
    check(doc.unwrap(), schema, source)
    return doc


def _dotted(path: Any) -> str:
    return ".".join(str(p) for p in path)


def _explain(err: ValidationError, schema: Schema) -> list[Issue]:
    path = list(err.absolute_path)
    item = next((i for i, p in enumerate(path) if isinstance(p, int)), None)
    if item is not None:
        # An array element's error is reported on the array's key, naming the element.
        key = _dotted(path[:item])
        field = schema.field(key)
        fix = f"use {field.allowed()}" if field else ""
        return [Issue(key, f"item {path[item] + 1}: {_message(err)}", fix, err.instance)]
    key = _dotted(path)
    spec = err.schema if isinstance(err.schema, dict) else {}
    if err.validator == "additionalProperties":
        allowed = list(spec.get("properties", {}))
        extras = [k for k in err.instance if k not in allowed]
        return [unknown_key_issue(f"{key}.{k}" if key else k, k, allowed) for k in extras]
    if err.validator == "required":
        missing = err.message.split("'")[1]
        full = f"{key}.{missing}" if key else missing
        if schema.is_table(full):
            return [Issue(full, "missing table", f"add the [{full}] table (invoke config.init shows its defaults)")]
        field = schema.field(full)
        default = tomlkit.item(field.default).as_string() if field else "…"
        return [Issue(full, "missing key", f"add `{missing} = {default}` to [{key}]" if key else f"add `{missing}`")]
    if "x-error" in spec:
        return [Issue(key, spec["x-error"].replace("{value}", repr(err.instance)), value=err.instance)]
    field = schema.field(key)
    fix = f"use {field.allowed()}" if field else ""
    if field and field.default is not None:
        fix += f" (default {tomlkit.item(field.default).as_string()})"
    if err.validator == "type" and schema.is_table(key):
        return [Issue(key, f"must be a table, not {_shown(err.instance)}", f"write it as [{key}]")]
    return [Issue(key or "<root>", _message(err), fix, err.instance)]


# How each failed keyword reads: {value} is the offending value, {limit} the keyword's own value.
_MESSAGES = {
    "enum": "{value} is not allowed",
    "pattern": "{value} has the wrong form",
    "minimum": "{value} is below the minimum {limit}",
    "maximum": "{value} is above the maximum {limit}",
    "uniqueItems": "{value} lists a value twice",
    "minItems": "must list at least one value",
}


def _message(err: ValidationError) -> str:
    if err.validator == "type":
        return f"{_shown(err.instance)} is not {_article(err.validator_value)}"
    template = _MESSAGES.get(str(err.validator))
    if template is None:
        return err.message
    return template.format(value=_shown(err.instance), limit=err.validator_value)


def _article(type_name: Any) -> str:
    words = {"integer": "a whole number", "number": "a number", "string": "a string",
             "boolean": "true or false", "array": "a list", "object": "a table"}
    return words.get(str(type_name), str(type_name))


def _shown(value: Any) -> str:
    try:
        text = tomlkit.item(value).as_string()
    except Exception:  # values tomlkit cannot render (e.g. None) are shown as Python sees them
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def unknown_key_issue(full: str, name: str, allowed: list[str]) -> Issue:
    """An unknown key: a secret gets the Secret advice, a typo the closest valid name."""
    if _SECRET.search(name):
        return Issue(full, "looks like a secret", _SECRET_FIX)
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    parent = full.rsplit(".", 1)[0] if "." in full else ""
    if close:
        fix = f"did you mean `{(parent + '.') if parent else ''}{close[0]}`?"
    else:
        fix = "remove it; valid keys here: " + ", ".join(allowed)
    return Issue(full, "unknown key", fix)
