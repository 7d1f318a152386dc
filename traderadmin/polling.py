"""Waiting for something with a time limit: one helper instead of a hand-written loop per wait.

Two tools, pick the first that fits:

- `poll_until(check, timeout, interval=..., describe=...)` calls `check()` until it
  returns something truthy and returns that value; at the deadline it raises
  `PollTimeout` naming `describe` and the last thing `check` returned. Options:
  `tolerate` (exception types that mean "not yet", e.g. a connection refused while a
  server starts), `give_up(last)` (raise to stop early, e.g. the process being waited
  on exited) and `timeout_error(last)` (the exception to raise instead of PollTimeout,
  when a caller's error family and message must stay its own).
- `Deadline(seconds)` for one time budget shared by several waits (pass it as
  `timeout`), and for loops that are no simple poll: a blocking read with a
  shrinking timeout (`remaining()`), or a best-effort wait that does not fail
  (`while busy() and not deadline.expired(): ...`).

Each round is: check, return if truthy, `give_up`, raise if the deadline passed,
sleep `interval`. So `check` always runs at least once and once more after the last
sleep that crosses the deadline. Both take `clock` and `sleep` so tests run instantly.

    from traderadmin.polling import poll_until

    pod = poll_until(lambda: api.ready_pod(name), timeout=60, interval=0.5,
                     describe=f"a Ready pod of {name}", tolerate=(KubeError,))
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

from traderadmin.errors import ToolkitError

T = TypeVar("T")
Clock = Callable[[], float]


class PollTimeout(ToolkitError):
    """What was waited for did not happen in time; `what`, `timeout` and `last` say what and what was seen.

    Not a TimeoutError: that is an OSError, and `tolerate=(OSError,)` or a caller's
    `except OSError` would take a deadline for a flaky socket."""

    def __init__(self, what: str, timeout: float, last: object) -> None:
        super().__init__(f"{what}: not reached within {timeout:g} s (last seen: {last!r})")
        self.what = what
        self.timeout = timeout
        self.last = last


class Deadline:
    """A point in time `seconds` after `start` (default: now) on `clock`."""

    def __init__(self, seconds: float, *, start: float | None = None, clock: Clock = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.start = clock() if start is None else start
        self.at = self.start + seconds

    def remaining(self) -> float:
        """Seconds left, never below zero."""
        return max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        return self.clock() > self.at

    def elapsed(self) -> float:
        """Seconds since the start."""
        return self.clock() - self.start


def poll_until(
    check: Callable[[], T],
    timeout: float | Deadline,
    interval: float = 0.5,
    describe: str = "the condition",
    *,
    tolerate: tuple[type[BaseException], ...] = (),
    give_up: Callable[[object], None] | None = None,
    timeout_error: Callable[[object], BaseException] | None = None,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`check()`'s first truthy value, polled every `interval` s for up to `timeout` s.

    `timeout` may be a Deadline instead, to share one time budget between several waits
    (or to count from an earlier moment); its own clock is used then.
    `last` (handed to `give_up` and `timeout_error`, and kept on PollTimeout) is what the
    latest `check()` returned, or the tolerated exception it raised.
    """
    deadline = timeout if isinstance(timeout, Deadline) else Deadline(timeout, clock=clock)
    while True:
        last: object
        try:
            last = check()
        except tolerate as exc:
            last = exc
        else:
            if last:
                return last  # type: ignore[return-value]
        if give_up is not None:
            give_up(last)
        if deadline.expired():
            raise timeout_error(last) if timeout_error is not None else PollTimeout(describe, deadline.seconds, last)
        sleep(interval)
