"""Config bytes to a document: strict TOML 1.0 within the contract's limits (stage 1, no key)."""
from __future__ import annotations

import math
import re
import tomllib
from typing import Any

from .issue import Issue, Refused
from .readfile import MAX_BYTES, too_large
from .toml10 import MAX_DEPTH, refusal

_INT64 = range(-(1 << 63), 1 << 63)
_DEEP = f"invalid TOML: tables and arrays nest more than {MAX_DEPTH} levels deep, the limit for a config"


def parse(data: bytes) -> dict[str, Any]:
    """TOML 1.0 within the contract's limits (size, depth, 64-bit numbers); raises Refused (syntax)."""
    if len(data) > MAX_BYTES:
        raise _syntax(Issue(None, f"config is {too_large(len(data))}", rule="size", value=len(data)))
    return parse_text(decode(data))


def decode(data: bytes) -> str:
    """The text of config bytes, which must be UTF-8 (a byte-order mark is the walk's to refuse)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _syntax(Issue(None, f"invalid TOML: not UTF-8 text (byte {e.start})", rule="utf8", value=e.start)) from e


def parse_text(text: str) -> dict[str, Any]:
    """`parse` for text already decoded."""
    # Before tomllib: it recurses into arrays and takes quadratic time on long dotted keys.
    found = refusal(text)
    if found is not None:
        raise _syntax(Issue(None, str(found), rule=found.rule, line=found.line, column=found.column,
                            reason=found.reason))
    try:
        doc = tomllib.loads(text, parse_float=_parse_float)
    except tomllib.TOMLDecodeError as e:
        raise _syntax(_decode_issue(str(e))) from e
    except _OutOfRange as e:
        raise _syntax(Issue(None, f"invalid TOML: {e}", rule="float-range", value=e.literal)) from e
    except RecursionError as e:  # the walk keeps this away; should it not, still no traceback
        raise _syntax(Issue(None, _DEEP, rule="depth")) from e
    problem = _beyond_limits(doc, (), 0)
    if problem is not None:
        raise _syntax(problem)
    return doc


def _syntax(issue: Issue) -> Refused:
    return Refused([issue], syntax=True)


class _OutOfRange(ValueError):
    def __init__(self, literal: str) -> None:
        super().__init__(f"float {literal} is out of range for a 64-bit float")
        self.literal = literal


def _parse_float(text: str) -> float:
    # tomllib turns 1e400 into inf; TOML asks for an error.
    value = float(text)
    if math.isinf(value) and "inf" not in text:
        raise _OutOfRange(text)
    return value


def _beyond_limits(value: Any, path: tuple[str, ...], depth: int) -> Issue | None:
    """Why `value` (at `depth` keys and array steps below the top) breaks the limits, or None.

    The walk counted the depth it could see; an array of tables adds a level its
    later [a.b] headers do not show, so the result is counted too. tomllib accepts
    integers of any size; TOML stops at 64 bits.
    """
    if depth > MAX_DEPTH:
        return Issue(None, _DEEP, rule="depth")
    children: Any = ()
    if isinstance(value, dict):
        children = ((path + (k,), v) for k, v in value.items())
    elif isinstance(value, list):
        children = ((path, v) for v in value)
    elif isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
        return Issue(None, f"invalid TOML: integer {value} does not fit in 64 bits", rule="int64", value=value,
                     reason=".".join(path))
    for child_path, child in children:
        problem = _beyond_limits(child, child_path, depth + 1)
        if problem is not None:
            return problem
    return None


def _decode_issue(error: str) -> Issue:
    m = re.fullmatch(r"(?s)(.*?) \((?:at line (\d+), column (\d+)|at end of document)\)", error)
    if not m:
        return Issue(None, f"invalid TOML: {error}", rule="toml", reason=error)
    reason = m[1]
    if m[2]:
        return Issue(None, f"invalid TOML at line {m[2]}, column {m[3]}: {reason}", rule="toml",
                     line=int(m[2]), column=int(m[3]), reason=reason)
    return Issue(None, f"invalid TOML at end of document: {reason}", rule="toml", reason=reason)
