"""Judge a config against the schema, with errors that name the key and the fix."""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
from functools import lru_cache, partial
from typing import Any, Iterator

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


MAX_DEPTH = 32
"""How deeply tables and arrays may nest, counted as the services count it (keys and array
steps from the top to a value; their MAX_DEPTH and maxDepth): it keeps every reader (TOML,
JSON Schema, the error messages) far from its recursion limit."""

_INT64 = range(-(1 << 63), 1 << 63)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

_BOM = b"\xef\xbb\xbf"
_TOML_1_0_FIX = (
    "write it in TOML 1.0, which the services read: string escapes only \\b \\t \\n \\f \\r \\\" \\\\ "
    "\\uXXXX \\UXXXXXXXX (no \\e, no \\xHH), each inline table on one line without a trailing comma, "
    "times with seconds (09:30:00)"
)


def decode(data: bytes, source: str = "config") -> str:
    """The text of config bytes: UTF-8 without a byte-order mark, as TOML 1.0 requires."""
    if data.startswith(_BOM):
        raise ConfigInvalid([Issue(SYNTAX, "starts with a UTF-8 byte-order mark (bytes EF BB BF), which TOML 1.0 "
                                   "readers refuse", "save the file as UTF-8 without a byte-order mark")], source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ConfigInvalid([Issue(SYNTAX, f"not UTF-8 text: byte 0x{data[e.start]:02x} at line {line}, column "
                                   f"{column} (byte {e.start})", "save the file as UTF-8")], source) from e


def encode(text: str, source: str = "config") -> bytes:
    """The UTF-8 bytes of config text; text holding what UTF-8 cannot encode is refused."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ConfigInvalid([Issue(SYNTAX, f"holds {text[e.start:e.end]!r} at character {e.start}, which is not "
                                   "UTF-8 text", "pass UTF-8 text")], source) from e


def _parse_float(text: str, source: str, literal: str) -> float:
    # tomllib turns 1e400 into inf; TOML 1.0 calls it an error, and so do the services.
    value = float(literal)
    if math.isinf(value) and "inf" not in literal:
        raise ConfigInvalid([Issue(SYNTAX, f"not valid TOML{_where(text, literal)}: the float {literal} is beyond "
                                   "what a 64-bit float holds", "write a number within ±1.7976931348623157e308")],
                            source)
    return value


def load_strict(text: str, source: str = "config") -> dict[str, Any]:
    """Read TOML exactly as the services do: TOML 1.0 (Python's tomllib) within its limits.

    Those limits are 64-bit integers and floats, and MAX_DEPTH levels of nesting.
    """
    try:
        data = tomllib.loads(text, parse_float=partial(_parse_float, text, source))
    except tomllib.TOMLDecodeError as e:
        raise ConfigInvalid([_syntax_issue(str(e), text)], source) from e
    except RecursionError as e:  # tomllib recurses once per nested array or inline table
        raise ConfigInvalid([_too_deep()], source) from e
    problem = _beyond_limits(data, "", 0)
    if problem:
        raise ConfigInvalid([problem], source)
    return data


def _too_deep() -> Issue:
    return Issue(SYNTAX, f"nests tables or arrays more than {MAX_DEPTH} levels deep",
                 "a config nests a few levels at most: remove the extra brackets")


def _children(value: Any, key: str) -> Iterator[tuple[str, Any]]:
    """Each value directly inside `value`, with its dotted key (an array's items are reported on the array)."""
    if isinstance(value, dict):
        for name, child in value.items():
            yield (f"{key}.{name}" if key else name), child
    elif isinstance(value, list):
        for child in value:
            yield key, child


def _beyond_limits(value: Any, key: str, depth: int) -> Issue | None:
    """Why `value` (at `key`, `depth` keys and array steps below the top) is beyond TOML's limits, or None."""
    if depth > MAX_DEPTH:
        return _too_deep()
    if isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
        # tomllib reads integers of any size; TOML 1.0 and the services stop at 64 bits.
        return Issue(SYNTAX, f"not valid TOML: the integer {value} of {key} does not fit in 64 bits",
                     "write a whole number from -9223372036854775808 to 9223372036854775807", value)
    for child_key, child in _children(value, key):
        problem = _beyond_limits(child, child_key, depth + 1)
        if problem:
            return problem
    return None


def _unjudgeable(value: Any, key: str = "") -> Iterator[Issue]:
    """Values the schema cannot judge: control characters in strings, nan and inf, dates and times.

    CONTRACT.md's first stage: every judge reports these alone and stops, so all name the same keys.
    """
    # TOML lets escapes such as \u0000 put control characters into a string; no setting
    # wants one, and a NUL breaks host names and paths further down (the services agree).
    if isinstance(value, str) and (found := _CONTROL.search(value)):
        yield Issue(key, f"contains the control character U+{ord(found[0]):04X}, which no setting accepts",
                    "remove it (look for an escape such as \\u0000 or \\n)", value)
    elif isinstance(value, float) and not math.isfinite(value):
        yield Issue(key, f"{value} is not a number any setting can hold", "write a finite number", value)
    elif isinstance(value, (dt.date, dt.time)):
        yield Issue(key, f"{value.isoformat()} is a date or time, which no setting takes",
                    "quote it if you meant text", str(value))
    for child_key, child in _children(value, key):
        yield from _unjudgeable(child, child_key)


def _where(text: str, literal: str) -> str:
    """Where `literal` first appears, as " at line N (`the line`)"; "" when it does not."""
    at = text.find(literal)
    if at < 0:
        return ""
    line = text.count("\n", 0, at) + 1
    return f" at line {line}{_line_of(text, line)}"


def _syntax_issue(error: str, text: str) -> Issue:
    m = re.fullmatch(r"(?s)(.*?) \((?:at line (\d+), column (\d+)|at end of document)\)", error)
    reason, line, column = (m[1], m[2], m[3]) if m else (error, None, None)
    where = f" at line {line}, column {column}" if line else " at the end"
    quoted = _line_of(text, int(line)) if line else ""
    if _tomlkit_accepts(text):
        return Issue(SYNTAX, f"not valid TOML 1.0{where}{quoted}: {reason}; it looks like TOML 1.1 syntax, which "
                     "the services refuse", _TOML_1_0_FIX)
    return Issue(SYNTAX, f"not valid TOML{where}{quoted}: {reason}", "correct the TOML syntax at that position")


def _line_of(text: str, number: int) -> str:
    lines = text.split("\n")  # TOML's lines, which splitlines() would cut at more characters than \n
    line = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    return f" (`{line if len(line) <= 60 else line[:57] + '...'}`)" if line else ""


def _tomlkit_accepts(text: str) -> bool:
    try:
        tomlkit.parse(text)
    except Exception:  # any refusal (or tomlkit's own failure) means: not even TOML 1.1
        return False
    return True


def parse(text: str) -> tomlkit.TOMLDocument:
    """Parse TOML for editing, keeping comments and layout; syntax errors carry line and column.

    tomlkit reads TOML 1.1 too: judge the text with `load_strict` first.
    """
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


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    # JSON Schema patterns are ECMA-262 regular expressions, whose `$` matches only at the
    # very end; Python's also matches before a final newline, so "SPY\n" would pass here
    # and fail in the services.
    if validator.is_type(instance, "string") and not _ecma(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=64)
def _ecma(pattern: str) -> re.Pattern[str]:
    """`pattern` with its ECMA-262 meaning: `$` is the end of the string, \\d \\w \\s are ASCII."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(r"\Z" if c == "$" and not in_class else c)
        i += 1
    return re.compile("".join(out), re.ASCII)


_StrictValidator = validators.extend(
    Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number}),
)


def issues_of(data: dict[str, Any], schema: Schema) -> list[Issue]:
    """Every way `data` breaks the schema, sorted by key; empty when valid."""
    first = list(_unjudgeable(data))
    if first:
        return sorted(first, key=lambda i: i.key)
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
    """Judge `text` as the services would (TOML 1.0, the schema); return its document for further edits."""
    check(load_strict(text, source), schema, source)
    try:
        return parse(text)
    except ConfigInvalid as e:
        raise ConfigInvalid(e.issues, source) from e.__cause__


def check_bytes(data: bytes, schema: Schema, source: str = "config") -> dict[str, Any]:
    """Judge config bytes as the services would; return the config they hold."""
    config = load_strict(decode(data, source), source)
    check(config, schema, source)
    return config


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
        return [Issue(key, f"must be a table, not {shown(err.instance)}", f"write it as [{key}]")]
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
        return f"{shown(err.instance)} is not {_article(err.validator_value)}"
    template = _MESSAGES.get(str(err.validator))
    if template is None:
        return err.message
    return template.format(value=shown(err.instance), limit=err.validator_value)


def _article(type_name: Any) -> str:
    words = {"integer": "a whole number", "number": "a number", "string": "a string",
             "boolean": "true or false", "array": "a list", "object": "a table"}
    return words.get(str(type_name), str(type_name))


def shown(value: Any) -> str:
    """A value as TOML would write it, cut short for messages."""
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
