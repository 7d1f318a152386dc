"""The suite's results for people (a table) and for scripts (JSON)."""
from __future__ import annotations

import json

from ._suite import Result

_COLOUR = {"pass": "green", "FAIL": "red", "skip": "yellow"}


def as_json(results: list[Result], command: str) -> str:
    failed = [r.name for r in results if not r.passed]
    return json.dumps({"command": command, "passed": not failed, "failed": failed,
                       "checks": [r.as_dict() for r in results]}, indent=2)


def table(results: list[Result]):
    """A rich Table: check, result, seconds, detail."""
    from rich.table import Table

    t = Table("check", "result", "seconds", "detail")
    for r in results:
        t.add_row(r.name, f"[{_COLOUR[r.outcome]}]{r.outcome}[/]", f"{r.seconds:.2f}",
                  r.detail if r.outcome != "pass" else f"{r.description} — {r.detail}")
    return t


def summary(results: list[Result]) -> str:
    counts = {k: sum(r.outcome == k for r in results) for k in ("pass", "FAIL", "skip")}
    line = f"{counts['pass']} passed, {counts['FAIL']} failed, {counts['skip']} skipped"
    failed = [r.name for r in results if not r.passed]
    return line + (f"; failed: {', '.join(failed)}" if failed else "")
