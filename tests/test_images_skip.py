"""What the image build skips and what it redoes, with a fake Docker Engine and fake stagers."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from traderadmin.images import base as base_module
from traderadmin.images import staging
from traderadmin.images.base import SLIM_REF, DebianRecipe, resolve_base
from traderadmin.images.build import build_images
from traderadmin.images.delivery import deliver_images
from traderadmin.images.errors import BuildError, DeliveryError
from traderadmin.localcluster.images import Ctr


class FakeApi:
    def __init__(self) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        self.builds: list[dict[str, Any]] = []
        self.pulls = 0
        self.pull_works = False
        self.build_error: str | None = None

    def inspect_image(self, ref: str) -> dict[str, Any]:
        if ref not in self.images:
            raise docker.errors.ImageNotFound(f"no such image: {ref}")
        return self.images[ref]

    def build(self, *, path: str, tag: str, buildargs: dict[str, str], labels: dict[str, str], **_: Any):
        self.builds.append({"path": path, "tag": tag, "buildargs": buildargs, "labels": labels})
        yield {"stream": "Step 1/2 : FROM scratch\n"}
        if self.build_error:
            yield {"error": self.build_error, "errorDetail": {"message": self.build_error}}
            return
        yield {"stream": "Step 2/2 : COPY x /x\n"}
        self.images[tag] = {"Id": "sha256:" + hashlib.sha256(tag.encode()).hexdigest(), "Size": 1000}

    def pull(self, repository: str, tag: str) -> None:
        self.pulls += 1
        if not self.pull_works:
            raise docker.errors.APIError("no registry reachable")
        self.images[f"{repository}:{tag}"] = {"Id": "sha256:slim", "Size": 1}

    def get_image(self, ref: str) -> Iterable[bytes]:
        yield f"archive of {ref}".encode()


class FakeClient:
    def __init__(self, driver_status: list[list[str]] | None = None) -> None:
        self.api = FakeApi()
        self.driver_status = driver_status or [["Backing Filesystem", "extfs"]]

    def info(self) -> dict[str, Any]:
        return {"Architecture": "x86_64", "DriverStatus": self.driver_status}


class FakeStager(staging.Stager):
    """Copies the service's source tree as its 'staged inputs' and counts how often it runs."""

    calls: dict[str, int] = {}

    def recipe(self) -> dict[str, str]:
        return {"tool": "fake 1.0"}

    def populate(self, dest: Path, log) -> None:
        FakeStager.calls[self.service] = FakeStager.calls.get(self.service, 0) + 1
        for path in self.source.rglob("*"):
            if path.is_file():
                target = dest / path.relative_to(self.source)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for service in ("scanner", "orchestrator"):
        src = tmp_path / "services" / service
        src.mkdir(parents=True)
        (src / "Dockerfile").write_text(f"FROM scratch\n# {service}\n")
        (src / "main.src").write_text("v1\n")
    FakeStager.calls = {}
    monkeypatch.setattr(staging, "STAGERS", {"scanner": FakeStager, "orchestrator": FakeStager})
    return tmp_path


@pytest.fixture
def client() -> FakeClient:
    fake = FakeClient()
    fake.api.images[DebianRecipe().ref] = {"Id": "sha256:debianbase", "Size": 1}
    return fake


def _build(project: Path, client: FakeClient, services=("orchestrator", "scanner")):
    return build_images(project, client, project / "cache", services=services)


def test_second_build_with_nothing_changed_stages_and_builds_nothing(project: Path, client: FakeClient) -> None:
    first = _build(project, client)
    assert [i.built for i in first.images] == [True, True]
    assert FakeStager.calls == {"orchestrator": 1, "scanner": 1}
    second = _build(project, client)
    assert [i.ref for i in second.images] == [i.ref for i in first.images]
    assert [(i.built, i.restaged) for i in second.images] == [(False, False), (False, False)]
    assert FakeStager.calls == {"orchestrator": 1, "scanner": 1}
    assert len(client.api.builds) == 2


def test_changed_source_restages_and_builds_only_that_service(project: Path, client: FakeClient) -> None:
    first = {i.service: i.ref for i in _build(project, client).images}
    (project / "services" / "scanner" / "main.src").write_text("v2\n")
    second = {i.service: i for i in _build(project, client).images}
    assert second["scanner"].built and second["scanner"].ref != first["scanner"]
    assert not second["orchestrator"].built and second["orchestrator"].ref == first["orchestrator"]
    assert FakeStager.calls == {"orchestrator": 1, "scanner": 2}


def test_reverting_a_change_returns_to_the_old_tag_without_building(project: Path, client: FakeClient) -> None:
    first = _build(project, client, services=("scanner",)).images[0].ref
    source = project / "services" / "scanner" / "main.src"
    source.write_text("v2\n")
    _build(project, client, services=("scanner",))
    source.write_text("v1\n")
    again = _build(project, client, services=("scanner",)).images[0]
    assert again.ref == first and not again.built and again.restaged


def test_tampered_or_deleted_context_is_staged_again(project: Path, client: FakeClient) -> None:
    ref = _build(project, client, services=("scanner",)).images[0].ref
    context = project / "build" / "images" / "scanner"
    (context / "main.src").write_text("edited by hand\n")
    again = _build(project, client, services=("scanner",)).images[0]
    assert again.restaged and again.ref == ref and not again.built
    assert (context / "main.src").read_text() == "v1\n"


def test_removed_image_is_built_again_under_the_same_tag(project: Path, client: FakeClient) -> None:
    ref = _build(project, client, services=("scanner",)).images[0].ref
    del client.api.images[ref]
    again = _build(project, client, services=("scanner",)).images[0]
    assert again.ref == ref and again.built and not again.restaged


def test_new_base_image_changes_only_the_orchestrator_tag(project: Path, client: FakeClient) -> None:
    first = {i.service: i.ref for i in _build(project, client).images}
    client.api.images[DebianRecipe().ref] = {"Id": "sha256:rebuiltbase", "Size": 1}
    second = {i.service: i.ref for i in _build(project, client).images}
    assert second["scanner"] == first["scanner"]
    assert second["orchestrator"] != first["orchestrator"]


def test_orchestrator_gets_the_base_as_build_arg_and_scanner_does_not(project: Path, client: FakeClient) -> None:
    _build(project, client)
    by_service = {b["labels"]["traderadmin.service"]: b for b in client.api.builds}
    assert by_service["orchestrator"]["buildargs"] == {"BASE": DebianRecipe().ref}
    assert by_service["scanner"]["buildargs"] == {}
    assert all(not b["tag"].endswith(":latest") for b in client.api.builds)


def test_failed_build_names_the_image_and_the_docker_error(project: Path, client: FakeClient) -> None:
    client.api.build_error = "COPY failed: file not found in build context: scanner"
    with pytest.raises(BuildError, match="COPY failed") as caught:
        _build(project, client, services=("scanner",))
    assert "traderadmin/scanner:" in str(caught.value)


def test_scanner_alone_needs_no_base(project: Path) -> None:
    bare = FakeClient()
    report = _build(project, bare, services=("scanner",))
    assert report.base is None and bare.api.pulls == 0


# --- the Python base ------------------------------------------------------------------


def test_base_prefers_local_slim_then_cached_debian(tmp_path: Path) -> None:
    fake = FakeClient()
    fake.api.images[DebianRecipe().ref] = {"Id": "sha256:deb", "Size": 1}
    assert resolve_base(fake, tmp_path).source == "cached"
    fake.api.images[SLIM_REF] = {"Id": "sha256:slim", "Size": 1}
    chosen = resolve_base(fake, tmp_path)
    assert (chosen.ref, chosen.source) == (SLIM_REF, "local")
    assert fake.api.pulls == 0


def test_base_is_pulled_when_possible(tmp_path: Path) -> None:
    fake = FakeClient()
    fake.api.pull_works = True
    chosen = resolve_base(fake, tmp_path)
    assert (chosen.ref, chosen.source, chosen.kind) == (SLIM_REF, "pulled", "python-slim")


def test_base_is_made_from_debian_when_the_pull_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeClient()
    made: list[DebianRecipe] = []

    def fake_make(client, recipe, cache_root, *, mirror, log):
        made.append(recipe)
        client.api.images[recipe.ref] = {"Id": "sha256:made", "Size": 1}
        return "sha256:made"

    monkeypatch.setattr(base_module, "make_debian_base", fake_make)
    chosen = resolve_base(fake, tmp_path)
    assert (chosen.source, chosen.kind, chosen.image_id) == ("debootstrap", "debian", "sha256:made")
    assert fake.api.pulls == 1 and "no registry reachable" in chosen.notes[0]
    assert made == [DebianRecipe(arch="amd64")]
    again = resolve_base(fake, tmp_path)
    assert again.source == "cached" and fake.api.pulls == 1 and len(made) == 1


def test_no_pull_goes_straight_to_debian(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeClient()
    monkeypatch.setattr(base_module, "make_debian_base", lambda *a, **k: "sha256:made")
    assert resolve_base(fake, tmp_path, pull=False).source == "debootstrap"
    assert fake.api.pulls == 0


# --- delivery ---------------------------------------------------------------------------


class FakeCtr(Ctr):
    def __init__(self, present: set[str]) -> None:
        super().__init__(Path("/fake/containerd.sock"), binary="ctr")
        self.present = set(present)
        self.imported: list[bytes] = []

    def image_refs(self) -> set[str]:
        return set(self.present)

    def import_archive(self, chunks: Iterable[bytes]) -> None:
        data = b"".join(chunks)
        self.imported.append(data)
        self.present.add("docker.io/" + data.decode().removeprefix("archive of "))


@pytest.fixture
def built() -> FakeClient:
    fake = FakeClient()
    for ref in ("traderadmin/scanner:aaa", "traderadmin/orchestrator:bbb"):
        fake.api.images[ref] = {"Id": "sha256:" + ref, "Size": 1}
    return fake


def test_local_imports_only_missing_images(built: FakeClient) -> None:
    ctr = FakeCtr({"docker.io/traderadmin/scanner:aaa"})
    result = deliver_images(
        ["traderadmin/scanner:aaa", "traderadmin/orchestrator:bbb"], "local", client=built, ctr=ctr
    )
    assert [(d.ref, d.action) for d in result] == [
        ("traderadmin/scanner:aaa", "present"),
        ("traderadmin/orchestrator:bbb", "imported"),
    ]
    assert ctr.imported == [b"archive of traderadmin/orchestrator:bbb"]
    again = deliver_images(["traderadmin/orchestrator:bbb"], "local", client=built, ctr=ctr)
    assert again[0].action == "present" and len(ctr.imported) == 1


def test_local_refuses_an_image_that_was_never_built(built: FakeClient) -> None:
    with pytest.raises(DeliveryError, match="invoke images.build"):
        deliver_images(["traderadmin/scanner:zzz"], "local", client=built, ctr=FakeCtr(set()))


def test_desktop_kubeadm_shares_the_docker_store(built: FakeClient) -> None:
    result = deliver_images(["traderadmin/scanner:aaa"], "docker-desktop", client=built, desktop_mode="kubeadm")
    assert [d.action for d in result] == ["shared"]


def test_desktop_kind_needs_the_containerd_image_store(built: FakeClient) -> None:
    with pytest.raises(DeliveryError, match="Use containerd for pulling and storing images"):
        deliver_images(["traderadmin/scanner:aaa"], "docker-desktop", client=built, desktop_mode="kind")
    built.driver_status = [["driver-type", "io.containerd.snapshotter.v1"]]
    result = deliver_images(["traderadmin/scanner:aaa"], "docker-desktop", client=built, desktop_mode="kind")
    assert [d.action for d in result] == ["shared"]


def test_desktop_without_mode_and_unknown_provider_are_explained(built: FakeClient) -> None:
    with pytest.raises(DeliveryError, match="kubeadm, kind"):
        deliver_images(["traderadmin/scanner:aaa"], "docker-desktop", client=built)
    with pytest.raises(DeliveryError, match="unknown cluster provider 'nomad'; known: local, docker-desktop, kind"):
        deliver_images(["traderadmin/scanner:aaa"], "nomad", client=built)
