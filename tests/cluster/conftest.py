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

from traderadmin.cluster.providers import ProviderError, get_provider
from traderadmin.kube.errors import KubeError
from traderadmin.kube.sdk import Kube, connect
from traderadmin.images import deliver_images, docker_client

from clusterhelpers import claim_body, create, probe_pod_body, wait_probe_ready

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
def kube(provider) -> Kube:
    return connect(provider.context)


@pytest.fixture(scope="session")
def namespace(kube):
    name = f"ta-cluster-test-{secrets.token_hex(3)}"
    kube.server_side_apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, "traderadmin-tests")
    yield name
    kube.delete_namespace(name)


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
def claim(kube, namespace) -> str:
    create(kube, namespace, claim_body("probe-data", "64Mi"))
    return "probe-data"


@pytest.fixture(scope="session")
def probe_pod(kube, namespace, probe_image, claim) -> str:
    kube.create_pod(namespace, probe_pod_body("probe", probe_image, claim))
    wait_probe_ready(kube, namespace, "probe")
    return "probe"
