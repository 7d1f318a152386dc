"""A stand-in for the cluster handles (traderadmin.kube.Kube, traderadmin.kubeapi.KubeApi): pods,
deployments and service /status held in memory. It satisfies the ClusterApi Protocol
(tests/test_kubeapi.py checks it), plus the SDK-shaped `core`/`apps` that deploy's waiting reads."""
from __future__ import annotations

import json
from types import SimpleNamespace as NS
from typing import Any

from typing import Iterator

from traderadmin.kubeapi import ExecResult, Pod


def pod(name: str, app: str, phase: str = "Running", waiting: str | None = None, restarts: int = 0,
        ready: bool = True, message: str = "", scheduled: bool = True, init: list[NS] | None = None) -> NS:
    state = NS(waiting=NS(reason=waiting, message=message) if waiting else None)
    conditions = [NS(type="Ready", status="True" if ready else "False", message="")]
    if not scheduled:
        conditions.append(NS(type="PodScheduled", status="False", message="0/1 nodes: unbound PVC"))
    return NS(metadata=NS(name=name, labels={"app.kubernetes.io/name": app}, deletion_timestamp=None, uid=name),
              status=NS(phase=phase, conditions=conditions,
                        init_container_statuses=init or [],
                        container_statuses=[NS(name=app, image=f"traderadmin/{app}:t", state=state,
                                               restart_count=restarts, ready=ready)]))


def init_container(name: str, exit_code: int | None = None, waiting: str | None = None, running: bool = False,
                   restarts: int = 0) -> NS:
    """An init container's status: `exit_code` alone is its current end; with `waiting`, its last one."""
    ended = NS(exit_code=exit_code) if exit_code is not None else None
    state = NS(waiting=NS(reason=waiting, message="") if waiting else None, running=NS() if running else None,
               terminated=None if waiting else ended)
    return NS(name=name, image="traderadmin/configwriter:t", state=state,
              last_state=NS(terminated=ended if waiting else None), restart_count=restarts, ready=False)


def deployment(generation=2, observed=2, replicas=1, updated=1, ready=1, available=1, total=1,
               conditions: list[NS] | None = None) -> NS:
    return NS(metadata=NS(generation=generation), spec=NS(replicas=replicas),
              status=NS(observed_generation=observed, updated_replicas=updated, ready_replicas=ready,
                        available_replicas=available, replicas=total, conditions=conditions or []))


class FakeKube:
    context = "fake"

    def __init__(self) -> None:
        self.pod_objects: list[NS] = []
        self.patches: list[tuple[str, dict]] = []
        self.scaled: list[tuple[str, int]] = []
        self.deployments: dict[str, NS] = {}
        self.status: dict[str, Any] = {}  # pod name -> /status dict, or a list consumed per call
        self.readyz: dict[str, tuple[int, str]] = {}
        self.logs_by_pod: dict[str, str] = {}
        self.logs_read: list[tuple[str, str | None, bool]] = []  # (pod, container, previous)
        self.execs: list[tuple[str, list[str]]] = []
        self.volume: dict[str, Any] = {"sha256": None}
        fake = self

        class Core:
            def list_namespaced_pod(self, namespace, label_selector=""):
                app = label_selector.split("=", 1)[1] if label_selector else None
                return NS(items=[p for p in fake.pod_objects if app is None or p.metadata.labels["app.kubernetes.io/name"] == app])

            def read_namespaced_persistent_volume_claim(self, name, namespace):
                return NS(status=NS(phase=fake.volume.get("pvc_phase", "Bound")))

        class Apps:
            def read_namespaced_deployment(self, name, namespace):
                return fake.deployments[name]

        self.core, self.apps = Core(), Apps()

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

    def stream_logs(self, namespace, pod, container=None, tail=20, since_seconds=None, previous=False):
        self.logs_read.append((pod, container, previous))
        yield from self.logs_by_pod.get(pod, "").splitlines()

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
        for p in self.pod_objects:
            label = p.metadata.labels["app.kubernetes.io/name"]
            if app is not None and label != app:
                continue
            ready = any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
            restarts = sum(cs.restart_count for cs in p.status.container_statuses or [])
            out.append(Pod(p.metadata.name, label, p.status.phase, ready, restarts,
                           deleting=bool(p.metadata.deletion_timestamp), containers=(label,)))
        return out

    def stream_logs(self, namespace, pod, container=None, tail=20, since_seconds=None,
                    previous=False) -> Iterator[str]:
        self.logs_read.append((pod, container, previous))
        yield from self.logs_by_pod.get(pod, "").splitlines(keepends=True)

    def patch_deployment(self, namespace, name, patch) -> None:
        self.patches.append((name, patch))

    def scale(self, namespace, deployment, replicas) -> None:
        self.scaled.append((deployment, replicas))


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
