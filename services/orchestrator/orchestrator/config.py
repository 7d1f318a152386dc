"""Read, parse and validate a config file against the bundled schema.

schema.json is a copy of the project's config/schema.json (a repository test
keeps them equal); the service ships it so it judges configs exactly like the
toolkit and the scanner do. The rules both services share beyond the schema
(file limits, TOML 1.0, numbers, patterns) are listed in config/CONTRACT.md.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from ._toml10 import MAX_DEPTH, check_toml10

MAX_BYTES = 1 << 20
"""The size cap of a config file (1 MiB; a full config is about 5 KiB), the scanner's too."""

_INT64 = range(-(1 << 63), 1 << 63)


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


class FileRefused(OSError):
    """The config path holds something no judge reads: not a regular file, or too large."""


def read_file(path: Path) -> bytes:
    """The bytes of the config file at `path`, if it is a regular file within MAX_BYTES.

    A FIFO would block the reader until some writer comes, forever, and a device
    such as /dev/zero never ends; a huge file meets the pod's memory limit. A
    symlink to a regular file (as a ConfigMap mounts it) is read.
    """
    # O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"not a regular file but {_file_kind(info.st_mode)}; the config must be a regular file")
        if info.st_size > MAX_BYTES:
            raise FileRefused(_too_large(info.st_size))
        chunks, left = [], MAX_BYTES + 1  # one byte more tells a file that grew past the cap
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise FileRefused(_too_large(None))
    return data


def _too_large(size: int | None) -> str:
    limit = f"larger than {MAX_BYTES} bytes (1 MiB), the limit for a config file"
    return limit if size is None else f"{size} bytes, {limit}"


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return f"a special file (mode {stat.S_IFMT(mode):o})"


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


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    # JSON Schema patterns are ECMA-262 regular expressions, where `$` matches only
    # at the very end; Python's also matches before a final newline, so "SPY\n"
    # would pass here and fail in the scanner (Go's `$` is ECMA's).
    if validator.is_type(instance, "string") and not _ecma(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _ecma(pattern: str) -> re.Pattern[str]:
    """`pattern` with ECMA-262 meanings: `$` is the end of the string, \\d \\w \\s are ASCII."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(r"\Z" if c == "$" and not in_class else c)
        i += 1
    return re.compile("".join(out), re.ASCII)


_Validator = validators.extend(
    Draft202012Validator,
    validators={"pattern": _pattern},
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
    """TOML 1.0 within the contract's limits (size, depth, 64-bit integers, finite float literals)."""
    if len(data) > MAX_BYTES:
        raise _syntax(f"config is {_too_large(len(data))}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _syntax(f"invalid TOML: not UTF-8 text (byte {e.start})") from e
    # Before tomllib: it recurses into arrays and takes quadratic time on long dotted keys.
    problem = check_toml10(text)
    if problem is not None:
        raise _syntax(problem)
    try:
        doc = tomllib.loads(text, parse_float=_parse_float)
    except tomllib.TOMLDecodeError as e:
        raise _syntax(_syntax_message(str(e))) from e
    except _OutOfRange as e:
        raise _syntax(f"invalid TOML: {e}") from e
    problem = _beyond_limits(doc, 0)
    if problem is not None:
        raise _syntax(problem)
    return doc


def _syntax(message: str) -> ConfigError:
    return ConfigError([Issue(None, message)], syntax=True)


class _OutOfRange(ValueError):
    pass


def _parse_float(text: str) -> float:
    # tomllib turns 1e400 into inf; TOML asks for an error, as the scanner gives.
    value = float(text)
    if math.isinf(value) and "inf" not in text:
        raise _OutOfRange(f"float {text} is out of range for a 64-bit float")
    return value


def _beyond_limits(value: Any, depth: int) -> str | None:
    """Why `value` (at `depth` keys and array steps below the top) breaks the limits, or None.

    check_toml10 counted the depth it could see; an array of tables adds a level
    its later [a.b] headers do not show, so the result is counted too. tomllib
    accepts integers of any size; TOML and the scanner stop at 64 bits.
    """
    if depth > MAX_DEPTH:
        return f"invalid TOML: tables and arrays nest more than {MAX_DEPTH} levels deep, the limit for a config"
    children: Any = ()
    if isinstance(value, dict):
        children = value.values()
    elif isinstance(value, list):
        children = value
    elif isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
        return f"invalid TOML: integer {value} does not fit in 64 bits"
    for child in children:
        problem = _beyond_limits(child, depth + 1)
        if problem is not None:
            return problem
    return None


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
    elif isinstance(value, str) and (control := _CONTROL.search(value)):
        # TOML lets escapes such as \u0000 put control characters in a string; no
        # setting wants one, and a NUL breaks file paths and host names further down.
        yield Issue(_dotted(path), f"contains the control character U+{ord(control[0]):04X}, which no setting accepts")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


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
