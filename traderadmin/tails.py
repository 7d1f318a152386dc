"""The last lines of a tool's output or of a log file, short enough for an error message."""
from __future__ import annotations

import os
from pathlib import Path

_FILE_WINDOW = 64 * 1024  # logs grow to many MiB; the last lines are all an error needs


def tail(text: str, lines: int = 25, limit: int = 4000) -> str:
    """The end of a long tool output, cut to `lines` lines and `limit` characters."""
    kept = "\n".join(text.strip().splitlines()[-lines:])
    return kept[-limit:]


def tail_file(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file, or a note saying it is missing."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - _FILE_WINDOW))
            text = f.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])
