"""Helpers shared by the live cluster tests and their fixtures."""
from __future__ import annotations

import time

import pytest

PROBE_PORT = 8080


def wait_for(check, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} not reached within {timeout:.0f}s (last: {last!r})")
