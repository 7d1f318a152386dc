"""Drive the built desktop app under Xvfb as a person would: real X input, screenshots, and
the app's own report of what it shows.

The app writes its UI state (the tab, the inline errors, the last push, the services, the
banner, the open dialog, and where each `data-testid` element is on screen) to the file
named by TRADERADMIN_UI_STATE_FILE after every change it draws. The driver reads that file
to know where to click and to judge what the window shows, and moves the real pointer and
keyboard with xdotool; it never calls into the app.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from traderadmin.app import xdisplay
from traderadmin.errors import ToolkitError
from traderadmin.polling import Deadline, poll_until

UI_STATE_ENV = "TRADERADMIN_UI_STATE_FILE"
TYPE_DELAY_MS = "40"


class DriveError(ToolkitError):
    """The window did not get where a step expected; the message says what was awaited and what was seen."""


@dataclass
class Window:
    """One running app on one virtual display."""

    proc: subprocess.Popen
    display: str
    window: str
    state_file: Path
    shots: Path
    log: Path
    seconds_to_render: float  # start until the front end reported its first paint (Rendered)
    seconds_to_window: float  # start until the X window was mapped (before the page is drawn)
    shot_count: int = 0
    taken: list[Path] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        """The app's latest UI report ({} before the first)."""
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def wait(self, what: str, check: Callable[[dict[str, Any]], Any], timeout: float = 30,
             interval: float = 0.05) -> dict[str, Any]:
        """Poll the UI report until `check` holds; DriveError names `what` and the last report."""
        state: dict[str, Any] = {}

        def reported() -> dict[str, Any] | None:
            nonlocal state  # the failure quotes the latest report
            state = self.state()
            try:
                return state if state and check(state) else None
            except (KeyError, TypeError, IndexError):  # a report without the part `check` looks at
                return None

        def give_up(_last: object) -> None:
            if self.proc.poll() is not None:
                raise DriveError(f"{what}: the app exited with code {self.proc.returncode} (its log: {self.log})")

        def timed_out(_last: object) -> DriveError:
            shown = {k: v for k, v in state.items() if k != "rects"}
            return DriveError(f"{what}: not seen within {timeout:.0f} s; the window last reported "
                              f"{json.dumps(shown)[:3000]} with test ids {sorted(state.get('rects', {}))}")

        return poll_until(reported, timeout, interval, give_up=give_up, timeout_error=timed_out)

    def _xdotool(self, *args: str) -> None:
        proc = xdisplay.run_x([xdisplay.require_tool("xdotool"), *args], self.display)
        if proc.returncode != 0:
            raise DriveError(f"xdotool {' '.join(args)} failed: {proc.stderr.strip()}")

    def rect(self, testid: str, timeout: float = 15) -> dict[str, int]:
        state = self.wait(f"{testid!r} visible in the window", lambda s: testid in s["rects"], timeout)
        return state["rects"][testid]

    def click(self, testid: str, timeout: float = 15) -> float:
        """Click the middle of the element; returns the monotonic time of the click."""
        r = self.rect(testid, timeout)
        x, y = r["x"] + r["w"] // 2, r["y"] + r["h"] // 2
        # Coordinates relative to the window: the web view fills its client area.
        self._xdotool("mousemove", "--window", self.window, str(x), str(y))
        at = time.monotonic()
        self._xdotool("click", "1")
        return at

    def key(self, *keys: str) -> None:
        self._xdotool("key", "--clearmodifiers", *keys)

    def type(self, text: str) -> None:
        self._xdotool("type", "--delay", TYPE_DELAY_MS, text)

    def replace_text(self, testid: str, text: str) -> None:
        """Click into a text field, select what is there and type over it."""
        self.click(testid)
        self.key("ctrl+a")
        self.type(text)

    def screenshot(self, name: str) -> Path:
        """The whole screen, as a person would see it: <n>-<name>.png in the shots folder."""
        self.shot_count += 1
        path = self.shots / f"{self.shot_count:02d}-{name}.png"
        proc = xdisplay.run_x([xdisplay.require_tool("import"), "-window", "root", str(path)], self.display, timeout=60)
        if proc.returncode != 0 or not path.is_file():
            raise DriveError(f"screenshot {path.name} failed: {proc.stderr.strip()}")
        self.taken.append(path)
        return path


def require_display_tools() -> None:
    """Xvfb, xdotool and ImageMagick, or a DriveError that says how to install them (no install here)."""
    missing = [t for t in ("Xvfb", "xdotool", "import") if not _which(t)]
    if missing:
        raise DriveError(f"{', '.join(missing)} not found: the window test needs a virtual display and real X input; "
                         "install them with `invoke app.prereqs --smoke`")


def _which(tool: str) -> bool:
    from shutil import which

    return which(tool) is not None


@contextmanager
def launch(binary: Path, args: list[str], title: str, workdir: Path, shots: Path, env: dict[str, str] | None = None,
           timeout: float = 90) -> Iterator[Window]:
    """Start Xvfb and the app on it; yield once the front end reported its first paint and the window is mapped."""
    require_display_tools()
    shots.mkdir(parents=True, exist_ok=True)
    state_file = workdir / "ui-state.json"
    marker = workdir / "rendered.json"
    for stale in (state_file, marker):
        stale.unlink(missing_ok=True)
    xvfb, display = xdisplay.start_xvfb()
    log_path = shots / "app.log"
    log = log_path.open("w", encoding="utf-8")
    app: subprocess.Popen | None = None
    try:
        full_env = {**os.environ, **xdisplay.HEADLESS_WEBKIT_ENV, **(env or {}), "DISPLAY": display,
                    xdisplay.RENDERED_ENV: str(marker), UI_STATE_ENV: str(state_file)}
        started = time.monotonic()
        app = subprocess.Popen([str(binary), *args], cwd=workdir, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        deadline = Deadline(timeout, start=started)
        window, to_window, to_paint = None, None, None
        # Both clocks in one loop (no poll_until): when GTK mapped the window, and when the page was drawn.
        while (window is None or to_paint is None) and app.poll() is None and not deadline.expired():
            if window is None:
                window = xdisplay.find_window(title, display)
                to_window = deadline.elapsed() if window else None
            if to_paint is None and marker.exists():
                to_paint = deadline.elapsed()
            time.sleep(0.01)
        if app.poll() is not None:
            raise DriveError(f"the app exited with code {app.returncode} before it drew anything; its log: {log_path}")
        if to_paint is None:
            raise DriveError(f"the app did not report its first paint within {timeout:.0f} s (blank window?); log: {log_path}")
        if window is None or to_window is None:
            raise DriveError(f"no window titled {title!r} on the display")
        # GTK maps small helper windows of the same name too: once drawn, take the largest.
        window = xdisplay.find_window(title, display) or window
        # No window manager on Xvfb: give the app the keyboard explicitly.
        xdisplay.run_x([xdisplay.require_tool("xdotool"), "windowfocus", "--sync", window], display)
        yield Window(app, display, window, state_file, shots, log_path, to_paint, to_window)
    finally:
        if app is not None:
            xdisplay.stop_process(app)
        xdisplay.stop_process(xvfb)
        log.close()
