"""What several orchestrator test modules build on: the default config, variants of it, and waiting."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

DEFAULTS = (Path(__file__).resolve().parents[3] / "tests" / "vectors" / "valid" / "defaults.toml").read_bytes()


def variant(**settings: str) -> bytes:
    """The default config with `key = value` lines replaced, e.g. max_positions="6"."""
    text = DEFAULTS.decode()
    for key, value in settings.items():
        lines = [line for line in text.splitlines() if line.startswith(f"{key} = ")]
        assert len(lines) == 1, f"{key} is not a unique key of the default config"
        text = text.replace(lines[0], f"{key} = {value}", 1)
    return text.encode()


def wait_until(check: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> float:
    """Poll check until it holds; the seconds it took, or an AssertionError naming what never happened."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)
    return time.monotonic() - start
