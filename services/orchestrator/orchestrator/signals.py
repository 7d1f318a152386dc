"""The reload signal, delivered without running any code in the signal handler.

Python runs a signal handler in the main thread between two bytecodes, and the
next signal can interrupt the handler itself. A handler must therefore take no
lock (the interrupted code may hold it, and the main thread would wait for
itself) and do no work. Not even threading.Event.set() is safe: it takes the
event's internal lock, and a burst of SIGUSR1 re-entered it from a nested
handler (a RecursionError; with worse timing, a deadlock on that lock).

So the handler is a no-op. CPython's C-level handler writes the signal number
into the wakeup fd (signal.set_wakeup_fd: a write(2) on a non-blocking pipe,
safe in a signal handler); a worker thread blocks reading the pipe and does the
reload. Install it before anything else runs: until then SIGUSR1 terminates.
"""
from __future__ import annotations

import os
import signal


def _handled_by_the_wakeup_fd(signum: int, frame: object) -> None:
    """Deliberately empty: the C-level handler has already written to the wakeup fd."""


class ReloadSignal:
    """SIGUSR1 as a pipe that a thread can wait on. Create it in the main thread."""

    def __init__(self, signum: int = signal.SIGUSR1) -> None:
        self.signum = signum
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        signal.signal(signum, _handled_by_the_wakeup_fd)
        # A full pipe only means a reload is pending already: lost bytes are harmless.
        self._previous_wakeup_fd = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)

    def wait(self) -> bool:
        """Block until the signal arrives (all arrivals since the last call count as one).

        Returns False once close() was called. The pipe also carries other
        signals that have Python handlers (SIGTERM, SIGINT); those are skipped.
        """
        while True:
            data = os.read(self._read_fd, 4096)
            if not data:
                os.close(self._read_fd)
                return False
            if self.signum in data:
                return True

    def close(self) -> None:
        """Give the wakeup fd back and end wait(). Main thread only."""
        signal.set_wakeup_fd(self._previous_wakeup_fd)
        os.close(self._write_fd)
