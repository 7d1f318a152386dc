"""Deliver through a registry the cluster pulls from: tag each image under it, push it.

The one delivery that works for any cluster, including those the toolkit does
not recognise. An image keeps its repository and content-hash tag under the
registry's prefix (`traderadmin/scanner:abc` → `localhost:5000/team/traderadmin/scanner:abc`),
and the deploy names that reference: traderadmin.stack.manifests.render maps
`traderadmin/scanner` to whatever reference delivery returns.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from traderadmin.images.errors import RegistryError
from traderadmin.tails import tail

FORMAT = "HOST[:PORT]/PREFIX, e.g. localhost:5000/traderadmin or ghcr.io/you"


def _is_host(part: str) -> bool:
    # Docker reads a first part with neither a dot nor a port (other than localhost) as a Docker Hub account.
    return "." in part or ":" in part or part == "localhost"


def check_registry(registry: str) -> str:
    """`registry` without a trailing slash; a RegistryError when it does not start with a registry host."""
    cleaned = registry.strip().rstrip("/")
    if not cleaned or "://" in cleaned or not _is_host(cleaned.split("/", 1)[0]):
        raise RegistryError(f"--registry {registry!r} does not name a registry host. Fix: give it as {FORMAT}")
    return cleaned


def pulled_from_registry(ref: str) -> bool:
    """Whether a pod's image reference names a registry other than Docker Hub (where the toolkit never pushes)."""
    first = ref.split("/", 1)[0]
    return "/" in ref and _is_host(first) and first != "docker.io"


def registry_ref(registry: str, ref: str) -> str:
    """Where `ref` goes in `registry` (checked with check_registry)."""
    return f"{registry}/{ref}"


def push_image(client: Any, ref: str, registry: str, log: Callable[[str], None] = lambda _msg: None) -> str:
    """Tag `ref` (in the local Docker Engine) under `registry`, push it, and return the pushed reference."""
    import docker.errors

    pushed = registry_ref(registry, ref)
    repository, tag = pushed.rsplit(":", 1)
    host = registry.split("/", 1)[0]
    fix = (f"check that {host} answers and lets you push (`docker login {host}`); a registry served over "
           "plain HTTP must be listed in the Docker Engine's insecure-registries")
    log(f"pushing {pushed}")
    try:
        client.api.tag(ref, repository, tag)
        # The push reports failures inside its stream (auth, unreachable host), not as an exception.
        for event in client.images.push(repository, tag=tag, stream=True, decode=True):
            if "error" in event or "errorDetail" in event:
                message = (event.get("errorDetail") or {}).get("message") or event.get("error")
                raise RegistryError(f"pushing {pushed} failed: {tail(str(message), lines=3, limit=400)}. Fix: {fix}")
    except docker.errors.APIError as exc:
        raise RegistryError(f"pushing {pushed} failed: {tail(str(exc), lines=3, limit=400)}. Fix: {fix}") from exc
    return pushed
