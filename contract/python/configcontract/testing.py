"""For the tests of services built on configcontract.live: reloaders that a test starts and that stop after it."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from .live import Reloader

P = ParamSpec("P")
R = TypeVar("R", bound=Reloader)


@contextmanager
def started(make: Callable[P, R]) -> Iterator[Callable[P, R]]:
    """A starter of reloaders made by `make`, each loaded (`reload("start")`) and started; all are stopped
    on exit, so no test leaves a worker or a watch running behind it."""
    running: list[R] = []

    def start(*args: P.args, **kwargs: P.kwargs) -> R:
        r = make(*args, **kwargs)
        r.reload("start")
        r.start()
        running.append(r)
        return r

    try:
        yield start
    finally:
        for r in running:
            r.stop()
