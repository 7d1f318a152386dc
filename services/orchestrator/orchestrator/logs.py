"""Structured logs: one JSON object per line on stdout, whatever happens."""
from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from typing import Any, TextIO

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


def rfc3339(moment: datetime) -> str:
    """UTC time as RFC 3339 with milliseconds and a Z suffix."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLog:
    """Writes log lines for one service; safe to use from any thread but not from a signal handler."""

    def __init__(self, service: str, stream: TextIO | None = None) -> None:
        self.service = service
        self._stream = stream if stream is not None else sys.stdout
        self._threshold = LEVELS["INFO"]
        self._lock = threading.Lock()

    def set_level(self, level: str) -> None:
        """Apply the config's logging.level (one of LEVELS)."""
        self._threshold = LEVELS[level]

    def debug(self, msg: str, **fields: Any) -> None:
        self._emit("DEBUG", msg, fields)

    def info(self, msg: str, **fields: Any) -> None:
        self._emit("INFO", msg, fields)

    def warning(self, msg: str, **fields: Any) -> None:
        self._emit("WARNING", msg, fields)

    def error(self, msg: str, **fields: Any) -> None:
        self._emit("ERROR", msg, fields)

    def _emit(self, level: str, msg: str, fields: dict[str, Any]) -> None:
        if LEVELS[level] < self._threshold:
            return
        record = {
            "time": rfc3339(datetime.now(timezone.utc)),
            "level": level.lower(),
            "service": self.service,
            "msg": msg,
            **fields,
        }
        line = json.dumps(record, default=str, ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()
