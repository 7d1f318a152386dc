"""Tell clusters apart from what kubeconfig and the API say about them.

Pure functions over recorded facts (context, server, node names and runtimes,
Docker's image store), so every case is unit-tested. The context name alone is
never enough: the node names must agree, and when they do not the answer is
"unknown" with the reason, not a guess.

The names each tool gives its context and nodes, and where they were checked:
- kind: context `kind-NAME` since kind 0.6 (kubernetes-sigs/kind#1060, as tilt-dev/tilt's
  clusterid.ProductFromContext notes), nodes `NAME-control-plane`, `NAME-worker`, `NAME-worker2`…;
  `kind load docker-image --name NAME` takes the bare NAME.
- k3d: context `k3d-NAME` (Tilt's default k3d cluster: `k3d-k3s-default`), nodes
  `k3d-NAME-server-0`, `k3d-NAME-agent-0`…; `k3d image import --cluster NAME`.
- minikube: context = profile (`minikube` by default), nodes `PROFILE`, `PROFILE-m02`…;
  its kubeconfig entries carry an extension with `provider: minikube.sigs.k8s.io`.
- Rancher Desktop: context `rancher-desktop`, one k3s node `lima-rancher-desktop` on macOS
  and Linux, named after the host on Windows (rancher-sandbox/rancher-desktop PR #674,
  maintainer's comment). With the dockerd (moby) engine k3s runs on the Docker Engine,
  so built images are there; with containerd they are not (Tilt treats Rancher Desktop
  as sharing Docker's store only with the Docker runtime: tilt-dev/tilt
  internal/docker/env.go and env_test.go).
- OrbStack: context `orbstack` (as public scripts test `kubectl config current-context`),
  one node `orbstack` (public setup notes: "kubectl get nodes  # should show a single
  "orbstack" node"). Its docs (docs.orbstack.dev/kubernetes): "a lightweight single-node
  Kubernetes cluster" that "uses the same container engine as the rest of OrbStack, so
  built images are immediately available". The node can be renamed in its settings
  (orbstack/orbstack#2271, maintainer's comment); a renamed one is reported as unknown
  with that reason.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

LOCAL_CONTEXT = "traderadmin-local"
DOCKER_DESKTOP_CONTEXT = "docker-desktop"
DOCKER_DESKTOP_KUBEADM_NODE = "docker-desktop"
DOCKER_DESKTOP_KIND_PREFIX = "desktop-"
CONTAINERD_SNAPSHOTTER = "io.containerd.snapshotter.v1"
RANCHER_DESKTOP_CONTEXT = "rancher-desktop"
RANCHER_DESKTOP_NODE = "lima-rancher-desktop"
ORBSTACK_CONTEXT = "orbstack"
ORBSTACK_NODE = "orbstack"
MINIKUBE_KUBECONFIG_PROVIDER = "minikube.sigs.k8s.io"

# Every provider classify can answer with; "unknown" is the rest.
PROVIDERS = ("local", "docker-desktop", "kind", "k3d", "minikube", "rancher-desktop", "orbstack")

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
RANCHER_MOBY_FIX = (
    "Rancher Desktop → Preferences → Container Engine → dockerd (moby) → Apply "
    "(with containerd, k3s does not see what the Docker Engine builds), or deliver through a registry: --registry HOST/PREFIX"
)


@dataclass(frozen=True)
class ContextFacts:
    """One kubeconfig context, as read from the file."""

    name: str
    cluster: str = ""
    server: str = ""
    # The tool that wrote the cluster entry, from its extension (minikube: minikube.sigs.k8s.io).
    written_by: str = ""


@dataclass(frozen=True)
class NodeFacts:
    """One node as the API lists it: what classify reads of it besides the name."""

    name: str
    kubelet_version: str = ""
    container_runtime: str = ""  # e.g. docker://28.0.4, containerd://1.7.27


@dataclass(frozen=True)
class Detection:
    provider: str  # one of PROVIDERS, or unknown
    context: str
    mode: str = ""  # docker-desktop: kubeadm | kind; rancher-desktop: moby | containerd
    # What the cluster's own CLI calls it: kind and k3d cluster name, minikube profile.
    cluster: str = ""
    nodes: tuple[str, ...] = ()
    supported: bool = False
    reason: str = ""
    # What keeps built images from the pods (image store, engine), each with its fix.
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.supported and not self.problems


def _is_docker_desktop_kind(nodes: list[str]) -> bool:
    return bool(nodes) and "desktop-control-plane" in nodes and all(n.startswith(DOCKER_DESKTOP_KIND_PREFIX) for n in nodes)


def classify(
    context: ContextFacts,
    nodes: Sequence[str | NodeFacts],
    containerd_image_store: bool | None = None,
) -> Detection:
    """Decide the provider of `context` from its name, kubeconfig entry and nodes.

    `nodes` are names or NodeFacts (the runtime tells Rancher Desktop's engines
    apart). `containerd_image_store` is whether the Docker Engine uses the
    containerd image store (None: unknown); it only matters for Docker Desktop's kind mode.
    """
    facts = [n if isinstance(n, NodeFacts) else NodeFacts(n) for n in nodes]
    names = [n.name for n in facts]
    name = context.name
    node_list = tuple(names)
    if not names:
        return Detection("unknown", name, nodes=node_list, reason=f"context {name!r} lists no nodes")

    if name == LOCAL_CONTEXT:
        if len(names) == 1 and not names[0].startswith(("docker-desktop", "desktop-", "minikube", "k3d-")):
            return Detection("local", name, nodes=node_list, supported=True,
                             reason=f"context {name!r} with the single node {names[0]!r}")
        return Detection("unknown", name, nodes=node_list,
                         reason=f"context {name!r} should point at one local node, but its nodes are {', '.join(names)}")

    if name == DOCKER_DESKTOP_CONTEXT:
        if names == [DOCKER_DESKTOP_KUBEADM_NODE]:
            return Detection("docker-desktop", name, mode="kubeadm", nodes=node_list, supported=True,
                             reason="node 'docker-desktop': kubeadm mode, shares the Docker Engine's images")
        if _is_docker_desktop_kind(names):
            problems: tuple[str, ...] = ()
            if containerd_image_store is False:
                problems = (f"kind mode needs the containerd image store. Fix: {CONTAINERD_STORE_FIX}",)
            elif containerd_image_store is None:
                problems = (f"could not tell whether Docker uses the containerd image store. Fix: check {CONTAINERD_STORE_FIX}",)
            return Detection("docker-desktop", name, mode="kind", nodes=node_list, supported=True,
                             reason="node 'desktop-control-plane': kind mode", problems=problems)
        return Detection("unknown", name, nodes=node_list,
                         reason=f"context 'docker-desktop' but nodes {', '.join(names)} match neither of its modes")

    for recognise in (_kind, _k3d, _minikube, _rancher_desktop, _orbstack):
        found = recognise(context, facts)
        if found is not None:
            return found

    return Detection("unknown", name, nodes=node_list,
                     reason=f"context {name!r} with nodes {', '.join(names)} matches no known provider")


def _kind(context: ContextFacts, facts: list[NodeFacts]) -> Detection | None:
    if not context.name.startswith("kind-"):
        return None
    cluster = context.name.removeprefix("kind-")
    nodes = [n.name for n in facts]
    if f"{cluster}-control-plane" in nodes and all(n.startswith(f"{cluster}-") for n in nodes):
        return Detection("kind", context.name, cluster=cluster, nodes=tuple(nodes), supported=True,
                         reason=f"kind cluster {cluster!r} (nodes {', '.join(nodes)})")
    return Detection("unknown", context.name, nodes=tuple(nodes),
                     reason=f"context {context.name!r} is named like kind cluster {cluster!r}, but its nodes "
                            f"{', '.join(nodes)} are not {cluster}-control-plane and {cluster}-worker…")


def _k3d(context: ContextFacts, facts: list[NodeFacts]) -> Detection | None:
    if not context.name.startswith("k3d-"):
        return None
    cluster = context.name.removeprefix("k3d-")
    nodes = [n.name for n in facts]
    if any(n.startswith(f"k3d-{cluster}-server-") for n in nodes) and all(n.startswith(f"k3d-{cluster}-") for n in nodes):
        return Detection("k3d", context.name, cluster=cluster, nodes=tuple(nodes), supported=True,
                         reason=f"k3d cluster {cluster!r} (nodes {', '.join(nodes)})")
    return Detection("unknown", context.name, nodes=tuple(nodes),
                     reason=f"context {context.name!r} is named like k3d cluster {cluster!r}, but its nodes "
                            f"{', '.join(nodes)} are not k3d-{cluster}-server-N and k3d-{cluster}-agent-N")


def _minikube(context: ContextFacts, facts: list[NodeFacts]) -> Detection | None:
    # A profile's context is named after it, so only minikube's own mark or its default name count.
    if context.name != "minikube" and context.written_by != MINIKUBE_KUBECONFIG_PROVIDER:
        return None
    profile = context.name
    nodes = [n.name for n in facts]
    secondary = re.compile(rf"{re.escape(profile)}-m\d{{2,}}")
    if profile in nodes and all(n == profile or secondary.fullmatch(n) for n in nodes):
        return Detection("minikube", context.name, cluster=profile, nodes=tuple(nodes), supported=True,
                         reason=f"minikube profile {profile!r} (nodes {', '.join(nodes)})")
    return Detection("unknown", context.name, nodes=tuple(nodes),
                     reason=f"context {context.name!r} is minikube's, but its nodes {', '.join(nodes)} are not "
                            f"{profile} and {profile}-m02…")


def _rancher_desktop(context: ContextFacts, facts: list[NodeFacts]) -> Detection | None:
    if context.name != RANCHER_DESKTOP_CONTEXT:
        return None
    nodes = tuple(n.name for n in facts)
    # On Windows the node is named after the host; k3s's kubelet version still says what it is.
    if len(facts) != 1 or not (facts[0].name == RANCHER_DESKTOP_NODE or "+k3s" in facts[0].kubelet_version):
        return Detection("unknown", context.name, nodes=nodes,
                         reason=f"context {context.name!r} but nodes {', '.join(nodes)} are not Rancher Desktop's "
                                f"single k3s node ({RANCHER_DESKTOP_NODE!r}, or the host's name on Windows)")
    runtime = facts[0].container_runtime
    mode = "moby" if runtime.startswith("docker://") else "containerd" if runtime.startswith("containerd://") else ""
    problems = (f"Rancher Desktop runs the containerd engine, which does not share the Docker Engine's images. "
                f"Fix: {RANCHER_MOBY_FIX}",) if mode == "containerd" else ()
    return Detection("rancher-desktop", context.name, mode=mode, nodes=nodes, supported=True, problems=problems,
                     reason=f"Rancher Desktop's k3s node {nodes[0]!r}" + (f", {mode} engine" if mode else ""))


def _orbstack(context: ContextFacts, facts: list[NodeFacts]) -> Detection | None:
    if context.name != ORBSTACK_CONTEXT:
        return None
    nodes = tuple(n.name for n in facts)
    if nodes == (ORBSTACK_NODE,):
        return Detection("orbstack", context.name, nodes=nodes, supported=True,
                         reason="OrbStack's node 'orbstack': shares the Docker Engine's images")
    return Detection("unknown", context.name, nodes=nodes,
                     reason=f"context {context.name!r} but nodes {', '.join(nodes)} are not OrbStack's single node "
                            f"{ORBSTACK_NODE!r} (renamed in OrbStack's settings?)")


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
