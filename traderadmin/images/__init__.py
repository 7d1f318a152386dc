"""Service images: air-gapped builds with content-hash tags, and delivery into a cluster.

Layers, bottom up: `contenthash` (tree and recipe hashes), `base` (the Python
base: found, pulled or made with debootstrap), `staging` (build contexts made on
the host: static Go binary, wheels), `build` (tags and `docker build`, skipping
tags that exist), `delivery` (into the cluster's runtime, by provider, with
`clustertools` for kind/k3d/minikube and `registry` for a registry the cluster
pulls from), `inventory` (what is built). `progress` renders, the rest never prints.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from traderadmin.images.base import BaseImage, DebianRecipe
from traderadmin.images.build import BuildReport, BuiltImage, build_images, image_tag, repository
from traderadmin.images.delivery import Delivery, check_target, deliver_images
from traderadmin.images.errors import (
    BaseImageError,
    BuildError,
    ClusterToolError,
    DeliveryError,
    ImagesError,
    RegistryError,
    StagingError,
)
from traderadmin.images.inventory import ListedImage, list_images
from traderadmin.images.staging import SERVICES

__all__ = [
    "SERVICES",
    "BaseImage",
    "BaseImageError",
    "BuildError",
    "BuildReport",
    "BuiltImage",
    "ClusterToolError",
    "DebianRecipe",
    "Delivery",
    "DeliveryError",
    "ImagesError",
    "ListedImage",
    "RegistryError",
    "StagingError",
    "build_images",
    "cache_root",
    "check_target",
    "deliver_images",
    "docker_client",
    "image_tag",
    "list_images",
    "repository",
]


def docker_client(*, start: bool = True) -> Any:
    """A Docker SDK client for an engine that answers (started or installed when allowed)."""
    import docker

    from traderadmin.dockerengine import ensure_docker

    ensure_docker(install=start, start=start)
    # Long reads: a build step or a save of a large image can be silent for minutes.
    return docker.from_env(timeout=900)


def cache_root() -> Path:
    """Where made bases live, outside any checkout so fresh clones reuse them."""
    from traderadmin.system.paths import cache_dir

    return cache_dir() / "images"
