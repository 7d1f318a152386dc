"""Helpers shared by the live cluster tests and their fixtures."""
from __future__ import annotations

import time

import pytest
from kubernetes import client

PROBE_PORT = 8080
STORAGE_CLASS = "hostpath"  # both providers have it (the local one names its class like Docker Desktop's)


def claim_body(name: str, storage: str) -> client.V1PersistentVolumeClaim:
    """A ReadWriteOnce claim on the hostpath class, as the stack's manifests make."""
    return client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            storage_class_name=STORAGE_CLASS,
            resources=client.V1VolumeResourceRequirements(requests={"storage": storage}),
        ),
    )


def wait_for(check, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} not reached within {timeout:.0f}s (last: {last!r})")


def probe_pod_body(name: str, image: str, claim: str | None = None) -> client.V1Pod:
    """The probe as a non-root pod with every capability dropped, the claim (if any) mounted at /data."""
    security = client.V1SecurityContext(
        run_as_non_root=True,
        run_as_user=65532,
        read_only_root_filesystem=True,
        allow_privilege_escalation=False,
        capabilities=client.V1Capabilities(drop=["ALL"]),
    )
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app": name}),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="probe",
                    image=image,
                    # What deploy/ uses. Never would fail on Docker Desktop's kind mode, whose node
                    # must pull (from the mirror of the engine's store) even a local image.
                    image_pull_policy="IfNotPresent",
                    ports=[client.V1ContainerPort(container_port=PROBE_PORT)],
                    security_context=security,
                    volume_mounts=[client.V1VolumeMount(name="data", mount_path="/data")] if claim else None,
                    readiness_probe=client.V1Probe(
                        http_get=client.V1HTTPGetAction(path="/status", port=PROBE_PORT), period_seconds=1
                    ),
                    resources=client.V1ResourceRequirements(
                        requests={"cpu": "10m", "memory": "16Mi"}, limits={"cpu": "200m", "memory": "64Mi"}
                    ),
                )
            ],
            volumes=[
                client.V1Volume(
                    name="data",
                    persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(claim_name=claim),
                )
            ] if claim else None,
            termination_grace_period_seconds=2,
        ),
    )


def wait_probe_ready(core: client.CoreV1Api, namespace: str, name: str, timeout: float = 120) -> None:
    def ready():
        status = core.read_namespaced_pod(name, namespace).status
        waiting = [c.state.waiting for c in status.container_statuses or [] if c.state and c.state.waiting]
        if waiting and waiting[0].reason in ("ErrImageNeverPull", "CreateContainerConfigError", "CrashLoopBackOff"):
            pytest.fail(f"probe pod {name} cannot start: {waiting[0].reason}: {waiting[0].message}")
        conditions = {c.type: c.status for c in status.conditions or []}
        return conditions.get("Ready") == "True"

    wait_for(ready, timeout, f"probe pod {name} Ready")


def recognised(provider) -> str:
    """provider or provider/mode, as the cluster is recognised (what the gate's --expect-cluster names)."""
    status = provider.status()
    return f"{status.provider}/{status.mode}" if status.mode else status.provider
