"""Flag values as people type them: durations with units, counts, names with a "did you mean".

Each reader takes the text of one flag and returns the value, or raises `UsageError`
whose message names the flag, the value and the fix; the task layer shows it and
exits 2. The same readers take values from invoke.yaml (`traderadmin.deploy_timeout`
may be `300` or `5m`), so a typo there is explained the same way.
"""
from __future__ import annotations

import difflib
import math
import re
from typing import Iterable

from traderadmin.errors import ToolkitError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)")
DURATION_EXAMPLES = "e.g. 90, 30s, 5m, 1h30m or 500ms (a bare number is seconds)"


class UsageError(ToolkitError):
    """A flag (or its invoke.yaml default) holds a value the command cannot use; exit 2."""

    exit_code = 2


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def duration(value: object, flag: str = "--timeout", *, allow_zero: bool = False) -> float:
    """Seconds from `90`, `90.5`, `30s`, `5m`, `1h30m`, `500ms` or `2d`; a bare number is seconds."""
    if isinstance(value, bool):
        raise UsageError(f"{flag} {_shown(value)} is not a duration; {DURATION_EXAMPLES}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip().lower().replace(" ", "")
        seconds = _duration_text(text)
        if seconds is None:
            raise UsageError(f"{flag} {_shown(value)} is not a duration; give one {DURATION_EXAMPLES}")
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        least = "0 or more" if allow_zero else "more than 0"
        raise UsageError(f"{flag} {_shown(value)} is not a usable duration: it must be {least} seconds; "
                         f"give one {DURATION_EXAMPLES}")
    return seconds


def _duration_text(text: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    total, at = 0.0, 0
    for match in _PART.finditer(text):
        if match.start() != at:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        at = match.end()
    return total if at == len(text) and at else None


def count(value: object, flag: str, *, minimum: int = 0) -> int:
    """A whole number of at least `minimum` (lines, workers, retries)."""
    if isinstance(value, bool):
        raise UsageError(f"{flag} {_shown(value)} is not a whole number; give one such as {max(minimum, 1) * 10}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace("_", "")
        if not re.fullmatch(r"[+-]?\d+", text):
            raise UsageError(f"{flag} {_shown(value)} is not a whole number; give one such as "
                             f"{max(minimum, 1) * 10}")
        number = int(text)
    if number < minimum:
        raise UsageError(f"{flag} {_shown(value)} is too small: it must be {minimum} or more")
    return number


def number(value: object, flag: str, *, minimum: float | None = None) -> float:
    """A finite decimal number, optionally at least `minimum`."""
    try:
        if isinstance(value, bool):
            raise ValueError
        result = float(str(value).strip().replace("_", "")) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        raise UsageError(f"{flag} {_shown(value)} is not a number; give one such as 1.5") from None
    if not math.isfinite(result) or (minimum is not None and result < minimum):
        raise UsageError(f"{flag} {_shown(value)} is out of range: it must be a finite number"
                         + (f" of at least {minimum:g}" if minimum is not None else ""))
    return result


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` was most likely meant to be (a typo), if any is close."""
    match = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return match[0] if match else None


def choice(value: str, flag: str, known: Iterable[str]) -> str:
    """`value` if it is one of `known`; a "did you mean" UsageError otherwise."""
    options = list(known)
    if value in options:
        return value
    guess = closest(value, options)
    hint = f"did you mean {guess}? " if guess else ""
    raise UsageError(f"{flag} {_shown(value)} is not one of {', '.join(options)}; {hint}"
                     f"give one of them, e.g. {flag} {guess or options[0]}")
