"""Make built images visible to the cluster's container runtime, the way its provider needs.

- docker-desktop, kubeadm mode: the node's kubelet uses the Docker Engine's own
  image store, so a local build is already there.
- docker-desktop, kind mode: the node is a kind container with its own
  containerd; Docker Desktop lets it see local images only when Docker uses the
  containerd image store. With the classic store the pods fail with
  ErrImageNeverPull / ImagePullBackOff, so this is checked and explained.
- local: the local cluster runs its own containerd, apart from Docker's; each
  image is streamed from the engine (`docker save`) into that containerd by
  traderadmin.localcluster.images, which owns it and skips a tag it already
  lists (tags are content hashes, so the same tag means the same image).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traderadmin.cluster.detect import CONTAINERD_STORE_FIX, uses_containerd_image_store
from traderadmin.images.errors import DeliveryError
from traderadmin.localcluster import images as containerd
from traderadmin.localcluster.images import Ctr

PROVIDERS = ("docker-desktop", "local")
DESKTOP_MODES = ("kubeadm", "kind")


@dataclass(frozen=True)
class Delivery:
    ref: str
    action: str  # "shared": the cluster reads Docker's store | "present": already imported | "imported"
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "action": self.action, "seconds": round(self.seconds, 3)}


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
        if desktop_mode == "kind" and not uses_containerd_image_store(client.info()):
            raise DeliveryError(
                "Docker Desktop runs Kubernetes in kind mode, whose node cannot see images in Docker's "
                f"classic image store: pods would fail with ErrImageNeverPull. Fix: {CONTAINERD_STORE_FIX}, "
                "then run `invoke deploy` again (the images are rebuilt into the new store)."
            )
        return [Delivery(ref, "shared") for ref in refs]
    if provider == "local":
        _require_local(client, refs)
        ctr = ctr or (containerd.Ctr(containerd_socket) if containerd_socket else containerd.cluster_ctr())
        try:
            imported = containerd.import_docker_images(ctr, refs, save=client.api.get_image, log=log)
        except containerd.ImageError as exc:
            raise DeliveryError(str(exc)) from exc
        return [Delivery(i.ref, "present" if i.present else "imported", i.seconds) for i in imported]
    raise DeliveryError(f"unknown cluster provider {provider!r}; known: {', '.join(PROVIDERS)}")


def _require_local(client: Any, refs: Sequence[str]) -> None:
    import docker.errors

    for ref in refs:
        try:
            client.api.inspect_image(ref)
        except docker.errors.ImageNotFound as exc:
            raise DeliveryError(f"{ref} is not in the local Docker Engine. Fix: run `invoke images.build`") from exc
