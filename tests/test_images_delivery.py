"""Delivery to every kind of cluster, with a fake runner and a fake Docker client: the exact
command per cluster CLI, the shared stores, the registry push and the references the
manifests then name, and each error a person would read."""
from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import docker.errors
import pytest

from traderadmin.stack import manifests, pipeline
from traderadmin import images as images_pkg
from traderadmin.images import delivery
from traderadmin.images.delivery import Delivery, deliver_images
from traderadmin.images.errors import ClusterToolError, DeliveryError, RegistryError

ROOT = Path(__file__).resolve().parent.parent
BUILT = ("traderadmin/scanner:aaa", "traderadmin/orchestrator:bbb")


class FakeApi:
    def __init__(self, present: set[str]) -> None:
        self.present = present
        self.tags: list[tuple[str, str, str]] = []

    def inspect_image(self, ref: str) -> dict[str, Any]:
        if ref not in self.present:
            raise docker.errors.ImageNotFound(f"No such image: {ref}")
        return {"Id": "sha256:" + ref}

    def tag(self, image: str, repository: str, tag: str | None = None, force: bool = False) -> bool:
        self.tags.append((image, repository, tag or ""))
        self.present.add(f"{repository}:{tag}")
        return True


class FakeImages:
    """`client.images.push` streams decoded events; a registry reports failures inside the stream."""

    def __init__(self) -> None:
        self.pushed: list[str] = []
        self.events: list[dict[str, Any]] = [{"status": "Pushed"}, {"status": "aaa: digest: sha256:1 size: 1"}]
        self.raises: Exception | None = None

    def push(self, repository: str, tag: str | None = None, stream: bool = False, decode: bool = False):
        assert stream and decode, "the push must be streamed so its errors are read"
        if self.raises:
            raise self.raises
        self.pushed.append(f"{repository}:{tag}")
        return iter(self.events)


class FakeDocker:
    def __init__(self, built: tuple[str, ...] = BUILT) -> None:
        self.api = FakeApi(set(built))
        self.images = FakeImages()

    def info(self) -> dict[str, Any]:
        return {"DriverStatus": [["Backing Filesystem", "extfs"]]}


class FakeRun:
    """Stands in for subprocess.run: records each argv, answers with a set outcome."""

    def __init__(self, returncode: int = 0, stderr: str = "", missing: bool = False, hangs: bool = False) -> None:
        self.returncode, self.stderr, self.missing, self.hangs = returncode, stderr, missing, hangs
        self.calls: list[list[str]] = []
        self.options: list[dict[str, Any]] = []

    def __call__(self, argv: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(argv)
        self.options.append(options)
        if self.missing:
            raise FileNotFoundError(2, "No such file or directory", argv[0])
        if self.hangs:
            raise subprocess.TimeoutExpired(argv, options["timeout"])
        return subprocess.CompletedProcess(argv, self.returncode, "", self.stderr)


# --- the cluster's own CLI ------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "cluster", "argv"), [
    ("kind", "dev", ["kind", "load", "docker-image", "{ref}", "--name", "dev"]),
    ("k3d", "trading", ["k3d", "image", "import", "{ref}", "--cluster", "trading"]),
    ("minikube", "trading", ["minikube", "image", "load", "{ref}", "--profile", "trading"]),
])
def test_each_cluster_cli_gets_its_exact_command_per_image(provider, cluster, argv):
    run = FakeRun()
    result = deliver_images(list(BUILT), provider, client=FakeDocker(), cluster=cluster, run=run)
    assert run.calls == [[part.replace("{ref}", ref) for part in argv] for ref in BUILT]
    assert all(o["capture_output"] and o["text"] and o["timeout"] >= 60 for o in run.options)
    assert [(d.ref, d.action, d.cluster_ref) for d in result] == [(ref, "loaded", ref) for ref in BUILT]


def test_a_missing_cli_names_itself_where_to_get_it_and_the_registry_way():
    with pytest.raises(ClusterToolError) as caught:
        deliver_images(list(BUILT), "kind", client=FakeDocker(), cluster="dev", run=FakeRun(missing=True))
    assert str(caught.value) == (
        "kind not found on PATH: install it (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), "
        "or deliver through a registry the cluster pulls from with --registry HOST/PREFIX")
    assert isinstance(caught.value, DeliveryError) and isinstance(caught.value.__cause__, FileNotFoundError)


def test_a_failing_cli_shows_the_command_exit_code_stderr_tail_and_fix():
    stderr = "\n".join(f"noise line {i}" for i in range(20)) + "\nERROR: no nodes found for cluster \"dev\"\n"
    with pytest.raises(ClusterToolError) as caught:
        deliver_images(["traderadmin/scanner:aaa"], "kind", client=FakeDocker(), cluster="dev",
                       run=FakeRun(returncode=1, stderr=stderr))
    message = str(caught.value)
    assert message.startswith("`kind load docker-image traderadmin/scanner:aaa --name dev` exited 1: ")
    assert 'ERROR: no nodes found for cluster "dev"' in message and "noise line 19" in message
    assert "noise line 3\n" not in message, "only the end of stderr belongs in the message"
    assert message.endswith("Fix: check that kind cluster 'dev' exists and runs (`kind get clusters`), "
                            "or deliver through a registry the cluster pulls from with --registry HOST/PREFIX")
    assert isinstance(caught.value.__cause__, subprocess.CalledProcessError)
    assert caught.value.__cause__.returncode == 1


@pytest.mark.parametrize(("provider", "inspect"), [("k3d", "k3d cluster list"), ("minikube", "minikube profile list")])
def test_each_cli_failure_points_at_that_tools_cluster_list(provider, inspect):
    with pytest.raises(ClusterToolError, match=rf"exited 2: boom\nFix: check that {provider} cluster 'x' .*`{inspect}`"):
        deliver_images(["traderadmin/scanner:aaa"], provider, client=FakeDocker(), cluster="x",
                       run=FakeRun(returncode=2, stderr="boom\n"))


def test_a_hung_cli_is_stopped_and_named():
    with pytest.raises(ClusterToolError, match=r"`minikube image load traderadmin/scanner:aaa --profile p` did not finish"):
        deliver_images(["traderadmin/scanner:aaa"], "minikube", client=FakeDocker(), cluster="p",
                       run=FakeRun(hangs=True))


def test_a_cli_is_not_asked_to_load_an_image_that_was_never_built():
    run = FakeRun()
    with pytest.raises(DeliveryError, match=r"traderadmin/scanner:zzz is not in the local Docker Engine\. "
                                            r"Fix: run `invoke images.build`"):
        deliver_images(["traderadmin/scanner:zzz"], "k3d", client=FakeDocker(), cluster="t", run=run)
    assert run.calls == []


def test_a_cli_needs_the_cluster_name_the_status_reports():
    with pytest.raises(DeliveryError, match=r"k3d needs the name of its cluster .* `invoke cluster.status --context k3d-t`"):
        deliver_images(list(BUILT), "k3d", client=FakeDocker(), context="k3d-t", run=FakeRun())


# --- clusters that read the Docker Engine's own store ---------------------------------------


@pytest.mark.parametrize(("provider", "mode"), [("rancher-desktop", "moby"), ("orbstack", None)])
def test_shared_store_clusters_run_nothing_but_need_the_image_built(provider, mode):
    run = FakeRun()
    result = deliver_images(list(BUILT), provider, client=FakeDocker(), desktop_mode=mode, run=run)
    assert [(d.ref, d.action) for d in result] == [(ref, "shared") for ref in BUILT] and run.calls == []
    with pytest.raises(DeliveryError, match="is not in the local Docker Engine"):
        deliver_images(["traderadmin/scanner:zzz"], provider, client=FakeDocker(), desktop_mode=mode, run=run)


def test_rancher_desktop_on_containerd_is_refused_with_the_engine_switch():
    with pytest.raises(DeliveryError, match=r"containerd engine.*Preferences → Container Engine → dockerd \(moby\)"):
        deliver_images(list(BUILT), "rancher-desktop", client=FakeDocker(), desktop_mode="containerd")


# --- a registry -----------------------------------------------------------------------------


def test_registry_tags_and_pushes_each_image_and_returns_the_pushed_references():
    client, run = FakeDocker(), FakeRun()
    result = deliver_images(list(BUILT), "kind", client=client, cluster="dev", registry="localhost:5000/team/",
                            run=run)
    assert client.api.tags == [
        ("traderadmin/scanner:aaa", "localhost:5000/team/traderadmin/scanner", "aaa"),
        ("traderadmin/orchestrator:bbb", "localhost:5000/team/traderadmin/orchestrator", "bbb"),
    ]
    assert client.images.pushed == ["localhost:5000/team/traderadmin/scanner:aaa",
                                     "localhost:5000/team/traderadmin/orchestrator:bbb"]
    assert [(d.action, d.cluster_ref) for d in result] == [
        ("pushed", "localhost:5000/team/traderadmin/scanner:aaa"),
        ("pushed", "localhost:5000/team/traderadmin/orchestrator:bbb"),
    ]
    assert result[0].as_dict()["pushed_as"] == "localhost:5000/team/traderadmin/scanner:aaa"
    assert run.calls == [], "a registry replaces the cluster's own loading"


def test_registry_is_the_way_into_a_cluster_the_toolkit_does_not_recognise():
    with pytest.raises(DeliveryError) as refused:
        deliver_images(list(BUILT), "unknown", client=FakeDocker(), context="corp")
    assert str(refused.value) == (
        "context 'corp' is not one the toolkit recognises (it knows local, docker-desktop, kind, k3d, minikube, "
        "rancher-desktop, orbstack; `invoke cluster.status --context corp` shows what it looks like), so it cannot "
        "load images into it. Fix: push them to a registry the cluster pulls from: "
        "--registry HOST[:PORT]/PREFIX, e.g. localhost:5000/traderadmin or ghcr.io/you")
    pushed = deliver_images(list(BUILT), "unknown", client=FakeDocker(), context="corp", registry="ghcr.io/me")
    assert [d.cluster_ref for d in pushed] == [f"ghcr.io/me/{ref}" for ref in BUILT]


@pytest.mark.parametrize("registry", ["myaccount", "myaccount/traderadmin", "https://registry.example.com/x", " "])
def test_a_registry_without_a_host_is_refused_before_any_push(registry):
    client = FakeDocker()
    with pytest.raises(RegistryError, match=r"does not name a registry host\. Fix: give it as HOST\[:PORT\]/PREFIX"):
        deliver_images(list(BUILT), "kind", client=client, cluster="dev", registry=registry)
    assert client.api.tags == [] and client.images.pushed == []


def test_a_push_refused_inside_the_stream_is_an_error_with_the_login_fix():
    client = FakeDocker()
    client.images.events = [{"status": "Preparing"},
                            {"errorDetail": {"message": "unauthorized: authentication required"},
                             "error": "unauthorized: authentication required"}]
    with pytest.raises(RegistryError) as caught:
        deliver_images(["traderadmin/scanner:aaa"], "orbstack", client=client, registry="registry.example.com/t")
    assert str(caught.value) == (
        "pushing registry.example.com/t/traderadmin/scanner:aaa failed: unauthorized: authentication required. "
        "Fix: check that registry.example.com answers and lets you push (`docker login registry.example.com`); "
        "a registry served over plain HTTP must be listed in the Docker Engine's insecure-registries")


def test_a_push_the_engine_refuses_is_raised_from_the_docker_error():
    client = FakeDocker()
    client.images.raises = docker.errors.APIError("500 Server Error: connection refused")
    with pytest.raises(RegistryError, match=r"pushing localhost:5000/traderadmin/scanner:aaa failed: .*connection refused") as caught:
        deliver_images(["traderadmin/scanner:aaa"], "k3d", client=client, cluster="t", registry="localhost:5000")
    assert isinstance(caught.value.__cause__, docker.errors.APIError)


# --- the references flow into the manifests -------------------------------------------------


def _fake_build(monkeypatch: pytest.MonkeyPatch, client: FakeDocker) -> list[str]:
    """Point build_and_deliver at a build that makes every service's image in `client`."""
    services = ("configwriter", "orchestrator", "scanner")
    refs = [f"traderadmin/{s}:{s[:3]}123" for s in services]
    client.api.present.update(refs)
    report = NS(images=[NS(service=s, ref=r) for s, r in zip(services, refs)])
    monkeypatch.setattr(images_pkg, "docker_client", lambda: client)
    monkeypatch.setattr(images_pkg, "cache_root", lambda: Path("/unused"))
    monkeypatch.setattr(images_pkg, "build_images", lambda root, c, cache, reporter=None: report)
    return refs


def test_pushed_references_are_what_the_rendered_pods_run(monkeypatch):
    client = FakeDocker(built=())
    _fake_build(monkeypatch, client)
    images, deliveries = pipeline.build_and_deliver(ROOT, "unknown", None, lambda phase, msg: None,
                                                 registry="registry.example.com/trading", context="corp")
    assert images == {f"traderadmin/{s}": f"registry.example.com/trading/traderadmin/{s}:{s[:3]}123"
                      for s in ("configwriter", "orchestrator", "scanner")}
    assert all(isinstance(d, Delivery) and d.action == "pushed" for d in deliveries)
    objs = manifests.render(manifests.load(ROOT / "deploy"), "ns", images)
    ours = [c["image"] for o in objs for c in _containers(o) if "traderadmin/" in c["image"]]
    assert ours and all(image.startswith("registry.example.com/trading/traderadmin/") for image in ours)


def test_loaded_images_keep_their_references(monkeypatch):
    refs = _fake_build(monkeypatch, client := FakeDocker(built=()))
    loaded: list[tuple[str, str, str]] = []
    monkeypatch.setattr(delivery, "load_image",
                        lambda ref, provider, cluster, run, log: loaded.append((ref, provider, cluster)) or 0.5)
    images, _ = pipeline.build_and_deliver(ROOT, "kind", None, lambda phase, msg: None, cluster="dev")
    assert images == {ref.split(":")[0]: ref for ref in refs}
    assert loaded == [(ref, "kind", "dev") for ref in refs] and client.images.pushed == []


def test_a_cluster_images_cannot_reach_is_refused_before_the_build(monkeypatch):
    def no_build(*_: Any, **__: Any) -> None:
        raise AssertionError("nothing may be built for a cluster the images cannot reach")

    monkeypatch.setattr(images_pkg, "docker_client", no_build)
    monkeypatch.setattr(images_pkg, "build_images", no_build)
    with pytest.raises(DeliveryError, match="context 'corp' is not one the toolkit recognises"):
        pipeline.build_and_deliver(ROOT, "unknown", None, lambda phase, msg: None, context="corp")


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    return spec.get("containers", []) + spec.get("initContainers", [])
