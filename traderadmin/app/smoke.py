"""Headless smoke test of the built desktop app: open it under Xvfb, prove it drew the config.

"It rendered" is judged three ways, because a WebKit window under a virtual
display can come up blank while the process looks healthy:
- the front end calls the bound `Rendered` method once the tabs are in the
  DOM and painted, and the app writes that report to a file we wait for;
- the window with the app's title is found on the display (xdotool);
- the screenshot of that window has many distinct colours (a blank window
  has one or two).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from traderadmin.app import build as app_build
from traderadmin.app import toolchain
from traderadmin.app.xdisplay import (
    HEADLESS_WEBKIT_ENV,
    RENDERED_ENV,
    find_window,
    require_tool,
    run_x,
    start_xvfb,
    stop_process,
    window_size,
)
from traderadmin.errors import ToolkitError
from traderadmin.polling import Deadline

MIN_COLOURS = 32


class SmokeError(ToolkitError):
    """The smoke test could not run at all (as opposed to running and finding problems)."""


@dataclass
class SmokeResult:
    app: str
    screenshot: str = ""
    window_title: str = ""
    window_size: str = ""
    colours: int = 0
    rendered: dict = field(default_factory=dict)
    expected_tabs: int = 0
    config_sha256: str = ""
    seconds_to_render: float = 0.0
    build_seconds: float | None = None
    binary_bytes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def _seed_config(schema: Path, workdir: Path) -> Path:
    """A config made from the schema's defaults, in a scratch folder: the smoke test never touches the project's."""
    from traderadmin.config import ConfigFiles, init_config

    (workdir / "config").mkdir(parents=True, exist_ok=True)
    schema_copy = workdir / "config" / "schema.json"
    shutil.copyfile(schema, schema_copy)
    config = workdir / "config" / "config.toml"
    init_config(ConfigFiles(config, schema_copy))
    return config


def run(app_dir: Path, schema: Path, out_dir: Path, build: bool = True, timeout: float = 90) -> SmokeResult:
    """Build (unless told not to), open the app under Xvfb, screenshot it, and check it drew the config."""
    project = app_build.read_project(app_dir)
    title = project["name"]
    result = SmokeResult(app=title)
    out_dir.mkdir(parents=True, exist_ok=True)
    if build:
        built = app_build.build(app_dir)
        result.build_seconds = round(built.seconds, 1)
    binary = app_build.binary_path(app_dir)
    if not binary.is_file():
        raise SmokeError(f"{binary} does not exist: build it with `invoke app.build`")
    result.binary_bytes = binary.stat().st_size
    toolchain.ensure_smoke_prerequisites()
    for tool in toolchain.SMOKE_TOOLS:
        require_tool(tool)

    with tempfile.TemporaryDirectory(prefix="traderadmin-smoke-") as scratch:
        workdir = Path(scratch)
        config = _seed_config(schema, workdir)
        result.config_sha256 = hashlib.sha256(config.read_bytes()).hexdigest()
        result.expected_tabs = len(json.loads(schema.read_text(encoding="utf-8"))["properties"])
        marker = workdir / "rendered.json"
        xvfb, display = start_xvfb()
        log = (out_dir / "app.log").open("w", encoding="utf-8")
        try:
            env = {**os.environ, **HEADLESS_WEBKIT_ENV, "DISPLAY": display, RENDERED_ENV: str(marker)}
            started = time.monotonic()
            app = subprocess.Popen(
                [str(binary), "-config", str(config), "-schema", str(workdir / "config" / "schema.json")],
                cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
            try:
                _watch(app, marker, title, display, started, timeout, out_dir, result)
            finally:
                stop_process(app)
        finally:
            stop_process(xvfb)
            log.close()
    (out_dir / "result.json").write_text(json.dumps(result.as_dict(), indent=2) + "\n", encoding="utf-8")
    return result


def _watch(app: subprocess.Popen, marker: Path, title: str, display: str, started: float,
           timeout: float, out_dir: Path, result: SmokeResult) -> None:
    deadline = Deadline(timeout, start=started)
    # Not poll_until: running out of time is one of the findings, not an error.
    while not marker.exists() and app.poll() is None and not deadline.expired():
        time.sleep(0.2)
    if app.poll() is not None:
        log = out_dir / "app.log"
        tail = " | ".join(log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[:3])
        result.problems.append(f"the app exited with code {app.returncode} before it rendered: {tail} (all of it in {log})")
        return
    if not marker.exists():
        result.problems.append(f"the front end did not report `Rendered` within {timeout:.0f} s (blank window?)")
    else:
        result.seconds_to_render = round(deadline.elapsed(), 1)
        result.rendered = json.loads(marker.read_text(encoding="utf-8"))
        _judge_report(result)

    window = find_window(title, display)
    if window is None:
        result.problems.append(f"no window titled {title!r} on the display")
        return
    result.window_title = run_x([require_tool("xdotool"), "getwindowname", window], display).stdout.strip()
    width, height = window_size(window, display)
    result.window_size = f"{width}x{height}"
    if result.window_title != title:
        result.problems.append(f"window title is {result.window_title!r}, expected {title!r}")

    screenshot = out_dir / "screenshot.png"
    shot = run_x([require_tool("import"), "-window", window, str(screenshot)], display, timeout=60)
    if shot.returncode != 0 or not screenshot.is_file():
        result.problems.append(f"screenshot failed: {shot.stderr.strip()}")
        return
    result.screenshot = str(screenshot)
    counted = subprocess.run([require_tool("identify"), "-format", "%k", str(screenshot)], capture_output=True, text=True, timeout=60)
    result.colours = int(counted.stdout.strip() or 0)
    if result.colours < MIN_COLOURS:
        result.problems.append(f"the window shows only {result.colours} colours (fewer than {MIN_COLOURS}): it looks blank")


def _judge_report(result: SmokeResult) -> None:
    report = result.rendered
    if report.get("error"):
        result.problems.append(f"the app could not show the config: {report['error']}")
    if report.get("tabs") != result.expected_tabs:
        result.problems.append(f"the app drew {report.get('tabs')} tabs, the schema has {result.expected_tabs} sections")
    if not report.get("fields"):
        result.problems.append("the app drew no fields")
    if report.get("sha256") != result.config_sha256:
        result.problems.append(f"the app shows config sha256 {report.get('sha256')}, the file's is {result.config_sha256}")
