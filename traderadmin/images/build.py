"""Build the service images with content-hash tags, skipping what is already built.

The tag of an image is a hash of its build context — the Dockerfile, the staged
inputs and, for the orchestrator, the id of the base image it is built FROM — so
an unchanged source gives the same tag, and a tag that already exists locally
means there is nothing to build. Never `:latest`: a cluster pulling with
`IfNotPresent` must see a new name whenever the content changes.
"""
from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traderadmin.images.base import DEFAULT_MIRROR, BaseImage, resolve_base
from traderadmin.images.contenthash import mapping_digest, short
from traderadmin.images.errors import BuildError
from traderadmin.tails import tail
from traderadmin.images.progress import NullReporter, Reporter
from traderadmin.images.staging import SERVICES, STAGE_DIR, StagedContext, stage

REPOSITORY_PREFIX = "traderadmin/"
# Only the orchestrator is built FROM a base we choose; the scanner is FROM scratch.
NEEDS_BASE = frozenset({"orchestrator"})
LABEL_SERVICE = "traderadmin.service"
LABEL_CONTEXT = "traderadmin.context-sha256"
LABEL_BASE = "traderadmin.base"

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


def repository(service: str) -> str:
    return f"{REPOSITORY_PREFIX}{service}"


def image_tag(context_digest: str, base_id: str | None) -> str:
    """The content-hash tag: the staged context plus the base image it builds on."""
    return short(mapping_digest({"context": context_digest, "base": base_id or "scratch"}))


@dataclass(frozen=True)
class BuiltImage:
    service: str
    ref: str
    image_id: str
    size_bytes: int
    built: bool  # False: the tag existed, nothing was built
    restaged: bool  # True: the build inputs were made again
    stage_seconds: float
    build_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "ref": self.ref,
            "tag": self.ref.rsplit(":", 1)[1],
            "image_id": self.image_id,
            "size_bytes": self.size_bytes,
            "built": self.built,
            "restaged": self.restaged,
            "stage_seconds": round(self.stage_seconds, 3),
            "build_seconds": round(self.build_seconds, 3),
        }


@dataclass(frozen=True)
class BuildReport:
    images: tuple[BuiltImage, ...]
    base: BaseImage | None
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def ref(self, service: str) -> str:
        for image in self.images:
            if image.service == service:
                return image.ref
        raise KeyError(service)

    def as_dict(self) -> dict[str, Any]:
        base = None
        if self.base is not None:
            base = {
                "ref": self.base.ref,
                "image_id": self.base.image_id,
                "kind": self.base.kind,
                "source": self.base.source,
                "seconds": round(self.base.seconds, 3),
                "notes": list(self.base.notes),
            }
        return {
            "images": {image.service: image.as_dict() for image in self.images},
            "base": base,
            "seconds": round(self.seconds, 3),
        }


def _inspect(client: Any, ref: str) -> dict[str, Any] | None:
    import docker.errors

    try:
        return client.api.inspect_image(ref)
    except docker.errors.ImageNotFound:
        return None


def docker_build(
    client: Any,
    context: Path,
    ref: str,
    *,
    service: str,
    buildargs: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    reporter: Reporter | None = None,
) -> None:
    """`docker build` through the Engine API (the classic builder: no BuildKit, no pulls)."""
    import docker.errors

    reporter = reporter or NullReporter()
    lines: list[str] = []
    try:
        stream = client.api.build(
            path=str(context),
            tag=ref,
            buildargs=buildargs or {},
            labels=labels or {},
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
            use_config_proxy=False,
        )
        for event in stream:
            if "error" in event:
                detail = event.get("errorDetail", {}).get("message") or event["error"]
                raise BuildError(
                    f"docker build of {ref} from {context} failed: {detail.strip()}\n"
                    f"Last output:\n{tail(''.join(lines))}"
                )
            text = event.get("stream")
            if not text:
                continue
            lines.append(text)
            match = _STEP.match(text.strip())
            if match:
                reporter.step(service, int(match[1]), int(match[2]), match[3])
    except docker.errors.APIError as exc:
        raise BuildError(f"docker build of {ref} from {context} was refused: {exc.explanation or exc}") from exc


def build_images(
    root: Path,
    client: Any,
    cache_root: Path,
    *,
    services: Sequence[str] = SERVICES,
    mirror: str = DEFAULT_MIRROR,
    pull_base: bool = True,
    reporter: Reporter | None = None,
) -> BuildReport:
    """Stage, tag and build each service's image; a tag already present is not built again."""
    from filelock import FileLock

    reporter = reporter or NullReporter()
    started = time.monotonic()
    lock_path = root / STAGE_DIR / ".lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    # Two builds in one checkout (a deploy and a test run) must not stage into each other.
    with FileLock(str(lock_path)):
        return _build_all(root, client, cache_root, services, mirror, pull_base, reporter, started)


def _build_all(
    root: Path,
    client: Any,
    cache_root: Path,
    services: Sequence[str],
    mirror: str,
    pull_base: bool,
    reporter: Reporter,
    started: float,
) -> BuildReport:
    arch = client.info().get("Architecture", "x86_64")
    base: BaseImage | None = None
    if NEEDS_BASE.intersection(services):
        reporter.phase("base", "finding the Python base image")
        base = resolve_base(client, cache_root, mirror=mirror, pull=pull_base, log=reporter.note)
        reporter.phase("base", f"unchanged: {base.describe()}" if base.source != "debootstrap" else f"built: {base.describe()}")
    images = []
    for service in services:
        reporter.phase(service, "staging build inputs")
        staged = stage(service, root, arch, log=reporter.note)
        images.append(_build_one(client, staged, base if service in NEEDS_BASE else None, reporter))
    return BuildReport(tuple(images), base, time.monotonic() - started)


def _build_one(client: Any, staged: StagedContext, base: BaseImage | None, reporter: Reporter) -> BuiltImage:
    service = staged.service
    ref = f"{repository(service)}:{image_tag(staged.digest, base.image_id if base else None)}"
    existing = _inspect(client, ref)
    built = existing is None
    build_started = time.monotonic()
    if existing is None:
        reporter.phase(service, f"building {ref}")
        labels = {LABEL_SERVICE: service, LABEL_CONTEXT: staged.digest}
        buildargs: dict[str, str] = {}
        if base is not None:
            labels[LABEL_BASE] = base.ref
            buildargs["BASE"] = base.ref
        docker_build(
            client, staged.path, ref, service=service, buildargs=buildargs, labels=labels, reporter=reporter
        )
        existing = _inspect(client, ref)
        if existing is None:
            raise BuildError(f"docker build of {ref} ended without error but the image is missing")
    image = BuiltImage(
        service=service,
        ref=ref,
        image_id=existing["Id"],
        size_bytes=int(existing.get("Size", 0)),
        built=built,
        restaged=staged.restaged,
        stage_seconds=staged.seconds,
        build_seconds=time.monotonic() - build_started,
    )
    reporter.phase(service, f"built {ref}" if built else f"unchanged {ref}")
    return image
