"""How a build shows what it is doing: nothing (tests, --json), a rich progress display on a
terminal, or plain lines where there is none (CI logs, pipes), where rich would print nothing.

The library reports through the small `Reporter` interface; only the rich
implementation knows about terminals. Both write to stderr so that `--json`
output on stdout stays clean. `reporter_for()` picks one.
"""
from __future__ import annotations

import sys
from types import TracebackType
from typing import Protocol, TextIO


class Reporter(Protocol):
    def note(self, message: str) -> None:
        """A line worth keeping in the scrollback (a base made, a pull that failed)."""

    def phase(self, service: str, message: str) -> None:
        """What a service's image is waiting on now (staging, building, done)."""

    def step(self, service: str, current: int, total: int, text: str) -> None:
        """Dockerfile step `current` of `total` has started."""


class NullReporter:
    def note(self, message: str) -> None:
        pass

    def phase(self, service: str, message: str) -> None:
        pass

    def step(self, service: str, current: int, total: int, text: str) -> None:
        pass


class PlainReporter:
    """One line per build phase and Dockerfile step, with the time since the build began."""

    def __init__(self, stream: TextIO | None = None) -> None:
        from traderadmin.cli.progress import PlainProgress

        self._lines = PlainProgress(stream)

    def __enter__(self) -> "PlainReporter":
        self._lines.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._lines.__exit__(kind, exc, traceback)

    def note(self, message: str) -> None:
        self._lines(message)

    def phase(self, service: str, message: str) -> None:
        self._lines(f"{service}: {message}")

    def step(self, service: str, current: int, total: int, text: str) -> None:
        self._lines(f"{service}: step {current}/{total} {text}")


def reporter_for(stream: TextIO | None = None) -> "RichReporter | PlainReporter":
    """A rich display on a terminal, plain lines anywhere else."""
    stream = stream or sys.stderr
    return RichReporter() if stream.isatty() else PlainReporter(stream)


class RichReporter:
    """One progress row per image, driven by the Dockerfile's `Step N/M` lines."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[service]:<12}"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,  # the task prints the summary lines afterwards
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> "RichReporter":
        self._progress.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.__exit__(kind, exc, traceback)

    def _task(self, service: str) -> int:
        if service not in self._tasks:
            self._tasks[service] = self._progress.add_task("", service=service, total=None)
        return self._tasks[service]

    def note(self, message: str) -> None:
        self._progress.console.log(message)

    def phase(self, service: str, message: str) -> None:
        task = self._task(service)
        self._progress.update(task, description=message)
        if message.startswith(("built", "unchanged")):
            total = self._progress.tasks[self._tasks[service]].total or 1
            self._progress.update(task, total=total, completed=total)

    def step(self, service: str, current: int, total: int, text: str) -> None:
        self._progress.update(self._task(service), total=total, completed=current - 1, description=text)
