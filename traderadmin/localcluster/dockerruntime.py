"""The Docker Engine as the kubeadm flavor's container runtime.

On hosts where root lacks CAP_SYS_RESOURCE, dockerd needs a runtime that clamps negative OOM
  scores (see gosrc/runc-oom-clamp). containerd has `restrict_oom_score_adj` for
  this; dockerd has no such switch, so the wrapper is registered in
  /etc/docker/daemon.json as the default runtime and dockerd reloads it on SIGHUP
  (`runtimes` and `default-runtime` are live-reloadable), without a restart that
  would stop the user's containers. The wrapper only ever raises a score.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from traderadmin.atomicfile import atomic_write
from traderadmin.errors import ToolkitError
from traderadmin.polling import poll_until

CLAMP_RUNTIME = "traderadmin-runc"
DAEMON_JSON = Path("/etc/docker/daemon.json")
DOCKER_PID = Path("/var/run/docker.pid")
# cri-dockerd labels every container it makes with this key (sandbox or container).
CRI_LABEL = "io.kubernetes.docker.type"


class DockerRuntimeError(ToolkitError):
    """The Docker Engine cannot serve as the cluster's runtime; the message says why and how to fix it."""


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def runtimes() -> tuple[str, dict[str, str]]:
    """(default runtime, {registered runtime: its path}) as the running dockerd reports them."""
    proc = _docker("info", "--format", "{{json .DefaultRuntime}} {{json .Runtimes}}")
    if proc.returncode != 0:
        raise DockerRuntimeError(f"`docker info` failed: {proc.stderr.strip()}. Fix: start the Docker Engine")
    default, _, registered = proc.stdout.strip().partition(" ")
    return json.loads(default), {name: spec.get("path", "") for name, spec in json.loads(registered or "{}").items()}


def merged_daemon_config(current: dict, clamp_path: Path) -> dict:
    """`current` with the clamp registered as the default runtime; everything else kept."""
    merged = dict(current)
    merged["runtimes"] = {**current.get("runtimes", {}), CLAMP_RUNTIME: {"path": str(clamp_path)}}
    merged["default-runtime"] = CLAMP_RUNTIME
    return merged


def install_clamp(wrapper: Path, stable_path: Path, log=print, timeout: float = 20.0) -> None:
    """Make dockerd run every container through `wrapper`, kept at `stable_path`.

    The wrapper is copied to a path that never changes: shims of running containers
    call it again to kill and delete them, long after a rebuild moved the original.
    """
    stable_path.parent.mkdir(parents=True, exist_ok=True)
    if not stable_path.exists() or stable_path.read_bytes() != wrapper.read_bytes():
        atomic_write(stable_path, wrapper.read_bytes(), mode=0o755)
    default, registered = runtimes()
    # The path matters too: another state folder (TRADERADMIN_STATE_DIR) registers its own copy.
    if default == CLAMP_RUNTIME and registered.get(CLAMP_RUNTIME) == str(stable_path):
        return
    try:
        current = json.loads(DAEMON_JSON.read_text()) if DAEMON_JSON.exists() else {}
    except ValueError as exc:
        raise DockerRuntimeError(f"{DAEMON_JSON} is not valid JSON ({exc}); fix or remove it") from exc
    log(f"Registering {CLAMP_RUNTIME} (OOM-score clamp) as dockerd's default runtime in {DAEMON_JSON}")
    DAEMON_JSON.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(DAEMON_JSON, (json.dumps(merged_daemon_config(current, stable_path), indent=2) + "\n").encode())
    _reload_dockerd()
    poll_until(
        lambda: runtimes()[0] == CLAMP_RUNTIME, timeout, interval=0.5,
        timeout_error=lambda _last: DockerRuntimeError(
            f"dockerd did not take {CLAMP_RUNTIME} as its default runtime after a reload; its log says why "
            f"(a flag such as --default-runtime overrides {DAEMON_JSON}). Fix: restart dockerd"
        ),
    )


def _reload_dockerd() -> None:
    try:
        pid = int(DOCKER_PID.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        raise DockerRuntimeError(
            f"could not ask dockerd to reload {DAEMON_JSON} ({exc}). Fix: restart dockerd"
        ) from exc


def pod_containers() -> list[str]:
    """IDs of every container cri-dockerd made (sandboxes and containers)."""
    proc = _docker("ps", "-aq", "--filter", f"label={CRI_LABEL}")
    return proc.stdout.split() if proc.returncode == 0 else []


def remove_pod_containers() -> int:
    """Force-remove every pod container: with the kubelet gone, nothing else will."""
    ids = pod_containers()
    if ids:
        _docker("rm", "--force", "--volumes", *ids, timeout=120)
    return len(ids)
