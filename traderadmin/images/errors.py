"""One small exception family for everything that makes or moves images."""
from __future__ import annotations

from traderadmin.errors import ToolkitError


class ImagesError(ToolkitError):
    """Base: an image could not be made or delivered; the message says how to fix it."""


class StagingError(ImagesError):
    """A build input (static binary, wheels) could not be made on the host."""


class BaseImageError(ImagesError):
    """No Python base image could be found, pulled or made from Debian packages."""


class BuildError(ImagesError):
    """`docker build` of a staged context failed."""


class DeliveryError(ImagesError):
    """A built image could not be made visible to the cluster's container runtime."""


class ClusterToolError(DeliveryError):
    """A cluster's own CLI (kind, k3d, minikube) is missing, or failed to load an image."""


class RegistryError(DeliveryError):
    """The registry named with --registry is malformed, or tagging or pushing to it failed."""
