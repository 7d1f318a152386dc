"""What `invoke status` shows: every pod of the stack, and the config each service runs."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from traderadmin.kube.errors import KubeError
from traderadmin.kube.objects import Pod
from traderadmin.kube.protocol import ClusterApi
from traderadmin.stack.volume import WRITER

SERVICE_PORTS = {"orchestrator": 8080, "scanner": 8081}


@dataclass
class PodStatus:
    deployment: str
    pod: str
    phase: str
    ready: bool
    restarts: int
    service_status: dict[str, Any] | None = None
    error: str = ""


@dataclass
class StackStatus:
    namespace: str
    pods: list[PodStatus] = field(default_factory=list)
    local_sha256: str | None = None

    def rows(self) -> list[dict[str, Any]]:
        """One row per pod: what `invoke status` shows and `--json` prints."""
        out = []
        for p in self.pods:
            s = p.service_status or {}
            digest = s.get("config_sha256")
            out.append({"service": p.deployment, "pod": p.pod, "phase": p.phase, "ready": p.ready,
                        "restarts": p.restarts, "config_sha256": digest,
                        "matches_local": (digest == self.local_sha256) if p.deployment in SERVICE_PORTS else None,
                        "last_error": s.get("last_error") or p.error or None})
        return out

    @property
    def healthy(self) -> bool:
        """Every pod ready, and every service on the local config."""
        rows = self.rows()
        return bool(rows) and all(r["ready"] and r["matches_local"] is not False for r in rows)


def service_pods(kube: ClusterApi, namespace: str, deployment: str) -> list[Pod]:
    return [p for p in kube.pods(namespace, deployment) if not p.deleting]


def read_service_status(kube: ClusterApi, namespace: str, pod: str, deployment: str) -> dict[str, Any] | None:
    status, body = kube.proxy_get(namespace, pod, SERVICE_PORTS[deployment], "status")
    if status != 200:
        return None
    return json.loads(body)


def stack_status(kube: ClusterApi, namespace: str, local_sha256: str | None = None) -> StackStatus:
    """Every pod of the stack with readiness, restarts and (for services) the config it runs.

    One listing of the namespace's pods, then the services' /status read side by side:
    `invoke status` costs about one round trip more than the listing.
    """
    from concurrent.futures import ThreadPoolExecutor

    out = StackStatus(namespace, local_sha256=local_sha256)
    order = (WRITER, *SERVICE_PORTS)
    pods = sorted((p for p in kube.pods(namespace) if p.app in order), key=lambda p: (order.index(p.app), p.name))
    out.pods = [PodStatus(p.app, p.name, p.phase, p.ready, p.restarts) for p in pods]

    def read(ps: PodStatus) -> None:
        try:
            ps.service_status = read_service_status(kube, namespace, ps.pod, ps.deployment)
        except KubeError as e:
            ps.error = str(e)
        except ValueError:
            ps.error = "its /status is not JSON"

    asking = [ps for ps in out.pods if ps.deployment in SERVICE_PORTS and ps.phase == "Running"]
    if asking:
        with ThreadPoolExecutor(max_workers=len(asking)) as pool:
            list(pool.map(read, asking))
    return out
