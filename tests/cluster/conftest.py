"""Fixtures for tests against the live cluster (`invoke cluster.up` first).

These never skip: without a Ready cluster they fail and say how to get one.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from kubernetes import client

from traderadmin.cluster.providers import ProviderError, get_provider
from traderadmin.kube.errors import KubeError
from traderadmin.images import deliver_images, docker_client

from clusterhelpers import claim_body, probe_pod_body, wait_for, wait_probe_ready

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
    except (ProviderError, KubeError, OSError) as exc:
        pytest.fail(f"no cluster to test: {exc}. Fix: invoke cluster.up")
    if not (status.reachable and status.node_ready):
        pytest.fail(f"{chosen.name} cluster (context {chosen.context}) is not Ready: {status.detail}. Fix: invoke cluster.up")
    return chosen


@pytest.fixture(scope="session")
def api(provider) -> client.ApiClient:
    """The SDK's own client: these tests check the cluster itself, beneath the toolkit's handle."""
    from kubernetes import config

    return config.new_client_from_config(context=provider.context)


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
def probe_binary(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("probe-bin")
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
    subprocess.run(["go", "build", "-o", str(work / "probe"), str(PROBE_SRC)], check=True, env=env, cwd=work)
    return work / "probe"


@pytest.fixture(scope="session")
def build_probe(provider, probe_binary, tmp_path_factory):
    """Build the probe into a FROM scratch image in Docker (its /stamp file holding `stamp`) and
    hand it to the cluster as `invoke deploy` would (no registry). The tag is the content's hash
    unless one is given."""
    status = provider.status()

    def build(stamp: str = "", tag: str | None = None) -> str:
        work = tmp_path_factory.mktemp("probe")
        shutil.copy2(probe_binary, work / "probe")
        (work / "stamp").write_text(stamp)
        (work / "Dockerfile").write_text(
            'FROM scratch\nCOPY probe /probe\nCOPY stamp /stamp\nUSER 65532:65532\nENTRYPOINT ["/probe", "serve"]\n')
        digest = hashlib.sha256(b"".join((work / n).read_bytes() for n in ("probe", "Dockerfile", "stamp"))).hexdigest()
        ref = f"traderadmin-test/probe:{tag or digest[:12]}"
        subprocess.run(["docker", "build", "-q", "-t", ref, str(work)], check=True, capture_output=True,
                       env={**os.environ, "DOCKER_BUILDKIT": "0"})
        # The same delivery `invoke deploy` uses, chosen by the provider and its mode.
        deliver_images([ref], status.provider, client=docker_client(), desktop_mode=status.mode or None)
        return ref

    return build


@pytest.fixture(scope="session")
def probe_image(build_probe) -> str:
    return build_probe()


@pytest.fixture(scope="session")
def claim(core, namespace) -> str:
    core.create_namespaced_persistent_volume_claim(namespace, claim_body("probe-data", "64Mi"))
    return "probe-data"


@pytest.fixture(scope="session")
def probe_pod(core, namespace, probe_image, claim) -> str:
    pod = probe_pod_body("probe", probe_image, claim)
    core.create_namespaced_pod(namespace, pod)

    wait_probe_ready(core, namespace, "probe")
    return "probe"

