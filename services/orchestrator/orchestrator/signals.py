"""The reload signal.

Python runs signal handlers in the main thread between two bytecodes, so a
handler that took a lock the interrupted code holds would deadlock, and one that
did I/O could interleave with it. The handler therefore only sets an event; a
worker thread waits on it and does the reload. The main thread must never wait
on that event itself (Event.wait holds the event's internal lock for a moment).
"""
from __future__ import annotations

import signal
import threading


def install_reload_signal() -> threading.Event:
    """Route SIGUSR1 to a fresh event and return it."""
    requested = threading.Event()

    def on_sigusr1(signum: int, frame: object) -> None:
        requested.set()

    signal.signal(signal.SIGUSR1, on_sigusr1)
    return requested
