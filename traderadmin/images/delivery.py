"""Make built images visible to the cluster's container runtime, the way its provider needs.

- docker-desktop in kubeadm mode, rancher-desktop with the dockerd (moby) engine,
  orbstack: the kubelet uses the Docker Engine's own image store, so a local
  build is already there (checked, so a missing image fails here, not in a pod).
- docker-desktop, kind mode: the node is a kind container with its own
  containerd; Docker Desktop lets it see local images only when Docker uses the
  containerd image store. With the classic store the pods fail with
  ErrImageNeverPull / ImagePullBackOff, so this is checked and explained.
- kind, k3d, minikube: the cluster's own CLI copies each image into its nodes
  (traderadmin.images.clustertools).
- local: the local cluster runs its own containerd, apart from Docker's; each
  image is streamed from the engine (`docker save`) into that containerd by
  traderadmin.localcluster.images, which owns it and skips a tag it already
  lists (tags are content hashes, so the same tag means the same image).
- any cluster, given a registry: each image is pushed there and the pods pull it
  (traderadmin.images.registry); the only way into a cluster the toolkit does not
  recognise.
"""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traderadmin.cluster.detect import CONTAINERD_STORE_FIX, PROVIDERS, RANCHER_MOBY_FIX, uses_containerd_image_store
from traderadmin.images.clustertools import LOADERS, Run, load_image
from traderadmin.images.errors import DeliveryError
from traderadmin.images.registry import FORMAT, check_registry, push_image
from traderadmin.localcluster import images as containerd
from traderadmin.localcluster.images import Ctr

DESKTOP_MODES = ("kubeadm", "kind")
SHARED_STORE = ("rancher-desktop", "orbstack")  # their kubelet reads the Docker Engine's images


@dataclass(frozen=True)
class Delivery:
    ref: str
    # "shared": the cluster reads Docker's store | "present": already imported | "imported"
    # | "loaded": by the cluster's CLI | "pushed": to the registry
    action: str
    seconds: float = 0.0
    pushed_as: str = ""  # registry: the reference the cluster pulls

    @property
    def cluster_ref(self) -> str:
        """The reference the pods run: the pushed one when delivered through a registry."""
        return self.pushed_as or self.ref

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ref": self.ref, "action": self.action, "seconds": round(self.seconds, 3)}
        if self.pushed_as:
            out["pushed_as"] = self.pushed_as
        return out


def check_target(provider: str, desktop_mode: str | None = None, cluster: str = "", registry: str = "",
                 context: str = "") -> str:
    """Refuse a cluster images cannot reach, before anything is built; return the registry, checked ("" for none)."""
    if registry:
        return check_registry(registry)
    status = f"`invoke cluster.status --context {context}`" if context else "`invoke cluster.status`"
    if provider == "unknown":
        raise DeliveryError(
            f"{f'context {context!r}' if context else 'the cluster'} is not one the toolkit recognises (it knows "
            f"{', '.join(PROVIDERS)}; {status} shows what it looks like), so it cannot load images into it. "
            f"Fix: push them to a registry the cluster pulls from: --registry {FORMAT}"
        )
    if provider not in PROVIDERS:
        raise DeliveryError(f"unknown cluster provider {provider!r}; known: {', '.join(PROVIDERS)}")
    if provider == "docker-desktop" and desktop_mode not in DESKTOP_MODES:
        raise DeliveryError(
            f"docker-desktop needs its cluster mode to deliver images, one of {', '.join(DESKTOP_MODES)} "
            f"(got {desktop_mode!r}). Fix: run {status} to see the mode."
        )
    if provider in LOADERS and not cluster:
        raise DeliveryError(f"{provider} needs the name of its cluster to load images into (got none). "
                            f"Fix: run {status}: it reports the cluster name of a recognised context")
    if provider == "rancher-desktop" and desktop_mode == "containerd":
        raise DeliveryError(f"Rancher Desktop runs the containerd engine, whose k3s cannot see the Docker Engine's "
                            f"images. Fix: {RANCHER_MOBY_FIX}")
    return ""


def deliver_images(
    refs: Sequence[str],
    provider: str,
    *,
    client: Any,
    desktop_mode: str | None = None,
    cluster: str = "",
    registry: str = "",
    context: str = "",
    containerd_socket: Path | None = None,
    ctr: Ctr | None = None,
    run: Run = subprocess.run,
    log: Callable[[str], None] = lambda _msg: None,
) -> list[Delivery]:
    """Get `refs` (built in the local Docker Engine) into the cluster of `provider`, or into `registry`.

    `desktop_mode` (Docker Desktop's or Rancher Desktop's mode) and `cluster` (kind or
    k3d cluster, minikube profile) are what the cluster's status reports; `context`
    names it in errors. With a registry, each Delivery's `cluster_ref` is the pushed
    reference, the one the manifests must name.
    """
    registry = check_target(provider, desktop_mode, cluster, registry, context)
    if registry:
        _require_local(client, refs)
        return [_pushed(client, ref, registry, log) for ref in refs]
    if provider == "docker-desktop":
        if desktop_mode == "kind" and not uses_containerd_image_store(client.info()):
            raise DeliveryError(
                "Docker Desktop runs Kubernetes in kind mode, whose node cannot see images in Docker's "
                f"classic image store: pods would fail with ErrImageNeverPull. Fix: {CONTAINERD_STORE_FIX}, "
                "then run `invoke deploy` again (the images are rebuilt into the new store)."
            )
        return [Delivery(ref, "shared") for ref in refs]
    _require_local(client, refs)
    if provider in SHARED_STORE:
        return [Delivery(ref, "shared") for ref in refs]
    if provider in LOADERS:
        return [Delivery(ref, "loaded", load_image(ref, provider, cluster, run=run, log=log)) for ref in refs]
    # local: its own containerd
    ctr = ctr or (containerd.Ctr(containerd_socket) if containerd_socket else containerd.cluster_ctr())
    try:
        imported = containerd.import_docker_images(ctr, refs, save=client.api.get_image, log=log)
    except containerd.ImageError as exc:
        raise DeliveryError(str(exc)) from exc
    return [Delivery(i.ref, "present" if i.present else "imported", i.seconds) for i in imported]


def _pushed(client: Any, ref: str, registry: str, log: Callable[[str], None]) -> Delivery:
    started = time.monotonic()
    pushed = push_image(client, ref, registry, log)
    return Delivery(ref, "pushed", time.monotonic() - started, pushed_as=pushed)


def _require_local(client: Any, refs: Sequence[str]) -> None:
    import docker.errors

    for ref in refs:
        try:
            client.api.inspect_image(ref)
        except docker.errors.ImageNotFound as exc:
            raise DeliveryError(f"{ref} is not in the local Docker Engine. Fix: run `invoke images.build`") from exc
