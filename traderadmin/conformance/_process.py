"""One service process under test: started from a command template, probed over HTTP.

The command is split like a shell would (no shell runs it), so the PID we hold is
the service's own and SIGUSR1 reaches it. Its output goes to files in the check's
folder; those paths are what a failure message points at.
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traderadmin.errors import ToolkitError
from traderadmin.polling import poll_until


class CheckFailed(ToolkitError):
    """A contract check did not hold: what was expected, what was seen."""

    def __init__(self, expected: str, seen: str) -> None:
        super().__init__(f"expected {expected}; saw {seen}")
        self.expected = expected
        self.seen = seen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_command(template: str, *, config: Path, port: int, folder: Path) -> list[str]:
    """The argv of `template` with {config}, {port} and {dir} filled in; a clear error for any other field."""
    try:
        text = template.format(config=shlex.quote(str(config)), port=port, dir=shlex.quote(str(folder)))
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f"--cmd {template!r}: unknown or malformed placeholder ({e}); "
                         "use {config}, {port} and {dir}") from e
    argv = shlex.split(text)
    if not argv:
        raise ValueError("--cmd is empty")
    return argv


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


@dataclass
class Service:
    """A started service: its process, its config path and how to reach it."""

    proc: subprocess.Popen
    port: int
    config_path: Path
    base_url: str
    stdout_path: Path
    stderr_path: Path
    argv: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def get(self, path: str, timeout: float = 2.0) -> tuple[int, Any]:
        """Status code and parsed JSON body (the raw text when it is not JSON)."""
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=timeout) as r:
                code, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            code, raw = e.code, e.read()
        try:
            return code, json.loads(raw)
        except ValueError:
            return code, raw.decode(errors="replace")

    def status(self) -> dict:
        code, body = self.get("/status")
        if code != 200 or not isinstance(body, dict):
            raise CheckFailed("/status to answer 200 with a JSON object", f"{code} {_cut(str(body))}")
        return body

    def healthz_seconds(self, limit: float = 1.0) -> float:
        """Time /healthz takes to answer 200; fails when it is slower than `limit` or answers otherwise."""
        start = time.monotonic()
        try:
            code, body = self.get("/healthz", timeout=limit)
        except OSError as e:
            raise CheckFailed(f"/healthz to answer within {limit} s", f"no answer ({e}); {self.state()}") from e
        took = time.monotonic() - start
        if code != 200:
            raise CheckFailed("/healthz to answer 200", f"{code} {_cut(str(body))}")
        if took > limit:
            raise CheckFailed(f"/healthz to answer within {limit} s", f"{took:.2f} s")
        return took

    def signal(self, sig: int = signal.SIGUSR1) -> None:
        os.kill(self.proc.pid, sig)

    def state(self) -> str:
        return "running" if self.alive() else f"exited with {self.proc.returncode}"

    def tail(self, lines: int = 8) -> str:
        """The last lines of stderr and stdout, for failure details."""
        out = []
        for name, path in (("stderr", self.stderr_path), ("stdout", self.stdout_path)):
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            if text:
                out.append(f"{name}: " + " | ".join(_cut(t, 200) for t in text))
        return "\n".join(out)

    def wait_for(self, check: Callable[[], Any], timeout: float, expected: str,
                 seen: Callable[[], str] | None = None, interval: float = 0.01) -> float:
        """Poll `check` until it returns a true value; the seconds it took. Fails when the process exits."""
        start = time.monotonic()
        last = "no answer"

        def held() -> bool:
            nonlocal last  # what the failure quotes: the latest answer, in words
            try:
                if check():
                    return True
                last = seen() if seen else "the check never held"
            except CheckFailed as e:
                last = e.seen
            except (OSError, ValueError) as e:  # not listening yet, or a half-written answer
                last = f"no answer ({e})"
            return False

        def give_up(_last: object) -> None:
            if not self.alive():
                raise CheckFailed(expected, f"the process {self.state()} (last seen: {last})")

        poll_until(held, timeout, interval, give_up=give_up,
                   timeout_error=lambda _last: CheckFailed(f"{expected} within {timeout:g} s", last))
        return time.monotonic() - start

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(template: str, folder: Path, config_path: Path, *, base_url: str = "http://127.0.0.1:{port}",
          env: dict[str, str] | None = None) -> Service:
    """Start the service of `template` on `config_path`, its output in `folder`. Does not wait."""
    port = free_port()
    argv = render_command(template, config=config_path, port=port, folder=folder)
    stdout_path, stderr_path = folder / "service.stdout", folder / "service.stderr"
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=folder,
                                    env=env, start_new_session=True)
        except OSError as e:
            raise CheckFailed(f"`{shlex.join(argv)}` to start", str(e)) from e
    return Service(proc, port, config_path, base_url.format(port=port).rstrip("/"), stdout_path, stderr_path, argv)
