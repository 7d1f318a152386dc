"""Put a validated config into the running stack and confirm, by hash, that both services run it.

The fast path costs one exec (the config writer's atomic `put`) plus the services'
own reaction: both watch the config's directory and apply the new file within
their debounce, usually before the exec has even returned, and /status is read
through the pod proxy (a few ms a call) until each reports the new hash. The
orchestrator's SIGUSR1 is a fallback, sent only to a pod that has not moved
`SIGNAL_AFTER` seconds after the write (a volume that delivers no file events):
a second exec on every reload would double its cost.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from traderadmin.errors import ToolkitError

from traderadmin.config import guard_live
from traderadmin.kube.errors import KubeError
from traderadmin.kube.objects import Pod
from traderadmin.kube.protocol import ClusterApi
from traderadmin.polling import Deadline
from traderadmin.stack.status import SERVICE_PORTS, read_service_status, service_pods
from traderadmin.stack.volume import put_config, writer_pod

# The orchestrator's PID 1 is its Python process (the launcher execs it), and its
# handler does no work itself (a worker thread reloads): the signal is safe at any moment.
# The scanner's image has no shell to send one; its watch and poll are its triggers.
SIGNAL_ARGV = ["/bin/sh", "-c", "kill -USR1 1"]
# Well past the services' watch reaction (debounce plus settle, about 0.1 s at the
# defaults), so a healthy reload never pays for the fallback.
SIGNAL_AFTER = 0.5
# /status through the pod proxy takes a few ms; polling faster than this only adds load.
POLL_INTERVAL = 0.01
# A pod that restarts during a reload is found by listing again this often.
RELIST_INTERVAL = 1.0


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


def running_config(kube: ClusterApi, namespace: str, pods: list[Pod] | None = None) -> dict[str, Any] | None:
    """The config the services run now, from their /status; None when none runs one."""
    listed = pods if pods is not None else kube.pods(namespace)
    for pod in listed:
        if pod.app in SERVICE_PORTS and pod.phase == "Running" and not pod.deleting:
            status = _status(kube, namespace, pod.name, pod.app)
            if status and status.get("config"):
                return status["config"]
    return None


def guard_live_in_cluster(kube: ClusterApi, namespace: str, new: dict[str, Any], confirm_live: bool,
                          pods: list[Pod] | None = None) -> None:
    """Refuse to start LIVE trading in the cluster unless confirmed, whatever the local file said before."""
    guard_live(running_config(kube, namespace, pods), new, confirm_live)


def signal_orchestrators(kube: ClusterApi, namespace: str, names: list[str] | None = None) -> list[str]:
    """SIGUSR1 to the running orchestrator pods (those in `names` when given)."""
    pods = [p.name for p in service_pods(kube, namespace, "orchestrator")
            if p.phase == "Running" and (names is None or p.name in names)]
    for pod in pods:
        kube.exec(namespace, pod, SIGNAL_ARGV, container="orchestrator")
    return pods


def _service_pods(pods: list[Pod]) -> dict[str, list[Pod]]:
    return {s: [p for p in pods if p.app == s and not p.deleting] for s in SERVICE_PORTS}


def wait_for_hash(kube: ClusterApi, namespace: str, sha256: str, timeout: float, started: float,
                  on_progress: Callable[[list[ServiceResult]], None] = lambda r: None,
                  pods: list[Pod] | None = None, signal_after: float | None = SIGNAL_AFTER,
                  signalled: list[str] | None = None) -> list[ServiceResult]:
    """Poll every service pod's /status until each reports `sha256` or has rejected it.

    `pods`: a listing the caller made (else one is made); listed again every
    RELIST_INTERVAL so a pod that restarts meanwhile is followed. A lagging
    orchestrator is signalled once, `signal_after` seconds in (None: never);
    its name is added to `signalled`.
    """
    done: dict[str, ServiceResult] = {}
    deadline = Deadline(timeout)
    by_service = _service_pods(pods if pods is not None else kube.pods(namespace))
    listed_at = time.monotonic()
    signalled = signalled if signalled is not None else []
    tried_signal = False
    with ThreadPoolExecutor(max_workers=4) as pool:
        while True:
            if time.monotonic() - listed_at > RELIST_INTERVAL:
                by_service, listed_at = _service_pods(kube.pods(namespace)), time.monotonic()
            for service, listed in by_service.items():
                if not listed:
                    raise ReloadError(f"no {service} pod in {namespace}; `invoke deploy` starts the stack")
            asking = [(s, p.name) for s, listed in by_service.items() for p in listed if p.name not in done]
            statuses = list(pool.map(lambda sp: _status(kube, namespace, sp[1], sp[0]), asking))
            pending: list[ServiceResult] = []
            for (service, name), status in zip(asking, statuses):
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
            if deadline.expired():  # the caller reports who is missing: no exception here
                return list(done.values()) + pending
            if (signal_after is not None and not tried_signal
                    and time.monotonic() - started > signal_after):
                tried_signal = True
                lagging = [r.pod for r in pending if r.service == "orchestrator"]
                if lagging:
                    try:
                        signalled += signal_orchestrators(kube, namespace, lagging)
                    except KubeError:
                        pass  # a fallback only: the poll in the service still comes, the deadline decides
            time.sleep(POLL_INTERVAL)


def _status(kube: ClusterApi, namespace: str, pod: str, service: str) -> dict[str, Any] | None:
    try:
        return read_service_status(kube, namespace, pod, service)
    except (KubeError, ValueError):
        return None  # a pod that is starting or going away; the deadline decides


def push(kube: ClusterApi, namespace: str, data: bytes, sha256: str, timeout: float = 30,
         signal: bool = True, on_progress: Callable[[list[ServiceResult]], None] = lambda r: None,
         pods: list[Pod] | None = None) -> ReloadOutcome:
    """Write the bytes into the volume and confirm both services by hash (signalling only a laggard).

    `pods`: the namespace's pods when the caller listed them already (one API call saved).
    """
    started = time.monotonic()
    listed = pods if pods is not None else kube.pods(namespace)
    written = put_config(kube, namespace, data, sha256, writer=writer_pod(kube, namespace, listed))
    signalled: list[str] = []
    results = wait_for_hash(kube, namespace, sha256, timeout, started, on_progress, pods=listed,
                            signal_after=SIGNAL_AFTER if signal else None, signalled=signalled)
    return ReloadOutcome(sha256, written, signalled, results, time.monotonic() - started)


def failure_report(kube: ClusterApi, namespace: str, outcome: ReloadOutcome) -> str:
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
