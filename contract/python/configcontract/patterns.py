"""JSON Schema patterns with their ECMA-262 meaning."""
from __future__ import annotations

import re
from functools import cache


@cache
def ecma(pattern: str) -> re.Pattern[str]:
    """`pattern` with ECMA-262 meanings: `$` is the end of the string, \\d \\w \\s are ASCII.

    Python's `$` also matches before a final newline, so "SPY\\n" would pass here and
    fail in the Go judge (Go's `$` is ECMA's).
    """
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
