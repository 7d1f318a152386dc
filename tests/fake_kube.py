"""A stand-in for the cluster handles (traderadmin.kube.sdk.Kube, traderadmin.kube.api.KubeApi): pods,
deployments and service /status held in memory. It satisfies the Cluster Protocol (and so ClusterApi);
tests/test_kube_protocol.py checks it."""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Iterator

from traderadmin.kube.objects import (
    Claim,
    Condition,
    ContainerState,
    ContainerStatus,
    Deployment,
    Event,
    ExecResult,
    NodeInfo,
    Pod,
    PodDetail,
    Terminated,
    Waiting,
)


def pod(name: str, app: str, phase: str = "Running", waiting: str | None = None, restarts: int = 0,
        ready: bool = True, message: str = "", scheduled: bool = True, init: list[ContainerStatus] | None = None,
        image: str | None = None) -> PodDetail:
    state = ContainerState(waiting=Waiting(waiting, message) if waiting else None)
    conditions = [Condition("Ready", "True" if ready else "False")]
    if not scheduled:
        conditions.append(Condition("PodScheduled", "False", message="0/1 nodes: unbound PVC"))
    return PodDetail(name, app, name, phase, tuple(conditions), tuple(init or ()),
                     (ContainerStatus(app, image or f"traderadmin/{app}:t", state, ContainerState(), restarts, ready),))


def init_container(name: str, exit_code: int | None = None, waiting: str | None = None, running: bool = False,
                   restarts: int = 0) -> ContainerStatus:
    """An init container's status: `exit_code` alone is its current end; with `waiting`, its last one."""
    ended = Terminated(exit_code) if exit_code is not None else None
    state = ContainerState(waiting=Waiting(waiting) if waiting else None, running=running,
                           terminated=None if waiting else ended)
    return ContainerStatus(name, "traderadmin/configwriter:t", state, ContainerState(terminated=ended if waiting else None),
                           restarts, False)


def deployment(generation=2, observed=2, replicas=1, updated=1, ready=1, available=1, total=1,
               conditions: list[Condition] | None = None, strategy: str = "RollingUpdate") -> Deployment:
    return Deployment("d", generation, replicas, observed, updated, ready, available, total, strategy,
                      tuple(conditions or ()))


class FakeKube:
    context = "fake"

    def __init__(self) -> None:
        self.pod_objects: list[PodDetail] = []
        self.patches: list[tuple[str, dict]] = []
        self.scaled: list[tuple[str, int]] = []
        self.deployment_objects: dict[str, Deployment] = {}
        self.status: dict[str, Any] = {}  # pod name -> /status dict, or a list consumed per call
        self.readyz: dict[str, tuple[int, str]] = {}
        self.logs_by_pod: dict[str, str] = {}
        self.logs_read: list[tuple[str, str | None, bool]] = []  # (pod, container, previous)
        self.execs: list[tuple[str, list[str]]] = []
        self.volume: dict[str, Any] = {"sha256": None}
        self.namespace_phases: list[str | None] = []  # consumed per call; empty: no such namespace
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}  # (kind, name) -> applied object
        self.versions: dict[tuple[str, str], int] = {}
        self.deleted: list[str] = []
        self.claim_annotations: dict[str, str] = {}
        self.created: list[dict[str, Any]] = []
        self.created_phase: dict[str, str] = {}  # app -> the phase a created pod of it shows
        self.create_refusal: Exception | None = None

    def proxy_get(self, namespace, pod, port, path, timeout=5):
        if path == "readyz":
            return self.readyz.get(pod, (200, '{"ready": true}'))
        value = self.status[pod]
        if isinstance(value, list):
            value = value.pop(0) if len(value) > 1 else value[0]
        return 200, json.dumps(value)

    def logs(self, namespace, pod, container=None, tail=20, previous=False, since_seconds=None):
        self.logs_read.append((pod, container, previous))
        self.logs_since = since_seconds
        return self.logs_by_pod.get(pod, "")

    def exec(self, namespace, pod, argv, container=None, timeout=30, check=True):
        self.execs.append((pod, argv))
        if argv[:2] == ["/configwriter", "put"]:
            changed = self.volume["sha256"] != argv[3]
            self.volume["sha256"] = argv[3]
            return ExecResult(json.dumps({"changed": changed, "sha256": argv[3]}), "", 0)
        if argv[:2] == ["/configwriter", "stat"]:
            return ExecResult(json.dumps({"exists": self.volume["sha256"] is not None, **self.volume}), "", 0)
        return ExecResult("", "", 0)

    def pods(self, namespace: str, app: str | None = None) -> list[Pod]:
        out = []
        for p in self.pod_details(namespace, app):
            ready = any(c.type == "Ready" and c.status == "True" for c in p.conditions)
            restarts = sum(cs.restart_count for cs in p.container_statuses)
            out.append(Pod(p.name, p.app, p.phase, ready, restarts, containers=(p.app,)))
        return out

    def stream_logs(self, namespace, pod, container=None, tail=20, since_seconds=None,
                    previous=False) -> Iterator[str]:
        self.logs_read.append((pod, container, previous))
        yield from self.logs_by_pod.get(pod, "").splitlines(keepends=True)

    def patch_deployment(self, namespace, name, patch) -> None:
        self.patches.append((name, patch))

    def scale(self, namespace, deployment, replicas) -> None:
        self.scaled.append((deployment, replicas))


    # -- Cluster: what deploying reads and writes ---------------------------------------------------

    def namespace_phase(self, namespace: str) -> str | None:
        return self.namespace_phases.pop() if self.namespace_phases else None

    def deployment(self, namespace: str, name: str) -> Deployment:
        return replace(self.deployment_objects[name], name=name)

    def deployments(self, namespace: str) -> list[Deployment]:
        return [self.deployment(namespace, name) for name in self.deployment_objects]

    def pod_details(self, namespace: str, app: str | None = None) -> list[PodDetail]:
        return [p for p in self.pod_objects if app is None or p.app == app]

    def claim(self, namespace: str, name: str) -> Claim | None:
        if self.volume.get("pvc_phase") == "missing":
            return None
        return Claim(name, self.volume.get("pvc_phase", "Bound"), "pv-1", "hostpath",
                     tuple(sorted(self.claim_annotations.items())))

    def annotate_claim(self, namespace: str, name: str, annotations: dict[str, str]) -> None:
        self.claim_annotations.update(annotations)

    def volume_exists(self, name: str) -> bool:
        return name == "pv-1"

    def service_ip(self, namespace: str, name: str) -> str:
        return "10.96.0.10"

    def events(self, namespace: str) -> list[Event]:
        return []

    def nodes(self, timeout: float = 10) -> list[NodeInfo]:
        return [NodeInfo("node", True, "v1.34.0", "containerd://2.0.0")]

    def create_pod(self, namespace: str, body: dict[str, Any]) -> None:
        if self.create_refusal is not None:
            raise self.create_refusal
        name = body["metadata"]["name"]
        app = body["metadata"].get("labels", {}).get("app.kubernetes.io/name", name)
        phase = self.created_phase.get(app, "Running")
        made = pod(name, app, phase)
        if phase in ("Succeeded", "Failed"):  # its container ran and ended
            (cs,) = made.container_statuses
            ended = ContainerState(terminated=Terminated(0 if phase == "Succeeded" else 1))
            made = replace(made, container_statuses=(replace(cs, state=ended, ready=False),))
        self.pod_objects.append(made)
        self.created.append(body)

    def delete_pod(self, namespace: str, name: str, grace_seconds: int | None = None) -> None:
        self.pod_objects = [p for p in self.pod_objects if p.name != name]
        self.deleted.append(f"Pod/{name}")

    def delete_namespace(self, namespace: str) -> None:
        self.deleted.append(f"Namespace/{namespace}")

    def resource_version(self, api_version: str, kind: str, namespace: str, name: str) -> str | None:
        version = self.versions.get((kind, name))
        return None if version is None else str(version)

    def server_side_apply(self, obj: dict[str, Any], field_manager: str) -> str:
        key = (obj["kind"], obj["metadata"]["name"])
        if self.objects.get(key) != obj:
            self.objects[key] = obj
            self.versions[key] = self.versions.get(key, 0) + 1
        return str(self.versions[key])

    def labelled(self, api_version: str, kind: str, namespace: str, selector: str) -> list[str]:
        return [name for k, name in self.objects if k == kind]

    def delete(self, api_version: str, kind: str, namespace: str, name: str) -> None:
        self.objects.pop((kind, name), None)
        self.versions.pop((kind, name), None)
        self.deleted.append(f"{kind}/{name}")

class FakeStack(FakeKube):
    """A running stack (writer, orchestrator, scanner) whose services take up whatever the writer puts,
    as the real ones do by their watch (`refuse`: the scanner rejects it instead)."""

    def __init__(self, refuse: bool = False) -> None:
        super().__init__()
        self.pod_objects = [pod("w-1", "config-writer"), pod("o-1", "orchestrator"), pod("s-1", "scanner")]
        running = {"config_sha256": "start", "last_error": None, "config": {"trading": {"mode": "PAPER"}}}
        self.status = {"o-1": running, "s-1": dict(running)}
        self.refuse = refuse

    def exec(self, namespace, pod, argv, container=None, timeout=30, check=True):
        result = super().exec(namespace, pod, argv, container, timeout, check)
        if argv[:2] == ["/configwriter", "put"]:
            for name in ("o-1", "s-1"):
                if self.refuse and name == "s-1":
                    self.status[name] = {**self.status[name], "last_rejected_sha256": argv[3], "last_error": "no"}
                else:
                    self.status[name] = {**self.status[name], "config_sha256": argv[3]}
        return result

    def puts(self) -> list[str]:
        return [argv[3] for _, argv in self.execs if argv[:2] == ["/configwriter", "put"]]
