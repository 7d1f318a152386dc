"""Judge a config against the schema, with errors that name the key and the fix.

The judging is the config contract package's (`configcontract`, config/CONTRACT.md):
the verdict and the keys at fault come from there, as the services get them. This
module words each issue for a person (message and fix) and edits with tomlkit.
"""
from __future__ import annotations

import difflib
import re
import tomllib
from typing import TYPE_CHECKING, Any

import configcontract
import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError

from .errors import SYNTAX, ConfigInvalid, Issue
from .schema import Schema

if TYPE_CHECKING:  # jsonschema is imported where it validates: most commands never need it
    from jsonschema import ValidationError

# Names that smell of credentials: these must come from a Kubernetes Secret, never the file.
_SECRET = re.compile(r"pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|account", re.I)
_SECRET_FIX = (
    "remove it: secrets never go in config.toml; put it in a Kubernetes Secret "
    "and pass it to the service as an environment variable"
)

MAX_DEPTH = configcontract.MAX_DEPTH

_TOML_1_0_FIX = (
    "write it in TOML 1.0, which the services read: string escapes only \\b \\t \\n \\f \\r \\\" \\\\ "
    "\\uXXXX \\UXXXXXXXX (no \\e, no \\xHH), each inline table on one line without a trailing comma, "
    "times with seconds (09:30:00)"
)


def decode(data: bytes, source: str = "config") -> str:
    """The text of config bytes: UTF-8 (a byte-order mark is refused by `load_strict`, as TOML 1.0 asks)."""
    try:
        return configcontract.decode(data)
    except configcontract.Refused as e:
        raise ConfigInvalid([_syntax_worded(i, "", data) for i in e.issues], source) from e


def encode(text: str, source: str = "config") -> bytes:
    """The UTF-8 bytes of config text; text holding what UTF-8 cannot encode is refused."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ConfigInvalid([Issue(SYNTAX, f"holds {text[e.start:e.end]!r} at character {e.start}, which is not "
                                   "UTF-8 text", "pass UTF-8 text")], source) from e


def load_strict(text: str, source: str = "config") -> dict[str, Any]:
    """Read TOML exactly as the services do: TOML 1.0 within the contract's limits (configcontract)."""
    try:
        return configcontract.parse_text(text)
    except configcontract.Refused as e:
        raise ConfigInvalid([_syntax_worded(i, text) for i in e.issues], source) from e


def _syntax_worded(issue: configcontract.Issue, text: str, data: bytes = b"") -> Issue:
    """The package's refusal of the file or its TOML (no key), worded for a person."""
    if issue.rule == "bom":
        return Issue(SYNTAX, "starts with a UTF-8 byte-order mark (bytes EF BB BF), which TOML 1.0 readers refuse",
                     "save the file as UTF-8 without a byte-order mark")
    if issue.rule == "utf8":
        at = issue.value
        line = data.count(b"\n", 0, at) + 1
        column = at - (data.rfind(b"\n", 0, at) + 1) + 1
        return Issue(SYNTAX, f"not UTF-8 text: byte 0x{data[at]:02x} at line {line}, column {column} (byte {at})",
                     "save the file as UTF-8")
    if issue.rule == "depth":
        return Issue(SYNTAX, f"nests tables or arrays more than {MAX_DEPTH} levels deep",
                     "a config nests a few levels at most: remove the extra brackets")
    if issue.rule == "int64":
        return Issue(SYNTAX, f"not valid TOML: the integer {issue.value} of {issue.reason} does not fit in 64 bits",
                     "write a whole number from -9223372036854775808 to 9223372036854775807", issue.value)
    if issue.rule == "float-range":
        return Issue(SYNTAX, f"not valid TOML{_where(text, issue.value)}: the float {issue.value} is beyond what a "
                     "64-bit float holds", "write a number within ±1.7976931348623157e308")
    if issue.rule == "toml":
        return _syntax_issue(issue.reason, issue.line, issue.column, text)
    return Issue(SYNTAX, issue.message, "")


def _where(text: str, literal: str) -> str:
    """Where `literal` first appears, as " at line N (`the line`)"; "" when it does not."""
    at = text.find(literal)
    if at < 0:
        return ""
    line = text.count("\n", 0, at) + 1
    return f" at line {line}{_line_of(text, line)}"


def _syntax_issue(reason: str, line: int | None, column: int | None, text: str) -> Issue:
    where = f" at line {line}, column {column}" if line else " at the end"
    quoted = _line_of(text, line) if line else ""
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


def issues_of(data: dict[str, Any], schema: Schema) -> list[Issue]:
    """Every way `data` breaks the contract at its first failing stage, sorted by key; empty when valid."""
    found: dict[tuple[str, str], Issue] = {}
    for issue in configcontract.judge(data, schema.document):
        worded = _worded(issue, data, schema)
        found.setdefault((worded.key, worded.message), worded)
    return sorted(found.values(), key=lambda i: i.key)


def _worded(issue: configcontract.Issue, data: dict[str, Any], schema: Schema) -> Issue:
    """The package's issue (its key kept) in the toolkit's words, with the fix."""
    key = issue.key or ""
    if issue.rule == "control":
        return Issue(key, f"contains the control character U+{ord(issue.reason):04X}, which no setting accepts",
                     "remove it (look for an escape such as \\u0000 or \\n)", issue.value)
    if issue.rule == "not-finite":
        return Issue(key, f"{issue.value} is not a number any setting can hold", "write a finite number", issue.value)
    if issue.rule == "date":
        return Issue(key, f"{issue.value.isoformat()} is a date or time, which no setting takes",
                     "quote it if you meant text", str(issue.value))
    if issue.rule == "order":
        rule = issue.error
        low = configcontract.value_at(data, rule["lower"])
        relation = "above" if rule["strict"] else "at least"
        return Issue(key, rule["x-error"],
                     f"use a value {relation} {tomlkit.item(low).as_string()}, or lower {rule['lower']}", issue.value)
    if issue.error is None:
        return Issue(key or "<root>", issue.message, issue.fix, issue.value)
    return _explain(issue, schema)


def order_issues(data: dict[str, Any], schema: Schema) -> list[Issue]:
    """The schema's `x-order` pairs (JSON Schema cannot compare two values), on a config that passes the rest."""
    return sorted((_worded(i, data, schema) for i in configcontract.order_issues(data, schema.document)),
                  key=lambda i: i.key)


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



def _explain(issue: configcontract.Issue, schema: Schema) -> Issue:
    """A schema fault (stage 3) in the toolkit's words; the key is the package's."""
    err = issue.error
    key = issue.key or ""
    path = list(err.absolute_path)
    item = next((i for i, p in enumerate(path) if isinstance(p, int)), None)
    if item is not None:
        # An array element's error is reported on the array's key, naming the element.
        field = schema.field(key)
        fix = f"use {field.allowed()}" if field else ""
        return Issue(key, f"item {path[item] + 1}: {_message(err)}", fix, err.instance)
    spec = err.schema if isinstance(err.schema, dict) else {}
    if issue.rule == "additionalProperties":
        return unknown_key_issue(key, issue.reason, list(spec.get("properties", {})))
    if issue.rule == "required":
        table, missing = key.rpartition(".")[0], issue.reason
        if schema.is_table(key):
            return Issue(key, "missing table", f"add the [{key}] table (invoke config.init shows its defaults)")
        field = schema.field(key)
        default = tomlkit.item(field.default).as_string() if field else "…"
        return Issue(key, "missing key", f"add `{missing} = {default}` to [{table}]" if table else f"add `{missing}`")
    if "x-error" in spec:
        return Issue(key, spec["x-error"].replace("{value}", repr(err.instance)), value=err.instance)
    field = schema.field(key)
    fix = f"use {field.allowed()}" if field else ""
    if field and field.default is not None:
        fix += f" (default {tomlkit.item(field.default).as_string()})"
    if err.validator == "type" and schema.is_table(key):
        return Issue(key, f"must be a table, not {shown(err.instance)}", f"write it as [{key}]")
    return Issue(key or "<root>", _message(err), fix, err.instance)



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
    # `full` ends with `name` as TOML spells it (quoted when not a bare key); the rest is its table.
    spelt = configcontract.key_part(name)
    parent = full[:-len(spelt)].rstrip(".") if full.endswith(spelt) else ""
    if close:
        fix = f"did you mean `{(parent + '.') if parent else ''}{close[0]}`?"
    else:
        fix = "remove it; valid keys here: " + ", ".join(allowed)
    return Issue(full, "unknown key", fix)
