"""Images inside the local cluster's containerd, which never pulls from a registry.

Images are built by Docker and copied over with `docker save | ctr import`;
the pause (sandbox) image is built here from a static binary in a FROM scratch
image, so not even the sandbox needs a pull.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from traderadmin.localcluster.layout import K8S_NAMESPACE, Layout

PAUSE_REPOSITORY = "traderadmin.local/pause"


class ImageError(RuntimeError):
    """Building or importing an image failed; the message says which command."""


def pause_image_ref(pause_binary: Path) -> str:
    digest = hashlib.sha256(pause_binary.read_bytes()).hexdigest()[:12]
    return f"{PAUSE_REPOSITORY}:{digest}"


def _ctr(layout: Layout, *args: str, stdin=None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["ctr", "--address", str(layout.containerd_socket), "--namespace", K8S_NAMESPACE, *args],
        stdin=stdin,
        capture_output=True,
    )


def normalize_ref(ref: str) -> str:
    """The name containerd stores: Docker Hub's implicit domain and library/ spelled out."""
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return f"{name}:{tag}"


def containerd_images(layout: Layout) -> set[str]:
    proc = _ctr(layout, "images", "ls", "-q")
    if proc.returncode != 0:
        raise ImageError(f"`ctr images ls` failed: {proc.stderr.decode(errors='replace').strip()}")
    return set(proc.stdout.decode().split())


def has_image(layout: Layout, ref: str) -> bool:
    return normalize_ref(ref) in containerd_images(layout)


def import_docker_images(layout: Layout, refs: list[str]) -> None:
    """Copy images from the Docker Engine into the cluster's containerd."""
    if not refs:
        return
    with tempfile.TemporaryFile() as archive:
        save = subprocess.run(["docker", "save", *refs], stdout=archive, stderr=subprocess.PIPE)
        if save.returncode != 0:
            raise ImageError(f"`docker save {' '.join(refs)}` failed: {save.stderr.decode(errors='replace').strip()}")
        archive.seek(0)
        proc = _ctr(layout, "images", "import", "-", stdin=archive)
    if proc.returncode != 0:
        raise ImageError(
            f"`ctr -n {K8S_NAMESPACE} images import` of {', '.join(refs)} failed: "
            f"{proc.stderr.decode(errors='replace').strip()}. Is the cluster up? Fix: invoke cluster.up"
        )
    missing = [r for r in refs if not has_image(layout, r)]
    if missing:
        raise ImageError(f"Imported, but containerd does not list {', '.join(missing)}")


def docker_has_image(ref: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True).returncode == 0


def build_pause_image(pause_binary: Path) -> str:
    """Build the sandbox image in Docker (no pull: FROM scratch); return its ref."""
    ref = pause_image_ref(pause_binary)
    if docker_has_image(ref):
        return ref
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy2(pause_binary, Path(ctx) / "pause")
        (Path(ctx) / "Dockerfile").write_text('FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n')
        proc = subprocess.run(
            ["docker", "build", "-q", "-t", ref, ctx],
            capture_output=True,
            text=True,
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )
    if proc.returncode != 0:
        raise ImageError(f"`docker build -t {ref}` failed: {proc.stderr.strip()}")
    return ref


def ensure_pause_image(layout: Layout, pause_binary: Path) -> str:
    ref = pause_image_ref(pause_binary)
    if not has_image(layout, ref):
        import_docker_images(layout, [build_pause_image(pause_binary)])
    return ref
