"""What the toolkit reads of cluster objects, as plain frozen dataclasses made from the API's JSON.

Callers never see the API's own shapes (nor the kubernetes package's models):
each class holds only the fields some caller reads, so a fake cluster in the
tests builds them as easily as the handle does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

APP_LABEL = "app.kubernetes.io/name"


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    returncode: int


@dataclass(frozen=True)
class Pod:
    """What the daily loop (reload, status, logs, watch) reads of a pod."""

    name: str
    app: str
    phase: str
    ready: bool
    restarts: int
    deleting: bool = False
    containers: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Pod:
        meta, status = item.get("metadata") or {}, item.get("status") or {}
        conditions = status.get("conditions") or []
        statuses = status.get("containerStatuses") or []
        spec = item.get("spec") or {}
        return cls(
            name=meta.get("name", ""),
            app=(meta.get("labels") or {}).get(APP_LABEL, ""),
            phase=status.get("phase") or "Unknown",
            ready=any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions),
            restarts=sum(int(cs.get("restartCount") or 0) for cs in statuses),
            deleting=bool(meta.get("deletionTimestamp")),
            containers=tuple(c.get("name", "") for c in spec.get("containers") or []),
        )


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str = ""
    message: str = ""

    @classmethod
    def from_api(cls, c: dict[str, Any]) -> Condition:
        return cls(c.get("type", ""), c.get("status", ""), c.get("reason") or "", c.get("message") or "")


@dataclass(frozen=True)
class Waiting:
    reason: str
    message: str = ""


@dataclass(frozen=True)
class Terminated:
    exit_code: int
    reason: str = ""


@dataclass(frozen=True)
class ContainerState:
    """At most one of the three is set, as the API reports a container's state."""

    waiting: Waiting | None = None
    running: bool = False
    terminated: Terminated | None = None

    @classmethod
    def from_api(cls, s: dict[str, Any] | None) -> ContainerState:
        s = s or {}
        w, t = s.get("waiting"), s.get("terminated")
        return cls(Waiting(w.get("reason") or "", w.get("message") or "") if w is not None else None,
                   s.get("running") is not None,
                   Terminated(int(t.get("exitCode") or 0), t.get("reason") or "") if t is not None else None)


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    image: str
    state: ContainerState
    last_state: ContainerState
    restart_count: int
    ready: bool

    @classmethod
    def from_api(cls, cs: dict[str, Any]) -> ContainerStatus:
        return cls(cs.get("name", ""), cs.get("image", ""), ContainerState.from_api(cs.get("state")),
                   ContainerState.from_api(cs.get("lastState")), int(cs.get("restartCount") or 0),
                   bool(cs.get("ready")))


@dataclass(frozen=True)
class PodDetail:
    """A pod with its conditions and every container's state: what explaining a stuck rollout reads."""

    name: str
    app: str
    uid: str
    phase: str
    conditions: tuple[Condition, ...] = ()
    init_container_statuses: tuple[ContainerStatus, ...] = ()
    container_statuses: tuple[ContainerStatus, ...] = ()
    reason: str = ""  # why the pod as a whole ended (Evicted, DeadlineExceeded), with `message`
    message: str = ""

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> PodDetail:
        meta, status = item.get("metadata") or {}, item.get("status") or {}
        return cls(meta.get("name", ""), (meta.get("labels") or {}).get(APP_LABEL, ""), meta.get("uid", ""),
                   status.get("phase") or "Unknown",
                   tuple(Condition.from_api(c) for c in status.get("conditions") or []),
                   tuple(ContainerStatus.from_api(c) for c in status.get("initContainerStatuses") or []),
                   tuple(ContainerStatus.from_api(c) for c in status.get("containerStatuses") or []),
                   status.get("reason") or "", status.get("message") or "")


@dataclass(frozen=True)
class Deployment:
    """A Deployment's rollout as its controller reports it, plus its pod template (as the API's JSON)."""

    name: str
    generation: int = 0
    replicas: int = 0
    observed_generation: int = 0
    updated_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    total_replicas: int = 0  # status.replicas: old and new pods alike
    strategy: str = ""
    conditions: tuple[Condition, ...] = ()
    template: dict[str, Any] | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Deployment:
        meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
        return cls(meta.get("name", ""), int(meta.get("generation") or 0), int(spec.get("replicas") or 0),
                   int(status.get("observedGeneration") or 0), int(status.get("updatedReplicas") or 0),
                   int(status.get("readyReplicas") or 0), int(status.get("availableReplicas") or 0),
                   int(status.get("replicas") or 0), (spec.get("strategy") or {}).get("type") or "",
                   tuple(Condition.from_api(c) for c in status.get("conditions") or []), spec.get("template"))


@dataclass(frozen=True)
class Claim:
    """A PersistentVolumeClaim: Pending until bound, then the volume it holds."""

    name: str
    phase: str
    volume: str = ""
    storage_class: str = ""
    annotations: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Claim:
        meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
        return cls(meta.get("name", ""), status.get("phase") or "",
                   spec.get("volumeName") or "", spec.get("storageClassName") or "",
                   tuple(sorted((meta.get("annotations") or {}).items())))

    def annotation(self, key: str) -> str | None:
        return dict(self.annotations).get(key)


@dataclass(frozen=True)
class Event:
    time: str
    type: str
    kind: str
    name: str
    reason: str
    message: str

    @classmethod
    def from_api(cls, e: dict[str, Any]) -> Event:
        about = e.get("involvedObject") or {}
        return cls(e.get("lastTimestamp") or e.get("eventTime") or "", e.get("type") or "", about.get("kind") or "",
                   about.get("name") or "", e.get("reason") or "", e.get("message") or "")


@dataclass(frozen=True)
class NodeInfo:
    name: str
    ready: bool
    kubelet_version: str
    container_runtime: str

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> NodeInfo:
        status = item.get("status") or {}
        info = status.get("nodeInfo") or {}
        return cls((item.get("metadata") or {}).get("name", ""),
                   any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []),
                   info.get("kubeletVersion") or "", info.get("containerRuntimeVersion") or "")
