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
