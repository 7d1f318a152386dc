"""What the desktop app needs on this machine, and installing it when missing.

WebKitGTK: Debian 12 and Ubuntu 22.04 offer both 4.0 (libsoup2) and 4.1
(libsoup3); Debian 13, Ubuntu 24.04 and Fedora ship only 4.1. We install 4.1
so the one path CI exercises is the one every current distribution has, and
pass Wails the `webkit2_41` build tag it then needs. A machine that already
has only the 4.0 development files is used as it is, without the tag.

The Wails CLI is built from template/wails-cli, a Go module that pins the
CLI to the version of the library the template uses (a CLI newer or older
than the app's library warns or breaks) and lifts golang.org/x/tools to a
version that compiles with current Go (`go install ...@v2.9.2` fails there).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from traderadmin.errors import ToolkitError

WAILS_VERSION = "v2.9.2"
WAILS_CLI_MODULE = Path(__file__).resolve().parents[2] / "template" / "wails-cli"

WEBKIT_41 = "webkit2gtk-4.1"
WEBKIT_40 = "webkit2gtk-4.0"
WEBKIT_41_TAG = "webkit2_41"

# Debian package names: what `wails build` links against, and what the
# headless smoke test needs to open and photograph the window.
BUILD_PACKAGES = ("pkg-config", "gcc", "libc6-dev", "libgtk-3-dev", "libwebkit2gtk-4.1-dev")
SMOKE_PACKAGES = ("xvfb", "xdotool", "imagemagick")


class AppEnvError(ToolkitError):
    """A prerequisite of the desktop app is missing and could not be installed."""


@dataclass(frozen=True)
class WebKit:
    module: str  # pkg-config module
    version: str
    tags: tuple[str, ...]  # Go build tags Wails needs for it


def _run(cmd: list[str], timeout: float = 60, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def webkit() -> WebKit | None:
    """The WebKitGTK development files pkg-config finds, 4.1 first; None when neither."""
    if shutil.which("pkg-config") is None:
        return None
    for module, tags in ((WEBKIT_41, (WEBKIT_41_TAG,)), (WEBKIT_40, ())):
        proc = _run(["pkg-config", "--modversion", module])
        if proc.returncode == 0:
            return WebKit(module, proc.stdout.strip(), tags)
    return None


def build_tags() -> tuple[str, ...]:
    """The Go build tags `wails build|dev|generate` need on this machine."""
    if sys.platform != "linux":
        return ()
    found = webkit()
    if found is None:
        raise AppEnvError(
            "no WebKitGTK development files (pkg-config finds neither webkit2gtk-4.1 nor webkit2gtk-4.0): "
            "run `invoke app.prereqs` (or apt-get install -y " + " ".join(BUILD_PACKAGES) + ")"
        )
    return found.tags


def go_bin_dir() -> Path:
    """Where `go install` puts binaries (GOBIN, else GOPATH/bin)."""
    proc = _run(["go", "env", "GOBIN", "GOPATH"])
    if proc.returncode != 0:
        raise AppEnvError(f"`go env` failed: {proc.stderr.strip()}: install Go 1.24 or newer")
    gobin, gopath = (proc.stdout.splitlines() + ["", ""])[:2]
    return Path(gobin) if gobin else Path(gopath.split(os.pathsep)[0]) / "bin"


def wails_version(path: Path) -> str | None:
    try:
        proc = _run([str(path), "version"], timeout=30)
    except OSError:
        return None
    match = re.search(r"v\d+\.\d+\.\d+", proc.stdout)
    return match.group(0) if proc.returncode == 0 and match else None


def find_wails() -> Path | None:
    """The Wails CLI of the pinned version: the one `go install` made, else one on PATH."""
    candidates = []
    if shutil.which("go"):
        candidates.append(go_bin_dir() / "wails")
    on_path = shutil.which("wails")
    if on_path:
        candidates.append(Path(on_path))
    for path in candidates:
        if path.is_file() and wails_version(path) == WAILS_VERSION:
            return path
    return None


def install_wails() -> Path:
    """Build the pinned Wails CLI into GOBIN unless it is already there."""
    found = find_wails()
    if found is not None:
        return found
    if shutil.which("go") is None:
        raise AppEnvError("go not found: install Go 1.24 or newer (https://go.dev/dl/), then rerun `invoke app.prereqs`")
    proc = _run(["go", "install", "tool"], timeout=900, cwd=WAILS_CLI_MODULE)
    if proc.returncode != 0:
        raise AppEnvError(f"building the Wails CLI in {WAILS_CLI_MODULE} failed:\n{proc.stderr.strip()[-2000:]}")
    found = find_wails()
    if found is None:
        raise AppEnvError(f"`go install tool` in {WAILS_CLI_MODULE} succeeded but no wails {WAILS_VERSION} is in {go_bin_dir()}")
    return found


def is_debian() -> bool:
    return sys.platform == "linux" and shutil.which("dpkg-query") is not None and shutil.which("apt-get") is not None


def missing_packages(packages: tuple[str, ...]) -> list[str]:
    """Which of `packages` dpkg does not list as installed."""
    missing = []
    for name in packages:
        proc = _run(["dpkg-query", "-W", "-f", "${db:Status-Status}", name])
        if proc.returncode != 0 or proc.stdout.strip() != "installed":
            missing.append(name)
    return missing


def _apt_install(packages: list[str]) -> subprocess.CompletedProcess[str]:
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return _run([*prefix, "apt-get", "install", "-y", "--no-install-recommends", *packages], timeout=1800, env=env)


def install_packages(packages: tuple[str, ...]) -> list[str]:
    """apt-get install what is missing; returns what was installed."""
    if not is_debian():
        raise AppEnvError(
            "automatic installs need Debian or Ubuntu (apt-get); install GTK 3 and WebKitGTK 4.1 development files, "
            "pkg-config and a C compiler with your system's package manager"
        )
    missing = missing_packages(packages)
    if not missing:
        return []
    if os.geteuid() != 0 and shutil.which("sudo") is None:
        raise AppEnvError(f"missing Debian packages {' '.join(missing)}: run as root: apt-get install -y {' '.join(missing)}")
    proc = _apt_install(missing)
    if proc.returncode != 0:
        # Stale package lists are the usual cause on a fresh machine.
        prefix = [] if os.geteuid() == 0 else ["sudo"]
        _run([*prefix, "apt-get", "update"], timeout=600)
        proc = _apt_install(missing)
    if proc.returncode != 0:
        raise AppEnvError(f"apt-get install {' '.join(missing)} failed:\n{proc.stderr.strip()[-2000:]}")
    return missing


def ensure_build_prerequisites() -> list[str]:
    """Install the GTK/WebKitGTK build packages when no WebKitGTK is usable; returns what was installed."""
    if sys.platform != "linux":
        return []
    if webkit() is not None and shutil.which("gcc") is not None:
        return []
    return install_packages(BUILD_PACKAGES)


SMOKE_TOOLS = ("Xvfb", "xdotool", "import", "identify")


def ensure_smoke_prerequisites() -> list[str]:
    """Install Xvfb, xdotool and ImageMagick when one of their commands is missing."""
    if all(shutil.which(tool) for tool in SMOKE_TOOLS):
        return []
    return install_packages(SMOKE_PACKAGES)
