"""Which Docker Engine answers on /var/run/docker.sock while a flavor runs.

Docker Desktop has one engine whose image store is either the classic one or
containerd's ("Use containerd for pulling and storing images"); switching
restarts the engine, and images of the other store are not seen. Its kind mode
needs the containerd store. Debian 12's docker.io (20.10) only has the classic
store, so the kind flavor runs a newer engine built from Go modules (moby v2,
Docker 29) with the containerd store, in the same place: everything above this
layer talks to "the Docker Engine" as on a Mac, and sees the store switch there
as it would there.

Only engines this toolkit started are ever stopped.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from traderadmin import dockerengine
from traderadmin.errors import ToolkitError
from traderadmin.system import processes
from traderadmin.system.paths import log_dir, state_dir

CLASSIC = "classic"
CONTAINERD_STORE = "containerd-store"
START_TIMEOUT = 90.0


class EngineError(ToolkitError):
    """The Docker Engine a flavor needs cannot be put in place; the message says what to do."""


def _folder() -> Path:
    return state_dir() / "engines" / CONTAINERD_STORE


def _pid_file() -> Path:
    return _folder() / "dockerd.pid"


def log_path() -> Path:
    return log_dir() / f"dockerd-{CONTAINERD_STORE}.log"


def daemon_config() -> dict:
    # runc 1.1 (Debian 12) predates time namespaces, which Docker 29 would otherwise ask for.
    return {"features": {"containerd-snapshotter": True, "time-namespaces": False}}


def containerd_store_argv(dockerd: Path) -> list[str]:
    folder = _folder()
    return [
        str(dockerd),
        f"--config-file={folder / 'daemon.json'}",
        f"--data-root={folder / 'data'}",
        f"--exec-root={folder / 'exec'}",
        f"--pidfile={folder / 'docker.pid'}",
        f"--userland-proxy-path={dockerd.parent / 'docker-proxy'}",
    ]


def running_engine() -> str | None:
    """CONTAINERD_STORE when ours runs, CLASSIC when another dockerd answers, None when none does."""
    if processes.running_pid(_pid_file(), "dockerd"):
        return CONTAINERD_STORE
    return CLASSIC if dockerengine.docker_status().running else None


def ensure(engine: str, dockerd: Path | None, log: Callable[[str], None] = print) -> None:
    """Make `engine` the one that answers, stopping the other only if this toolkit started it."""
    current = running_engine()
    if engine == CLASSIC:
        if current == CONTAINERD_STORE:
            log("Switching the Docker Engine back to the classic image store (Debian's dockerd)")
            processes.stop(_pid_file(), "dockerd", timeout=60)
        dockerengine.ensure_docker(log=log)
        return
    if current == CONTAINERD_STORE:
        if processes.recorded_argv(_pid_file()) == containerd_store_argv(dockerd):
            return
        log("Restarting the containerd-store Docker Engine: its binary or flags changed")
        processes.stop(_pid_file(), "dockerd", timeout=60)
    elif current == CLASSIC:
        ours = dockerengine.started_dockerd_pid()
        if ours is None:
            raise EngineError(
                "the kind flavor runs its own Docker Engine (Docker 29 with the containerd image store, as Docker "
                "Desktop needs for kind mode), but a dockerd this toolkit did not start answers on "
                f"{dockerengine.DOCKER_SOCKET}. Fix: stop it (e.g. `systemctl stop docker docker.socket`), "
                "then run `invoke cluster.up --provider local --flavor kind` again"
            )
        log("Switching the Docker Engine to the containerd image store (images of the classic store are not seen "
            "there, as on Docker Desktop)")
        processes.stop(dockerengine.dockerd_pid_file(), "dockerd", timeout=60)
    _start(dockerd, log)


def _start(dockerd: Path | None, log: Callable[[str], None]) -> None:
    if dockerd is None:
        raise EngineError("no dockerd build for the containerd image store; `invoke cluster.up` builds it")
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "daemon.json").write_text(json.dumps(daemon_config(), indent=2) + "\n")
    log(f"Starting the Docker Engine with the containerd image store (log: {log_path()})")
    pid = processes.start(containerd_store_argv(dockerd), _pid_file(), log_path())
    try:
        dockerengine.wait_for_docker(START_TIMEOUT, pid=pid, log_path=log_path())
    except dockerengine.DockerEngineError as exc:
        raise EngineError(str(exc)) from exc
