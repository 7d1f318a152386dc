"""Fixtures for tests against the live cluster (`invoke cluster.up` first).

These never skip: without a Ready cluster they fail and say how to get one.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
from pathlib import Path

import pytest
from kubernetes import client

from traderadmin.cluster import kube
from traderadmin.cluster.providers import ProviderError, get_provider
from traderadmin.images import deliver_images, docker_client

from clusterhelpers import PROBE_PORT, claim_body, wait_for

PROBE_SRC = Path(__file__).parent / "probe" / "main.go"


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def provider():
    try:
        chosen = get_provider(os.environ.get("TRADERADMIN_PROVIDER", "auto"))
        status = chosen.status()
    except (ProviderError, kube.KubeError, OSError) as exc:
        pytest.fail(f"no cluster to test: {exc}. Fix: invoke cluster.up")
    if not (status.reachable and status.node_ready):
        pytest.fail(f"{chosen.name} cluster (context {chosen.context}) is not Ready: {status.detail}. Fix: invoke cluster.up")
    return chosen


@pytest.fixture(scope="session")
def api(provider) -> client.ApiClient:
    return kube.api_client(provider.context)


@pytest.fixture(scope="session")
def core(api) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture(scope="session")
def namespace(core):
    name = f"ta-cluster-test-{secrets.token_hex(3)}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name, propagation_policy="Background")


@pytest.fixture(scope="session")
def probe_image(provider, tmp_path_factory) -> str:
    """Build the probe into a FROM scratch image in Docker and hand it to the cluster (no registry)."""
    work = tmp_path_factory.mktemp("probe")
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
    subprocess.run(["go", "build", "-o", str(work / "probe"), str(PROBE_SRC)], check=True, env=env, cwd=work)
    (work / "Dockerfile").write_text('FROM scratch\nCOPY probe /probe\nUSER 65532:65532\nENTRYPOINT ["/probe", "serve"]\n')
    digest = hashlib.sha256((work / "probe").read_bytes() + (work / "Dockerfile").read_bytes()).hexdigest()[:12]
    ref = f"traderadmin-test/probe:{digest}"
    subprocess.run(["docker", "build", "-q", "-t", ref, str(work)], check=True, capture_output=True,
                   env={**os.environ, "DOCKER_BUILDKIT": "0"})
    # The same delivery `invoke deploy` uses, chosen by the provider and its mode.
    deliver_images([ref], provider.name, client=docker_client(), desktop_mode=provider.status().mode or None)
    return ref


@pytest.fixture(scope="session")
def claim(core, namespace) -> str:
    core.create_namespaced_persistent_volume_claim(namespace, claim_body("probe-data", "64Mi"))
    return "probe-data"


@pytest.fixture(scope="session")
def probe_pod(core, namespace, probe_image, claim) -> str:
    security = client.V1SecurityContext(
        run_as_non_root=True,
        run_as_user=65532,
        read_only_root_filesystem=True,
        allow_privilege_escalation=False,
        capabilities=client.V1Capabilities(drop=["ALL"]),
    )
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="probe", labels={"app": "probe"}),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="probe",
                    image=probe_image,
                    # Never: the test must prove the image came from the local store, not a registry.
                    image_pull_policy="Never",
                    ports=[client.V1ContainerPort(container_port=PROBE_PORT)],
                    security_context=security,
                    volume_mounts=[client.V1VolumeMount(name="data", mount_path="/data")],
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
            ],
            termination_grace_period_seconds=2,
        ),
    )
    core.create_namespaced_pod(namespace, pod)

    def ready():
        status = core.read_namespaced_pod("probe", namespace).status
        waiting = [c.state.waiting for c in status.container_statuses or [] if c.state and c.state.waiting]
        if waiting and waiting[0].reason in ("ErrImageNeverPull", "CreateContainerConfigError", "CrashLoopBackOff"):
            pytest.fail(f"probe pod cannot start: {waiting[0].reason}: {waiting[0].message}")
        conditions = {c.type: c.status for c in status.conditions or []}
        return conditions.get("Ready") == "True"

    wait_for(ready, 120, "probe pod Ready")
    return "probe"

