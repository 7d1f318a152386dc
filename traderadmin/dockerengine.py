"""Make sure a Docker Engine answers before anything builds images.

`ensure_docker()` is the one entry point: it returns when `docker` can talk to a
daemon, installing Debian's docker.io and starting dockerd when it may (Linux,
root, apt), and otherwise raises DockerEngineError saying what to do. There is no
systemd on the machines this targets, so dockerd is started as a detached
background process whose log goes to the state folder.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from traderadmin.errors import ToolkitError
from traderadmin.polling import poll_until
from traderadmin.system import processes
from traderadmin.system.distro import linux_root_debian
from traderadmin.system.paths import log_dir, state_dir
from traderadmin.tails import tail_file

DOCKER_SOCKET = Path("/var/run/docker.sock")
APT_PACKAGE = "docker.io"


class DockerEngineError(ToolkitError):
    """The Docker Engine is missing or not answering; the message says how to fix it."""


@dataclass(frozen=True)
class DockerStatus:
    """What `docker version` reports, and what ensure_docker had to do to get there."""

    client_found: bool
    server_version: str | None
    error: str = ""
    installed: bool = False
    started: bool = False

    @property
    def running(self) -> bool:
        return self.server_version is not None


def docker_status(timeout: float = 15.0) -> DockerStatus:
    """Ask the daemon for its version without changing anything."""
    if shutil.which("docker") is None:
        return DockerStatus(client_found=False, server_version=None, error="docker CLI not found on PATH")
    try:
        proc = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return DockerStatus(client_found=True, server_version=None, error=f"docker version timed out after {timeout:.0f}s")
    version = proc.stdout.strip()
    if proc.returncode == 0 and version:
        return DockerStatus(client_found=True, server_version=version)
    return DockerStatus(client_found=True, server_version=None, error=(proc.stderr or proc.stdout).strip())


def manual_fix() -> str:
    """The advice for machines where the toolkit does not manage the engine itself."""
    if platform.system() in ("Darwin", "Windows"):
        return "start Docker Desktop (and wait until it says 'Engine running')"
    return (
        "install and start Docker Engine: as root on Debian/Ubuntu run `invoke cluster.up --provider local` "
        f"(it installs {APT_PACKAGE} and starts dockerd), or `sudo apt-get install -y {APT_PACKAGE} && sudo dockerd &`"
    )


def install_docker_package(log: Callable[[str], None] = print) -> None:
    """apt-get install docker.io, non-interactively."""
    log(f"Installing {APT_PACKAGE} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    proc = subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", APT_PACKAGE],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        raise DockerEngineError(
            f"`apt-get install -y {APT_PACKAGE}` failed (exit {proc.returncode}):\n"
            f"{proc.stderr.strip()[-2000:]}\nFix: run `apt-get update` and retry."
        )


def dockerd_log_path() -> Path:
    return log_dir() / "dockerd.log"


def dockerd_pid_file() -> Path:
    return state_dir() / "dockerd.pid"


def started_dockerd_pid() -> int | None:
    """The pid of the dockerd this toolkit started, if it still runs."""
    return processes.running_pid(dockerd_pid_file(), "dockerd")


def start_dockerd(log_path: Path | None = None) -> int:
    """Start dockerd detached from this process; return its pid. Its output goes to `log_path`."""
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise DockerEngineError(f"dockerd not found on PATH. Fix: apt-get install -y {APT_PACKAGE}")
    return processes.start([dockerd], dockerd_pid_file(), log_path or dockerd_log_path())


def wait_for_docker(timeout: float, pid: int | None = None, log_path: Path | None = None) -> DockerStatus:
    """Poll until the daemon answers; fail early if the dockerd we started has exited."""
    status = DockerStatus(client_found=True, server_version=None)

    def answered() -> DockerStatus | None:
        nonlocal status  # the error at the deadline quotes the last answer
        status = docker_status()
        return status if status.running else None

    def give_up(_last: object) -> None:
        if pid is not None and processes.exited(pid):
            raise DockerEngineError(
                f"dockerd (pid {pid}) exited while starting. Last lines of {log_path}:\n{tail_file(log_path, lines=20) if log_path else ''}"
            )

    def timed_out(_last: object) -> DockerEngineError:
        where = f" Last lines of {log_path}:\n{tail_file(log_path, lines=20)}" if log_path else ""
        return DockerEngineError(f"Docker Engine did not answer within {timeout:.0f}s ({status.error}).{where}")

    return poll_until(answered, timeout, interval=0.5, give_up=give_up, timeout_error=timed_out)


def ensure_docker(
    *,
    install: bool = True,
    start: bool = True,
    timeout: float = 90.0,
    log: Callable[[str], None] = print,
) -> DockerStatus:
    """Return once a Docker Engine answers, or raise DockerEngineError with the fix.

    On Debian/Ubuntu as root it installs docker.io when the CLI is missing
    (`install`) and starts dockerd in the background when the daemon is down
    (`start`), logging to `<state dir>/logs/dockerd.log`. Elsewhere it only checks.
    """
    status = docker_status()
    if status.running:
        return status
    # Only root on Debian/Ubuntu Linux gets an engine installed and started for it.
    manage = linux_root_debian()
    installed = False
    if not status.client_found or shutil.which("dockerd") is None:
        if not (install and manage):
            raise DockerEngineError(f"Docker is not installed. Fix: {manual_fix()}")
        install_docker_package(log)
        installed = True
        status = docker_status()
        if status.running:
            return DockerStatus(True, status.server_version, installed=True)
    if not (start and manage):
        raise DockerEngineError(f"Docker Engine is not running ({status.error}). Fix: {manual_fix()}")
    path = dockerd_log_path()
    log(f"Starting dockerd (log: {path})")
    pid = start_dockerd(path)
    status = wait_for_docker(timeout, pid=pid, log_path=path)
    return DockerStatus(True, status.server_version, installed=installed, started=True)
