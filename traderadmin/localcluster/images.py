"""Images inside the local cluster's containerd, which never pulls from a registry.

This module owns "run ctr against the local containerd": the pause image
imported at `cluster.up` and the service images imported by `invoke deploy`
(traderadmin.images.delivery) both come in through `import_docker_images`.
Each image is streamed from Docker (`docker save`, or the SDK's equivalent)
into `ctr images import -`, unless containerd already lists it; the pause
(sandbox) image is built here from a static binary in a FROM scratch image, so
not even the sandbox needs a pull.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from traderadmin.errors import ToolkitError
from traderadmin.localcluster.layout import K8S_NAMESPACE, Layout
from traderadmin.localcluster.flavors import PLAIN, layout_for
from traderadmin.tails import tail

PAUSE_REPOSITORY = "traderadmin.local/pause"
CTR_MISSING = "ctr not found. Fix: apt-get install -y containerd"
_CHUNK = 1 << 20


class ImageError(ToolkitError):
    """Building or importing an image failed; the message says which command."""


def pause_image_ref(pause_binary: Path) -> str:
    digest = hashlib.sha256(pause_binary.read_bytes()).hexdigest()[:12]
    return f"{PAUSE_REPOSITORY}:{digest}"


def normalize_ref(ref: str) -> str:
    """The name containerd stores: Docker Hub's implicit domain, library/ and :latest spelled out."""
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return f"{name}:{tag}"


class Ctr:
    """`ctr` against one containerd socket, in the namespace the kubelet's CRI uses."""

    def __init__(self, address: Path, *, namespace: str = K8S_NAMESPACE, binary: str | None = None) -> None:
        self.address = address
        self.namespace = namespace
        self.binary = binary or shutil.which("ctr") or "ctr"

    def _command(self, *args: str) -> list[str]:
        return [self.binary, "--address", str(self.address), "--namespace", self.namespace, *args]

    def _fail(self, what: str, detail: str) -> ImageError:
        return ImageError(
            f"{what} on containerd {self.address} failed: {detail}\n"
            "Fix: start the local cluster (`invoke cluster.up --provider local`) and retry."
        )

    def image_refs(self) -> set[str]:
        try:
            proc = subprocess.run(self._command("images", "list", "--quiet"), capture_output=True, text=True)
        except FileNotFoundError as exc:
            raise ImageError(CTR_MISSING) from exc
        if proc.returncode != 0:
            raise self._fail("listing images", tail(proc.stderr))
        return {line.strip() for line in proc.stdout.splitlines() if line.strip()}

    def has_image(self, ref: str) -> bool:
        return normalize_ref(ref) in self.image_refs()

    def import_archive(self, chunks: Iterable[bytes]) -> None:
        """Stream a `docker save` archive into `ctr images import -`."""
        with tempfile.TemporaryFile() as output:
            try:
                proc = subprocess.Popen(
                    self._command("images", "import", "-"), stdin=subprocess.PIPE, stdout=output, stderr=output
                )
            except FileNotFoundError as exc:
                raise ImageError(CTR_MISSING) from exc
            assert proc.stdin is not None
            try:
                for chunk in chunks:
                    proc.stdin.write(chunk)
            except BrokenPipeError:
                pass  # ctr exited early; its exit code and output below say why
            finally:
                # Also when the archive's source fails: ctr sees the end of input and is reaped.
                proc.stdin.close()
                code = proc.wait()
            output.seek(0)
            text = output.read().decode(errors="replace")
        if code != 0:
            raise self._fail("`ctr images import`", tail(text))


def cluster_ctr(layout: Layout | None = None) -> Ctr:
    """`ctr` against the local cluster's own containerd (not Docker's; only the plain flavor has one)."""
    return Ctr((layout or layout_for(PLAIN)).containerd_socket)


def docker_save(ref: str) -> Iterator[bytes]:
    """`docker save ref` as a stream of chunks; raises ImageError when it fails."""
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(["docker", "save", ref], stdout=subprocess.PIPE, stderr=errors)
        except FileNotFoundError as exc:
            raise ImageError("docker not found. Fix: apt-get install -y docker.io") from exc
        assert proc.stdout is not None
        try:
            yield from iter(lambda: proc.stdout.read(_CHUNK), b"")
        finally:
            # A reader that stops early closes the pipe; docker save then ends on EPIPE.
            proc.stdout.close()
            code = proc.wait()
        if code != 0:
            errors.seek(0)
            raise ImageError(f"`docker save {ref}` failed: {tail(errors.read().decode(errors='replace'))}")


@dataclass(frozen=True)
class Imported:
    ref: str
    present: bool  # containerd listed it already; nothing was copied
    seconds: float = 0.0


def import_docker_images(
    ctr: Ctr,
    refs: Sequence[str],
    *,
    save: Callable[[str], Iterable[bytes]] = docker_save,
    log: Callable[[str], None] = lambda _msg: None,
) -> list[Imported]:
    """Copy images from the Docker Engine into containerd, skipping those it already lists.

    Skipping by name is safe because every ref the toolkit makes is tagged by content.
    """
    present = ctr.image_refs()
    results = []
    for ref in refs:
        if normalize_ref(ref) in present:
            results.append(Imported(ref, present=True))
            continue
        started = time.monotonic()
        log(f"importing {ref} into containerd at {ctr.address}")
        ctr.import_archive(save(ref))
        results.append(Imported(ref, present=False, seconds=time.monotonic() - started))
    listed = ctr.image_refs()
    missing = [ref for ref in refs if normalize_ref(ref) not in listed]
    if missing:
        raise ImageError(f"after import, containerd at {ctr.address} still lacks {', '.join(missing)}")
    return results


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
    ctr = cluster_ctr(layout)
    if not ctr.has_image(ref):
        import_docker_images(ctr, [build_pause_image(pause_binary)])
    return ref
