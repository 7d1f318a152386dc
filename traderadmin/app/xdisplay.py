"""A virtual X display for the desktop app: Xvfb, xdotool and ImageMagick, shared by the
smoke test (`smoke`) and the window driver (`drive`)."""
from __future__ import annotations

import os
import re
import select
import shutil
import subprocess

from traderadmin.app import toolchain
from traderadmin.errors import ToolkitError
from traderadmin.polling import Deadline

SCREEN = "1280x900x24"
# Without these WebKitGTK may paint nothing under Xvfb (no DMA-BUF, no GPU).
HEADLESS_WEBKIT_ENV = {"WEBKIT_DISABLE_DMABUF_RENDERER": "1", "WEBKIT_DISABLE_COMPOSITING_MODE": "1"}
RENDERED_ENV = "TRADERADMIN_RENDERED_FILE"


class DisplayError(ToolkitError):
    """The virtual display or one of its tools is missing or did not start."""


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DisplayError(f"{name} not found: run `invoke app.prereqs --smoke` (Debian packages {' '.join(toolchain.SMOKE_PACKAGES)})")
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
        deadline = Deadline(30)
        while not number.endswith("\n") and not deadline.expired():
            ready, _, _ = select.select([read_fd], [], [], deadline.remaining())
            chunk = os.read(read_fd, 64).decode() if ready else ""
            if not chunk:
                break
            number += chunk
        number = number.strip()
    finally:
        os.close(read_fd)
    if not number.isdigit():
        proc.kill()
        raise DisplayError("Xvfb did not report a display within 30 s")
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
