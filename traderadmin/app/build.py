"""Build and run a scaffolded TraderAdmin app with the Wails CLI.

Every Wails command gets the WebKitGTK build tag of this machine (Wails v2
reads no tags from wails.json), so `invoke app.build` and `invoke app.dev`
work the same on a 4.0 and a 4.1 machine.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from traderadmin.app import toolchain
from traderadmin.errors import ToolkitError


class AppBuildError(ToolkitError):
    """A step of building the app failed; the message names the step and its output."""


@dataclass(frozen=True)
class BuildResult:
    binary: Path
    seconds: float
    size_bytes: int
    tags: tuple[str, ...]


def read_project(app_dir: Path) -> dict:
    """The app's wails.json, or an error that says the folder is no scaffolded app."""
    path = app_dir / "wails.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AppBuildError(f"{app_dir} has no wails.json: scaffold the app first with `invoke bootstrap`") from exc
    except json.JSONDecodeError as exc:
        raise AppBuildError(f"{path} is not valid JSON: {exc}") from exc


def binary_path(app_dir: Path) -> Path:
    project = read_project(app_dir)
    return app_dir / "build" / "bin" / project.get("outputfilename", project["name"])


def _tag_args(tags: tuple[str, ...]) -> list[str]:
    return ["-tags", ",".join(tags)] if tags else []


def _wails_env(wails: Path) -> dict[str, str]:
    # Wails shells out to `go`, `npm` and `pkg-config`; its own folder joins
    # PATH so the CLI that was just built is the one any nested call finds.
    return {**os.environ, "PATH": f"{wails.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def _run_step(what: str, cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 1800) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()[-4000:]
        raise AppBuildError(f"{what} failed (`{' '.join(cmd)}` in {cwd}):\n{output}")


def build(app_dir: Path, clean: bool = False) -> BuildResult:
    """`wails build` with this machine's tags; installs missing prerequisites first."""
    read_project(app_dir)
    toolchain.ensure_build_prerequisites()
    wails = toolchain.install_wails()
    tags = toolchain.build_tags()
    cmd = [str(wails), "build", *_tag_args(tags)]
    if clean:
        cmd.append("-clean")
    started = time.monotonic()
    _run_step("wails build", cmd, app_dir, _wails_env(wails))
    seconds = time.monotonic() - started
    binary = binary_path(app_dir)
    if not binary.is_file():
        raise AppBuildError(f"wails build reported success but {binary} does not exist")
    return BuildResult(binary, seconds, binary.stat().st_size, tags)


def generate_bindings(app_dir: Path) -> Path:
    """Write frontend/wailsjs (the bound methods and models.ts) without a full build."""
    toolchain.ensure_build_prerequisites()
    wails = toolchain.install_wails()
    _run_step("wails generate module", [str(wails), "generate", "module", *_tag_args(toolchain.build_tags())], app_dir, _wails_env(wails))
    return app_dir / "frontend" / "wailsjs"


def dev_command(app_dir: Path) -> tuple[list[str], dict[str, str]]:
    """The `wails dev` command line and environment, for a task to run in the foreground."""
    read_project(app_dir)
    toolchain.ensure_build_prerequisites()
    wails = toolchain.install_wails()
    return [str(wails), "dev", *_tag_args(toolchain.build_tags())], _wails_env(wails)


@dataclass(frozen=True)
class StepResult:
    name: str
    seconds: float


def verify(app_dir: Path) -> list[StepResult]:
    """Everything short of `wails build`: Go tests, bindings, svelte-check, component tests, the front-end build, the Go build."""
    read_project(app_dir)
    toolchain.ensure_build_prerequisites()
    tags = ("desktop", "production", *toolchain.build_tags())
    frontend = app_dir / "frontend"
    steps: list[tuple[str, Callable[[], object]]] = [
        # No cgo: the config package must build and test without GTK or a display.
        ("go test ./internal/...", lambda: _run_step("go test", ["go", "test", "./internal/..."], app_dir, {**os.environ, "CGO_ENABLED": "0"})),
        # The back end (form, save, push, services) is its own module: ./... of the app does not reach it.
        ("go test ./console/...", lambda: _run_step("go test console", ["go", "test", "./..."], app_dir / "console", {**os.environ, "CGO_ENABLED": "0"})),
        ("go vet ./console/...", lambda: _run_step("go vet console", ["go", "vet", "./..."], app_dir / "console", {**os.environ, "CGO_ENABLED": "0"})),
        ("wails generate module", lambda: generate_bindings(app_dir)),
        ("npm ci", lambda: _run_step("npm ci", ["npm", "ci", "--no-audit", "--no-fund"], frontend)),
        ("svelte-check", lambda: _run_step("svelte-check", ["npm", "run", "check"], frontend)),
        # Component tests (vitest, jsdom, the Go bindings mocked): after the bindings exist.
        ("vitest", lambda: _run_step("vitest", ["npm", "test"], frontend, {**os.environ, "CI": "true"})),
        ("vite build", lambda: _run_step("vite build", ["npm", "run", "build"], frontend)),
        ("go vet", lambda: _run_step("go vet", ["go", "vet", "-tags", ",".join(tags), "./..."], app_dir)),
        ("go build", lambda: _run_step("go build", ["go", "build", "-tags", ",".join(tags), "-o", os.devnull, "."], app_dir)),
    ]
    done = []
    for name, step in steps:
        started = time.monotonic()
        step()
        done.append(StepResult(name, round(time.monotonic() - started, 1)))
    return done
