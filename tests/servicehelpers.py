"""Run the orchestrator and the scanner as local processes on a config directory.

Used by the reload scenario tests and by bench/reload_local.py, so both drive the
services the same way: the orchestrator through its launcher (bin/orchestrator,
as in its image), the scanner as the binary `go build` makes.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

REPO = Path(__file__).resolve().parents[1]
ORCHESTRATOR_DIR = REPO / "services" / "orchestrator"
SCANNER_DIR = REPO / "services" / "scanner"
SERVICES = ("orchestrator", "scanner")

# /proc/PID/status signal masks: bit (signum - 1).
_USR1_BIT = 1 << (signal.SIGUSR1 - 1)


def build_scanner(out_dir: Path) -> Path:
    """Build the scanner binary like its image does; raise with go's output on failure."""
    binary = out_dir / "scanner"
    env = {**os.environ, "CGO_ENABLED": "0"}
    result = subprocess.run(
        ["go", "build", "-o", str(binary), "."], cwd=SCANNER_DIR, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"`cd services/scanner && CGO_ENABLED=0 go build` failed (exit {result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
    return binary


def default_config() -> tomlkit.TOMLDocument:
    """The config `invoke config.init` writes: every schema default, descriptions as comments."""
    from traderadmin.config import load_schema, render_defaults

    return tomlkit.parse(render_defaults(load_schema(REPO / "config" / "schema.json")))


def config_bytes(doc: tomlkit.TOMLDocument | None = None, **changes: Any) -> bytes:
    """A config as bytes; `changes` maps dotted keys (with `__` for dots) to values."""
    doc = tomlkit.parse(tomlkit.dumps(doc if doc is not None else default_config()))
    for dunder, value in changes.items():
        *tables, key = dunder.split("__")
        node: Any = doc
        for t in tables:
            node = node[t]
        node[key] = value
    return tomlkit.dumps(doc).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signal_masks(pid: int) -> dict[str, int]:
    """SigIgn and SigCgt of a process, from /proc (Linux)."""
    masks = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("SigIgn", "SigCgt"):
            masks[name] = int(value.strip(), 16)
    return masks


def usr1_disposition(pid: int) -> str:
    """'default', 'ignored' or 'caught' for SIGUSR1 of a live process."""
    masks = signal_masks(pid)
    if masks["SigCgt"] & _USR1_BIT:
        return "caught"
    if masks["SigIgn"] & _USR1_BIT:
        return "ignored"
    return "default"


@dataclass
class ServiceProcess:
    """One service process and what it wrote; stop() ends it."""

    kind: str
    proc: subprocess.Popen
    port: int
    config_path: Path
    stdout_path: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, timeout: float = 2.0) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def status(self) -> dict:
        code, body = self.get("/status")
        assert code == 200, f"{self.kind} /status answered {code}: {body}"
        return body

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int = signal.SIGUSR1) -> None:
        os.kill(self.proc.pid, sig)

    def logs(self) -> list[dict]:
        """Every stdout line as JSON; the contract allows no other kind of line."""
        records = []
        for n, line in enumerate(self.stdout_path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise AssertionError(f"{self.kind} stdout line {n} is not JSON: {line!r}") from e
        return records

    def logged(self, msg: str) -> list[dict]:
        return [r for r in self.logs() if r.get("msg") == msg]

    def wait_logged(self, msg: str, timeout: float = 2.0, **fields: Any) -> dict:
        """The latest `msg` record carrying `fields`, once written: a service may answer /status
        with the new hash a moment before its log line reaches stdout."""
        found: list[dict] = []

        def seen() -> bool:
            found[:] = [r for r in self.logged(msg) if all(r.get(k) == v for k, v in fields.items())]
            return bool(found)

        self.wait_for(seen, timeout, f"log line {msg!r} with {fields}")
        return found[-1]

    def describe(self) -> str:
        """Status and log tails, for failure messages."""
        try:
            status: Any = self.get("/status")[1]
        except (OSError, ValueError) as e:
            status = f"(no answer: {e})"
        out = self.stdout_path.read_text(errors="replace").splitlines()[-20:]
        err = self.stderr_path.read_text(errors="replace").splitlines()[-20:]
        state = "running" if self.alive() else f"exited with {self.proc.returncode}"
        return (
            f"{self.kind} (pid {self.pid}, {state})\n/status: {json.dumps(status)[:1500]}\n"
            "stdout:\n  " + "\n  ".join(out) + "\nstderr:\n  " + "\n  ".join(err)
        )

    def wait_for(self, check: Callable[[], bool], timeout: float, what: str, interval: float = 0.01) -> float:
        """Poll `check` until it holds; return the seconds it took. Fails with the service's state."""
        start = time.monotonic()
        deadline = start + timeout
        while True:
            try:
                if check():
                    return time.monotonic() - start
            except (OSError, ValueError):  # not listening yet, or a half-written answer
                pass
            if not self.alive():
                raise AssertionError(f"{self.kind} died while waiting for {what}\n{self.describe()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.kind}: no {what} within {timeout} s\n{self.describe()}")
            time.sleep(interval)

    def wait_hash(self, sha: str, timeout: float = 5.0, interval: float = 0.01) -> float:
        return self.wait_for(lambda: self.status()["config_sha256"] == sha, timeout,
                             f"config_sha256 {sha[:12]}…", interval)

    def wait_healthy(self, timeout: float = 15.0) -> float:
        return self.wait_for(lambda: self.get("/healthz")[0] == 200, timeout, "answer on /healthz")

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_service(
    kind: str,
    config_path: Path,
    run_dir: Path,
    *,
    scanner_binary: Path | None = None,
    watch: bool = True,
) -> ServiceProcess:
    """Start a service on `config_path`; output goes to files in `run_dir`. Does not wait."""
    port = free_port()
    env = dict(os.environ)
    if kind == "orchestrator":
        # The launcher runs whatever interpreter runs the tests, on the source tree.
        env["ORCHESTRATOR_PYTHON"] = sys.executable
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ORCHESTRATOR_DIR), env.get("PYTHONPATH")]))
        argv = [str(ORCHESTRATOR_DIR / "bin" / "orchestrator"), "--config", str(config_path),
                "--port", str(port), "--host", "127.0.0.1"]
    elif kind == "scanner":
        if scanner_binary is None:
            raise ValueError("the scanner needs its binary: build_scanner(...)")
        argv = [str(scanner_binary), "--config", str(config_path), "--addr", f"127.0.0.1:{port}"]
    else:
        raise ValueError(f"unknown service {kind!r}; one of {SERVICES}")
    if not watch:
        argv.append("--no-watch")
    run_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{kind}-{port}"
    stdout_path, stderr_path = run_dir / f"{stamp}.stdout", run_dir / f"{stamp}.stderr"
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
    return ServiceProcess(kind, proc, port, config_path, stdout_path, stderr_path)
