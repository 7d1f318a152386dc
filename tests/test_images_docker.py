"""The real thing: build every image with the local Docker Engine, run each, import into containerd.

Marked `docker` (select with `-m docker`). Without a Docker Engine these tests
fail with the reason; they are never skipped.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from traderadmin.images import BuildReport, build_images, cache_root, deliver_images, docker_client
from traderadmin.images.build import LABEL_CONTEXT
from traderadmin.localcluster.images import Ctr, import_docker_images

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "vectors" / "valid" / "defaults.toml"
NOOP_BUDGET_S = 5.0


@pytest.fixture(scope="module")
def client() -> Any:
    from traderadmin.dockerengine import DockerEngineError

    try:
        return docker_client()
    except DockerEngineError as e:
        pytest.fail(f"these tests need a Docker Engine: {e}")


@pytest.fixture(scope="module")
def report(client: Any) -> BuildReport:
    return build_images(ROOT, client, cache_root())


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    # The services run as uid 65532 and see only this folder, so it must be readable to all.
    folder = tmp_path / "config"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    shutil.copy(CONFIG, folder / "config.toml")
    (folder / "config.toml").chmod(0o644)
    return folder


def test_every_service_gets_a_content_hash_tag(report: BuildReport, client: Any) -> None:
    services = {image.service for image in report.images}
    assert services == {"configwriter", "orchestrator", "scanner"}
    for image in report.images:
        assert re.fullmatch(rf"traderadmin/{image.service}:[0-9a-f]{{16}}", image.ref), image.ref
        labels = client.api.inspect_image(image.ref)["Config"]["Labels"]
        assert re.fullmatch(r"[0-9a-f]{64}", labels[LABEL_CONTEXT])
    assert report.base is not None and report.base.image_id


def test_second_build_with_nothing_changed_is_a_fast_no_op(report: BuildReport, client: Any) -> None:
    started = time.monotonic()
    again = build_images(ROOT, client, cache_root())
    elapsed = time.monotonic() - started
    assert [i.ref for i in again.images] == [i.ref for i in report.images]
    assert not any(i.built or i.restaged for i in again.images), again.as_dict()
    assert elapsed < NOOP_BUDGET_S, f"no-op build took {elapsed:.2f}s"


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


@pytest.fixture
def run_container(client: Any) -> Iterator[Any]:
    started: list[Any] = []

    def run(ref: str, config_dir: Path, *, read_only: bool = True) -> tuple[Any, str]:
        container = client.containers.run(
            ref,
            detach=True,
            volumes={str(config_dir): {"bind": "/config", "mode": "ro" if read_only else "rw"}},
            ports={"8080/tcp": ("127.0.0.1", None)},
            read_only=True,
        )
        started.append(container)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            container.reload()
            if container.status != "created":
                break
            time.sleep(0.1)
        ports = container.attrs["NetworkSettings"]["Ports"].get("8080/tcp") or []
        assert container.status == "running" and ports, f"{ref} did not start:\n{container.logs().decode()[-2000:]}"
        return container, f"http://127.0.0.1:{ports[0]['HostPort']}"

    yield run
    for container in started:
        container.remove(force=True)


def _wait_for(url: str, container: Any, want: int = 200, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            status, body = _get(url)
            if status == want:
                return body
            last = (status, body)
        except (OSError, ValueError) as e:
            last = e
        time.sleep(0.2)
    container.reload()
    pytest.fail(f"{url} never answered {want} (last: {last}); container {container.status}, logs:\n"
                f"{container.logs().decode()[-3000:]}")


@pytest.mark.parametrize("service", ["orchestrator", "scanner"])
def test_service_image_serves_health_and_loads_the_mounted_config(
    service: str, report: BuildReport, run_container: Any, config_dir: Path
) -> None:
    container, base = run_container(report.ref(service), config_dir)
    assert _wait_for(f"{base}/healthz", container) == {"ok": True}
    assert _wait_for(f"{base}/readyz", container) == {"ready": True}
    status = _wait_for(f"{base}/status", container)
    assert status["service"] == service
    assert status["config_sha256"] == hashlib.sha256((config_dir / "config.toml").read_bytes()).hexdigest()
    user = container.attrs["Config"]["User"]
    assert user and user.split(":")[0] not in ("0", "root"), f"{service} image runs as root"


def test_configwriter_image_serves_health(report: BuildReport, run_container: Any, config_dir: Path) -> None:
    container, base = run_container(report.ref("configwriter"), config_dir, read_only=False)
    assert _wait_for(f"{base}/healthz", container) == {"ok": True}


@pytest.fixture
def private_containerd(tmp_path: Path) -> Iterator[Path]:
    """A containerd of our own (no CRI), so the import path is tested without a cluster."""
    binary = shutil.which("containerd")
    if binary is None or os.geteuid() != 0:
        pytest.fail("the delivery test needs root and containerd (apt-get install -y containerd)")
    state = tmp_path / "containerd"
    socket = state / "containerd.sock"
    config = state / "config.toml"
    state.mkdir()
    config.write_text(
        "version = 2\n"
        f'root = "{state / "root"}"\n'
        f'state = "{state / "state"}"\n'
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
        f'[grpc]\n  address = "{socket}"\n'
    )
    log = open(state / "containerd.log", "wb")
    process = subprocess.Popen([binary, "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"containerd did not start:\n{(state / 'containerd.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield socket
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        subprocess.run(["umount", "-R", str(state / "root")], capture_output=True)


def test_local_delivery_imports_into_containerd_then_skips(
    report: BuildReport, client: Any, private_containerd: Path
) -> None:
    refs = [image.ref for image in report.images]
    first = deliver_images(refs, "local", client=client, containerd_socket=private_containerd)
    assert [d.action for d in first] == ["imported"] * len(refs)
    stored = Ctr(private_containerd).image_refs()
    assert {f"docker.io/{ref}" for ref in refs} <= stored
    second = deliver_images(refs, "local", client=client, containerd_socket=private_containerd)
    assert [d.action for d in second] == ["present"] * len(refs)


def test_docker_save_cli_path_imports_like_the_sdk(report: BuildReport, private_containerd: Path) -> None:
    """The pause image takes this path at `cluster.up`: `docker save` (CLI) into `ctr images import`."""
    ref = report.ref("scanner")
    ctr = Ctr(private_containerd)
    (first,) = import_docker_images(ctr, [ref])
    assert not first.present and ctr.has_image(ref)
    (again,) = import_docker_images(ctr, [ref])
    assert again.present
