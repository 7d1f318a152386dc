"""Put a validated config into the running stack and confirm, by hash, that both services run it."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from traderadmin.errors import ToolkitError

from . import deploy
from .config import guard_live
from .kube import Kube, KubeError

# The orchestrator's PID 1 is its Python process (the launcher execs it), and its
# handler does no work itself (a worker thread reloads): the signal is safe at any moment.
SIGNAL_ARGV = ["/bin/sh", "-c", "kill -USR1 1"]


class ReloadError(ToolkitError):
    """A service did not end up running the new config; the message carries its last error and log."""


@dataclass
class ServiceResult:
    service: str
    pod: str
    config_sha256: str | None
    ok: bool
    seconds: float | None
    reloads: int | None = None
    last_error: str | None = None


@dataclass
class ReloadOutcome:
    sha256: str
    written: bool
    signalled: list[str]
    results: list[ServiceResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def running_config(kube: Kube, namespace: str) -> dict[str, Any] | None:
    """The config the services run now, from their /status; None when none runs one."""
    for service in deploy.SERVICE_PORTS:
        for pod in deploy.service_pods(kube, namespace, service):
            status = _status(kube, namespace, pod.metadata.name, service)
            if status and status.get("config"):
                return status["config"]
    return None


def guard_live_in_cluster(kube: Kube, namespace: str, new: dict[str, Any], confirm_live: bool) -> None:
    """Refuse to start LIVE trading in the cluster unless confirmed, whatever the local file said before."""
    guard_live(running_config(kube, namespace), new, confirm_live)


def signal_orchestrators(kube: Kube, namespace: str) -> list[str]:
    pods = [p.metadata.name for p in deploy.service_pods(kube, namespace, "orchestrator")
            if p.status.phase == "Running"]
    for pod in pods:
        kube.exec(namespace, pod, SIGNAL_ARGV, container="orchestrator")
    return pods


def wait_for_hash(kube: Kube, namespace: str, sha256: str, timeout: float, started: float,
                  on_progress: Callable[[list[ServiceResult]], None] = lambda r: None) -> list[ServiceResult]:
    """Poll every service pod's /status until each reports `sha256` or has rejected it."""
    done: dict[str, ServiceResult] = {}
    deadline = time.monotonic() + timeout
    while True:
        pending: list[ServiceResult] = []
        for service in deploy.SERVICE_PORTS:
            pods = deploy.service_pods(kube, namespace, service)
            if not pods:
                raise ReloadError(f"no {service} pod in {namespace}; `invoke deploy` starts the stack")
            for pod in pods:
                name = pod.metadata.name
                if name in done:
                    continue
                status = _status(kube, namespace, name, service)
                got = status.get("config_sha256") if status else None
                result = ServiceResult(service, name, got, got == sha256, None,
                                       status.get("reloads") if status else None,
                                       status.get("last_error") if status else "no /status answer")
                if result.ok:
                    result.seconds = time.monotonic() - started
                    result.last_error = None
                    done[name] = result
                elif status and status.get("last_rejected_sha256") == sha256:
                    done[name] = result  # refused: waiting longer cannot change the answer
                else:
                    pending.append(result)
        on_progress(list(done.values()) + pending)
        if not pending:
            return list(done.values())
        if time.monotonic() > deadline:
            return list(done.values()) + pending
        time.sleep(0.05)


def _status(kube: Kube, namespace: str, pod: str, service: str) -> dict[str, Any] | None:
    try:
        return deploy.read_service_status(kube, namespace, pod, service)
    except (KubeError, ValueError):
        return None  # a pod that is starting or going away; the deadline decides


def push(kube: Kube, namespace: str, data: bytes, sha256: str, timeout: float = 30,
         signal: bool = True, on_progress: Callable[[list[ServiceResult]], None] = lambda r: None) -> ReloadOutcome:
    """Write the bytes into the volume, signal the orchestrator, and confirm both services by hash."""
    started = time.monotonic()
    written = deploy.put_config(kube, namespace, data, sha256)
    signalled = signal_orchestrators(kube, namespace) if signal else []
    results = wait_for_hash(kube, namespace, sha256, timeout, started, on_progress)
    return ReloadOutcome(sha256, written, signalled, results, time.monotonic() - started)


def failure_report(kube: Kube, namespace: str, outcome: ReloadOutcome) -> str:
    """Why each lagging service is not on the new hash: its last error and its log tail."""
    lines = []
    for r in outcome.results:
        if r.ok:
            continue
        lines.append(f"{r.service} ({r.pod}) runs {(r.config_sha256 or 'no config')[:12]}, "
                     f"not {outcome.sha256[:12]}; last error: {r.last_error or 'none reported'}")
        try:
            tail = kube.logs(namespace, r.pod, r.service, tail=8).rstrip()
        except KubeError as e:
            tail = f"(log unavailable: {e})"
        lines += ["    " + line for line in tail.splitlines()]
    return "\n".join(lines)
