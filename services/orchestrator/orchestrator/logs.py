"""Service logs on stdout: one JSON object per line, or key=value text for people (logging.format)."""
from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from typing import Any, TextIO

from configcontract.live import rfc3339

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


class ServiceLog:
    """Writes log lines for one service; safe to use from any thread but not from a signal handler.

    JSON until a config says otherwise, so the lines before the first load can always be parsed.
    """

    def __init__(self, service: str, stream: TextIO | None = None) -> None:
        self.service = service
        self._stream = stream if stream is not None else sys.stdout
        self._threshold = LEVELS["INFO"]
        self._text = False
        self._lock = threading.Lock()

    def set_level(self, level: str) -> None:
        """Apply the config's logging.level (one of LEVELS)."""
        self._threshold = LEVELS[level]

    def set_format(self, fmt: str) -> None:
        """Apply the config's logging.format: "json" or "text"."""
        self._text = fmt == "text"

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
        line = _text(record) if self._text else json.dumps(record, default=str, ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


def _text(record: dict[str, Any]) -> str:
    """`TIME LEVEL service: msg key=value ...`, values quoted when they hold spaces."""
    head = f"{record['time']} {record['level'].upper():<7} {record['service']}: {record['msg']}"
    rest = [f"{k}={_value(v)}" for k, v in record.items() if k not in ("time", "level", "service", "msg")]
    return " ".join([head, *rest])


def _value(v: Any) -> str:
    text = json.dumps(v, default=str, ensure_ascii=False) if not isinstance(v, str) else v
    return json.dumps(text, ensure_ascii=False) if (not text or any(c.isspace() or c == '"' for c in text)) else text
