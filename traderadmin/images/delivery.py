"""Make built images visible to the cluster's container runtime, the way its provider needs.

- docker-desktop, kubeadm mode: the node's kubelet uses the Docker Engine's own
  image store, so a local build is already there.
- docker-desktop, kind mode: the node is a kind container with its own
  containerd; Docker Desktop lets it see local images only when Docker uses the
  containerd image store. With the classic store the pods fail with
  ErrImageNeverPull / ImagePullBackOff, so this is checked and explained.
- local: the local cluster runs its own containerd, apart from Docker's; each
  image is streamed from `docker save` into `ctr -n k8s.io images import -` on
  that containerd's socket, unless the tag is already there (tags are content
  hashes, so the same tag means the same image).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traderadmin.images.errors import DeliveryError
from traderadmin.tails import tail

PROVIDERS = ("docker-desktop", "local")
DESKTOP_MODES = ("kubeadm", "kind")
CRI_NAMESPACE = "k8s.io"
CONTAINERD_SNAPSHOTTER_DRIVER = "io.containerd.snapshotter.v1"


@dataclass(frozen=True)
class Delivery:
    ref: str
    action: str  # "shared": the cluster reads Docker's store | "present": already imported | "imported"
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "action": self.action, "seconds": round(self.seconds, 3)}


def qualified(ref: str) -> str:
    """The name containerd stores for a Docker short name (`traderadmin/x:t` -> `docker.io/traderadmin/x:t`)."""
    first = ref.split("/", 1)[0]
    if "/" in ref and ("." in first or ":" in first or first == "localhost"):
        return ref
    if "/" not in ref:
        return f"docker.io/library/{ref}"
    return f"docker.io/{ref}"


def uses_containerd_store(info: dict[str, Any]) -> bool:
    """Whether `docker info` shows the containerd image store (Docker Desktop setting)."""
    return any(
        len(pair) == 2 and pair[0] == "driver-type" and pair[1] == CONTAINERD_SNAPSHOTTER_DRIVER
        for pair in info.get("DriverStatus") or []
    )


class Ctr:
    """`ctr` against one containerd socket, in the namespace the kubelet's CRI uses."""

    def __init__(self, address: Path, *, namespace: str = CRI_NAMESPACE, binary: str | None = None) -> None:
        self.address = address
        self.namespace = namespace
        self.binary = binary or shutil.which("ctr") or "ctr"

    def _command(self, *args: str) -> list[str]:
        return [self.binary, "--address", str(self.address), "--namespace", self.namespace, *args]

    def _fail(self, what: str, detail: str) -> DeliveryError:
        return DeliveryError(
            f"{what} on containerd {self.address} failed: {detail}\n"
            "Fix: start the local cluster (`invoke cluster.up --provider local`) and retry."
        )

    def image_refs(self) -> set[str]:
        try:
            proc = subprocess.run(self._command("images", "list", "--quiet"), capture_output=True, text=True)
        except FileNotFoundError as exc:
            raise DeliveryError("ctr not found. Fix: apt-get install -y containerd") from exc
        if proc.returncode != 0:
            raise self._fail("listing images", tail(proc.stderr))
        return {line.strip() for line in proc.stdout.splitlines() if line.strip()}

    def import_archive(self, chunks: Iterable[bytes]) -> None:
        """Stream a `docker save` archive into `ctr images import -`."""
        with tempfile.TemporaryFile() as output:
            try:
                proc = subprocess.Popen(
                    self._command("images", "import", "-"), stdin=subprocess.PIPE, stdout=output, stderr=output
                )
            except FileNotFoundError as exc:
                raise DeliveryError("ctr not found. Fix: apt-get install -y containerd") from exc
            assert proc.stdin is not None
            try:
                for chunk in chunks:
                    proc.stdin.write(chunk)
            except BrokenPipeError:
                pass  # ctr exited early; its exit code and output below say why
            finally:
                proc.stdin.close()
            code = proc.wait()
            output.seek(0)
            text = output.read().decode(errors="replace")
        if code != 0:
            raise self._fail("`ctr images import`", tail(text))


def local_containerd_socket() -> Path:
    """The local cluster's own containerd socket (see traderadmin.localcluster)."""
    from traderadmin.localcluster.layout import Layout
    from traderadmin.localcluster.paths import state_dir

    return Layout(state_dir()).containerd_socket


def deliver_images(
    refs: Sequence[str],
    provider: str,
    *,
    client: Any,
    desktop_mode: str | None = None,
    containerd_socket: Path | None = None,
    ctr: Ctr | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> list[Delivery]:
    """Get `refs` (built in the local Docker Engine) into the cluster of `provider`."""
    if provider == "docker-desktop":
        if desktop_mode not in DESKTOP_MODES:
            raise DeliveryError(
                f"docker-desktop needs its cluster mode to deliver images, one of {', '.join(DESKTOP_MODES)} "
                f"(got {desktop_mode!r}). Fix: run `invoke cluster.status` to see the mode."
            )
        if desktop_mode == "kind" and not uses_containerd_store(client.info()):
            raise DeliveryError(
                "Docker Desktop runs Kubernetes in kind mode, whose node cannot see images in Docker's "
                "classic image store: pods would fail with ErrImageNeverPull. Fix: in Docker Desktop open "
                "Settings > General, turn on 'Use containerd for pulling and storing images', Apply & Restart, "
                "then run `invoke deploy` again (the images are rebuilt into the new store)."
            )
        return [Delivery(ref, "shared") for ref in refs]
    if provider == "local":
        _require_local(client, refs)
        ctr = ctr or Ctr(containerd_socket or local_containerd_socket())
        present = ctr.image_refs()
        deliveries = []
        for ref in refs:
            if qualified(ref) in present:
                deliveries.append(Delivery(ref, "present"))
                continue
            started = time.monotonic()
            log(f"importing {ref} into containerd at {ctr.address}")
            ctr.import_archive(client.api.get_image(ref))
            deliveries.append(Delivery(ref, "imported", time.monotonic() - started))
        missing = [ref for ref in refs if qualified(ref) not in ctr.image_refs()]
        if missing:
            raise DeliveryError(f"after import, containerd at {ctr.address} still lacks {', '.join(missing)}")
        return deliveries
    raise DeliveryError(f"unknown cluster provider {provider!r}; known: {', '.join(PROVIDERS)}")


def _require_local(client: Any, refs: Sequence[str]) -> None:
    import docker.errors

    for ref in refs:
        try:
            client.api.inspect_image(ref)
        except docker.errors.ImageNotFound as exc:
            raise DeliveryError(f"{ref} is not in the local Docker Engine. Fix: run `invoke images.build`") from exc
