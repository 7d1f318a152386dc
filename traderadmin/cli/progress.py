"""Progress for long work (the cold cluster build, image builds, waits) where no terminal shows a spinner.

In CI logs and pipes a rich spinner or progress bar prints nothing, and a 15-minute
build would pass in silence. `PlainProgress` prints one timestamped line per new
message instead, and a heartbeat line when a step runs long without news, so a log
always shows what is happening and that it is still alive.
"""
from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Callable, TextIO

HEARTBEAT = 30.0
"""Seconds without a new message after which the current one is repeated with its running time."""


def elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class PlainProgress:
    """A progress callback (`progress("building etcd")`) that writes plain lines.

    Repeated messages are printed once; while one step lasts longer than `heartbeat`
    seconds, a `... still <message>` line says so. Use it as a context manager, which
    stops the heartbeat.
    """

    def __init__(self, stream: TextIO | None = None, heartbeat: float = HEARTBEAT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream or sys.stderr
        self._heartbeat = heartbeat
        self._clock = clock
        self._started = clock()
        self._current = ""
        self._since = self._started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, message: str) -> None:
        message = " ".join(str(message).split())
        with self._lock:
            if not message or message == self._current:
                return
            self._current, self._since = message, self._clock()
            self._write(message)

    def _write(self, message: str) -> None:
        try:
            print(f"[{elapsed(self._clock() - self._started):>6}] {message}", file=self._stream, flush=True)
        except (OSError, ValueError):  # a closed log must not stop the work it reports on
            pass

    def beat(self) -> None:
        """Say the current step is still running, if it has run `heartbeat` seconds without news."""
        with self._lock:
            if self._current and self._clock() - self._since >= self._heartbeat:
                self._write(f"... still {self._current} ({elapsed(self._clock() - self._since)})")
                self._since = self._clock()

    def __enter__(self) -> "PlainProgress":
        def run() -> None:
            while not self._stop.wait(min(self._heartbeat, 5.0)):
                self.beat()

        self._thread = threading.Thread(target=run, name="progress-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=1)
