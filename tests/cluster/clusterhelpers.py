"""Helpers shared by the live cluster tests and their fixtures."""
from __future__ import annotations

import time

import pytest

from traderadmin.kube.objects import PodDetail
from traderadmin.kube.sdk import Kube

PROBE_PORT = 8080
STORAGE_CLASS = "hostpath"  # both providers have it (the local one names its class like Docker Desktop's)


def claim_body(name: str, storage: str) -> dict:
    """A ReadWriteOnce claim on the hostpath class, as the stack's manifests make."""
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": STORAGE_CLASS,
                     "resources": {"requests": {"storage": storage}}}}


def create(kube: Kube, namespace: str, obj: dict) -> None:
    """Put `obj` into `namespace` (server-side apply, as deploy does)."""
    kube.server_side_apply({**obj, "metadata": {**obj["metadata"], "namespace": namespace}}, "traderadmin-tests")


def run(kube: Kube, namespace: str, pod: str, *command: str) -> str:
    """What `command` printed (stdout, then stderr) in the pod, whatever its exit."""
    result = kube.exec(namespace, pod, list(command), check=False)
    return result.stdout + result.stderr


def wait_for(check, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} not reached within {timeout:.0f}s (last: {last!r})")


def probe_pod_body(name: str, image: str, claim: str | None = None) -> dict:
    """The probe as a non-root pod with every capability dropped, the claim (if any) mounted at /data."""
    security = {"runAsNonRoot": True, "runAsUser": 65532, "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    container = {
        "name": "probe",
        "image": image,
        # What deploy/ uses. Never would fail on Docker Desktop's kind mode, whose node
        # must pull (from the mirror of the engine's store) even a local image.
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": PROBE_PORT}],
        "securityContext": security,
        "readinessProbe": {"httpGet": {"path": "/status", "port": PROBE_PORT}, "periodSeconds": 1},
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}},
    }
    spec: dict = {"containers": [container], "terminationGracePeriodSeconds": 2}
    if claim:
        container["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
        spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
    return {"metadata": {"name": name, "labels": {"app": name}}, "spec": spec}


def pod_named(kube: Kube, namespace: str, name: str) -> PodDetail | None:
    return next((p for p in kube.pod_details(namespace) if p.name == name), None)


def wait_probe_ready(kube: Kube, namespace: str, name: str, timeout: float = 120) -> None:
    def ready():
        pod = pod_named(kube, namespace, name)
        if pod is None:
            return False
        waiting = [c.state.waiting for c in pod.container_statuses if c.state.waiting]
        if waiting and waiting[0].reason in ("ErrImageNeverPull", "CreateContainerConfigError", "CrashLoopBackOff"):
            pytest.fail(f"probe pod {name} cannot start: {waiting[0].reason}: {waiting[0].message}")
        return any(c.type == "Ready" and c.status == "True" for c in pod.conditions)

    wait_for(ready, timeout, f"probe pod {name} Ready")


def recognised(provider) -> str:
    """provider or provider/mode, as the cluster is recognised (what the gate's --expect-cluster names)."""
    status = provider.status()
    return f"{status.provider}/{status.mode}" if status.mode else status.provider
