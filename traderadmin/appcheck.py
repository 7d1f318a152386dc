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
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from traderadmin import appbuild, appenv
from traderadmin.errors import ToolkitError

SCREEN = "1280x900x24"
MIN_COLOURS = 32
# Without these WebKitGTK may paint nothing under Xvfb (no DMA-BUF, no GPU).
HEADLESS_WEBKIT_ENV = {"WEBKIT_DISABLE_DMABUF_RENDERER": "1", "WEBKIT_DISABLE_COMPOSITING_MODE": "1"}
RENDERED_ENV = "TRADERADMIN_RENDERED_FILE"


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


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SmokeError(f"{name} not found: run `invoke app.prereqs --smoke` (Debian packages {' '.join(appenv.SMOKE_PACKAGES)})")
    return path


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display; -displayfd makes the server pick it and tell us."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        # -noreset: an X server resets when its last client leaves; an xdotool search that ends
        # before the app connects would otherwise make the app's GTK fail to open the display.
        [require_tool("Xvfb"), "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        number = ""
        deadline = time.monotonic() + 30
        while not number.endswith("\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_fd, 64).decode() if ready else ""
            if not chunk:
                break
            number += chunk
        number = number.strip()
    finally:
        os.close(read_fd)
    if not number.isdigit():
        proc.kill()
        raise SmokeError("Xvfb did not report a display within 30 s")
    return proc, f":{number}"


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_x(cmd: list[str], display: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env={**os.environ, "DISPLAY": display}, capture_output=True, text=True, timeout=timeout)


def window_size(window: str, display: str) -> tuple[int, int]:
    out = run_x([require_tool("xdotool"), "getwindowgeometry", "--shell", window], display).stdout
    size = dict(line.split("=", 1) for line in out.split() if "=" in line)
    return int(size.get("WIDTH", 0)), int(size.get("HEIGHT", 0))


def find_window(title: str, display: str) -> str | None:
    """The largest mapped window named exactly `title`: GTK also makes small helper windows of the same name."""
    proc = run_x([require_tool("xdotool"), "search", "--onlyvisible", "--name", f"^{re.escape(title)}$"], display)
    ids = proc.stdout.split()
    if not ids:
        return None
    return max(ids, key=lambda w: window_size(w, display)[0] * window_size(w, display)[1])


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
    project = appbuild.read_project(app_dir)
    title = project["name"]
    result = SmokeResult(app=title)
    out_dir.mkdir(parents=True, exist_ok=True)
    if build:
        built = appbuild.build(app_dir)
        result.build_seconds = round(built.seconds, 1)
    binary = appbuild.binary_path(app_dir)
    if not binary.is_file():
        raise SmokeError(f"{binary} does not exist: build it with `invoke app.build`")
    result.binary_bytes = binary.stat().st_size
    appenv.ensure_smoke_prerequisites()
    for tool in appenv.SMOKE_TOOLS:
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
    deadline = started + timeout
    while not marker.exists() and app.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if app.poll() is not None:
        log = out_dir / "app.log"
        tail = " | ".join(log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[:3])
        result.problems.append(f"the app exited with code {app.returncode} before it rendered: {tail} (all of it in {log})")
        return
    if not marker.exists():
        result.problems.append(f"the front end did not report `Rendered` within {timeout:.0f} s (blank window?)")
    else:
        result.seconds_to_render = round(time.monotonic() - started, 1)
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
