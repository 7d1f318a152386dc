"""Tell clusters apart from what kubeconfig and the API say about them.

Pure functions over recorded facts (context, server, node names, Docker's
image store), so every case is unit-tested. The context name alone is never
enough: the node names must agree, and when they do not the answer is
"unknown" with the reason, not a guess.
"""
from __future__ import annotations

from dataclasses import dataclass, field

LOCAL_CONTEXT = "traderadmin-local"
DOCKER_DESKTOP_CONTEXT = "docker-desktop"
DOCKER_DESKTOP_KUBEADM_NODE = "docker-desktop"
DOCKER_DESKTOP_KIND_PREFIX = "desktop-"
CONTAINERD_SNAPSHOTTER = "io.containerd.snapshotter.v1"

# Docker Desktop's own words (docs "Explore the Kubernetes view", 4.51 and later; the
# settings tab named in parentheses is where older releases keep the same switch).
ENABLE_KUBERNETES_FIX = (
    "in Docker Desktop open the Kubernetes view → Create cluster → choose Kubeadm (or kind) → Create "
    "(before Docker Desktop 4.51: Settings → Kubernetes → Enable Kubernetes → Apply & restart)"
)
STOP_KUBERNETES_FIX = (
    "Docker Desktop → Kubernetes view → Stop (before 4.51: Settings → Kubernetes → untick Enable Kubernetes)"
)
CONTAINERD_STORE_FIX = (
    "Docker Desktop → Settings → General → tick 'Use containerd for pulling and storing images' → Apply "
    "(kind mode runs nodes in containers; only the containerd image store shares built images with them)"
)


@dataclass(frozen=True)
class ContextFacts:
    """One kubeconfig context, as read from the file."""

    name: str
    cluster: str = ""
    server: str = ""


@dataclass(frozen=True)
class Detection:
    provider: str  # local | docker-desktop | kind | k3d | minikube | unknown
    context: str
    mode: str = ""  # docker-desktop: kubeadm | kind
    nodes: tuple[str, ...] = ()
    supported: bool = False
    reason: str = ""
    problems: tuple[str, ...] = field(default_factory=tuple)  # each with its fix

    @property
    def ok(self) -> bool:
        return self.supported and not self.problems


def _is_docker_desktop_kind(nodes: list[str]) -> bool:
    return bool(nodes) and "desktop-control-plane" in nodes and all(n.startswith(DOCKER_DESKTOP_KIND_PREFIX) for n in nodes)


def classify(
    context: ContextFacts,
    nodes: list[str],
    containerd_image_store: bool | None = None,
) -> Detection:
    """Decide the provider of `context` from its name, server and node names.

    `containerd_image_store` is whether the Docker Engine uses the containerd
    image store (None: unknown); it only matters for Docker Desktop's kind mode.
    """
    name = context.name
    node_list = tuple(nodes)
    if not nodes:
        return Detection("unknown", name, nodes=node_list, reason=f"context {name!r} lists no nodes")

    if name == LOCAL_CONTEXT:
        if len(nodes) == 1 and not nodes[0].startswith(("docker-desktop", "desktop-", "minikube", "k3d-")):
            return Detection("local", name, nodes=node_list, supported=True,
                             reason=f"context {name!r} with the single node {nodes[0]!r}")
        return Detection("unknown", name, nodes=node_list,
                         reason=f"context {name!r} should point at one local node, but its nodes are {', '.join(nodes)}")

    if name == DOCKER_DESKTOP_CONTEXT:
        if nodes == [DOCKER_DESKTOP_KUBEADM_NODE]:
            return Detection("docker-desktop", name, mode="kubeadm", nodes=node_list, supported=True,
                             reason="node 'docker-desktop': kubeadm mode, shares the Docker Engine's images")
        if _is_docker_desktop_kind(nodes):
            problems: tuple[str, ...] = ()
            if containerd_image_store is False:
                problems = (f"kind mode needs the containerd image store. Fix: {CONTAINERD_STORE_FIX}",)
            elif containerd_image_store is None:
                problems = (f"could not tell whether Docker uses the containerd image store. Fix: check {CONTAINERD_STORE_FIX}",)
            return Detection("docker-desktop", name, mode="kind", nodes=node_list, supported=True,
                             reason="node 'desktop-control-plane': kind mode", problems=problems)
        return Detection("unknown", name, nodes=node_list,
                         reason=f"context 'docker-desktop' but nodes {', '.join(nodes)} match neither of its modes")

    if name.startswith("kind-"):
        cluster = name.removeprefix("kind-")
        if f"{cluster}-control-plane" in nodes:
            return Detection("kind", name, nodes=node_list,
                             reason=f"kind cluster {cluster!r} (node {cluster}-control-plane); not a supported provider")
    if name.startswith("k3d-"):
        cluster = name.removeprefix("k3d-")
        if any(n.startswith(f"k3d-{cluster}-server-") for n in nodes):
            return Detection("k3d", name, nodes=node_list,
                             reason=f"k3d cluster {cluster!r}; not a supported provider")
    if name == "minikube" or "minikube" in nodes:
        if "minikube" in nodes:
            return Detection("minikube", name, nodes=node_list, reason="minikube node; not a supported provider")

    return Detection("unknown", name, nodes=node_list,
                     reason=f"context {name!r} with nodes {', '.join(nodes)} matches no known provider")


def uses_containerd_image_store(docker_info: dict) -> bool | None:
    """From `docker info --format '{{json .}}'`: is the containerd image store on?"""
    status = docker_info.get("DriverStatus")
    if status is None:
        return None
    return any(len(pair) == 2 and pair[0] == "driver-type" and pair[1] == CONTAINERD_SNAPSHOTTER for pair in status)


def is_docker_desktop_engine(docker_info: dict) -> bool:
    return docker_info.get("OperatingSystem") == "Docker Desktop" or docker_info.get("Name") == "docker-desktop"


def auto_provider(available_contexts: list[str], docker_desktop_engine: bool, linux_root_debian: bool) -> tuple[str, str]:
    """Pick a provider for `cluster.up --provider auto`; return (provider, why)."""
    if docker_desktop_engine:
        return "docker-desktop", "the Docker Engine is Docker Desktop's"
    if DOCKER_DESKTOP_CONTEXT in available_contexts and not linux_root_debian:
        return "docker-desktop", "kubeconfig has a 'docker-desktop' context"
    if linux_root_debian:
        return "local", "Linux (Debian/Ubuntu) as root without Docker Desktop"
    raise ValueError(
        "No provider fits this machine: Docker Desktop is not running and the local provider needs root on "
        "Debian/Ubuntu. Fix: start Docker Desktop and " + ENABLE_KUBERNETES_FIX + ", or run as root on Linux"
    )
