"""The local cluster's flavors: one Kubernetes build, dressed as the cluster it stands in for.

Our users run Docker Desktop's Kubernetes; Linux and CI run the cluster this
package builds. A flavor makes that cluster look and behave like one of Docker
Desktop's modes where the stack can tell the difference: the node's and the
context's names, the API server's address, where images come from, and what a
volume of the default StorageClass is (a root-owned 0755 directory that
`fsGroup` does not change). Everything above this layer sees only those
signals, exactly as it would on the real thing.

Only one flavor runs at a time: they share the API server's port and the node IP.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from traderadmin.errors import ToolkitError
from traderadmin.localcluster.layout import CONTEXT_NAME, Layout
from traderadmin.system.paths import state_dir

DOCKER_DESKTOP_CONTEXT = "docker-desktop"
DOCKER_DESKTOP_SERVER_HOST = "kubernetes.docker.internal"

CNI_BIN_DIR = "/usr/lib/cni"  # where Debian's containernetworking-plugins installs them

# Container runtimes a flavor's kubelet can talk to.
CONTAINERD = "containerd"
CRI_DOCKERD = "cri-dockerd"


class FlavorError(ToolkitError):
    """An unknown flavor was asked for."""


@dataclass(frozen=True)
class Flavor:
    name: str
    summary: str
    context: str  # kubeconfig context, cluster and user name
    server_host: str  # the API server's host name in the kubeconfig (port: Network.apiserver_port)
    runtime: str  # CONTAINERD: our own containerd; CRI_DOCKERD: the Docker Engine's store
    provisioner: str  # the hostpath StorageClass's provisioner name
    # Where claims' directories go; None: under the flavor's state folder.
    volumes_dir: Path | None
    # "flat": <namespace>_<claim>_<uid>; "claim/pv": <claim>/<pv>, as Docker Desktop's hostpath
    # lays them out; "local-path": <pv>_<namespace>_<claim>, as rancher.io/local-path does.
    volume_layout: str
    # Node name; None: the host's name.
    node_name: str | None = None
    # The provider the toolkit must recognise it as, by the same signals as the real thing.
    looks_like: str = "local"
    looks_like_mode: str = ""
    # StorageClasses served by the provisioner, the default first.
    storage_classes: tuple[str, ...] = ("hostpath",)
    binding_mode: str = "Immediate"  # or WaitForFirstConsumer: the volume goes where its first pod runs
    # Go programs beyond the core build (gobuild.EXTRA_BUILDS).
    extra_builds: tuple[str, ...] = ()
    # Images reach the node only through a mirror backed by the Docker Engine.
    image_mirror: bool = False
    # The Docker Engine's image store while this flavor runs (engines.CLASSIC or CONTAINERD_STORE).
    engine: str = "classic"

    @property
    def recognised_as(self) -> str:
        """provider or provider/mode, as `cluster.status` and the gate report it."""
        return f"{self.looks_like}/{self.looks_like_mode}" if self.looks_like_mode else self.looks_like

    @property
    def server_dns_name(self) -> str | None:
        """The API server's host name when it is a name, not an address: the certificate
        must carry it and /etc/hosts must resolve it."""
        return None if self.server_host[0].isdigit() else self.server_host

    def node(self, host_name: str) -> str:
        return self.node_name or host_name


PLAIN = Flavor(
    name="plain",
    summary="our own containerd, node named after the host, context traderadmin-local",
    context=CONTEXT_NAME,
    server_host="127.0.0.1",
    runtime=CONTAINERD,
    provisioner="traderadmin.local/hostpath",
    volumes_dir=None,
    volume_layout="flat",
)

# Docker Desktop's kubeadm mode: kubelet -> cri-dockerd -> the Docker Engine, so what
# `docker build` made is what a pod runs; its `hostpath` class hands out root-owned
# 0755 directories under /var/lib/k8s-pvs/<claim>/<pv> (docker.io/hostpath).
KUBEADM = Flavor(
    name="kubeadm",
    summary="Docker Desktop's kubeadm mode: Docker Engine + cri-dockerd, node and context docker-desktop",
    context=DOCKER_DESKTOP_CONTEXT,
    server_host=DOCKER_DESKTOP_SERVER_HOST,
    runtime=CRI_DOCKERD,
    provisioner="docker.io/hostpath",
    volumes_dir=Path("/var/lib/k8s-pvs"),
    volume_layout="claim/pv",
    node_name="docker-desktop",
    looks_like="docker-desktop",
    looks_like_mode="kubeadm",
    extra_builds=("cri-dockerd",),
)

# Docker Desktop's kind mode: a containerd node `desktop-control-plane` that gets
# images only through a pull-through mirror backed by the Docker Engine (so a node
# keeps serving what it pulled for a tag), and local-path volumes that are made
# where their first pod is scheduled.
KIND = Flavor(
    name="kind",
    summary="Docker Desktop's kind mode: containerd node desktop-control-plane fed by a Docker-backed mirror, "
            "context docker-desktop, local-path volumes",
    context=DOCKER_DESKTOP_CONTEXT,
    server_host=DOCKER_DESKTOP_SERVER_HOST,
    runtime=CONTAINERD,
    provisioner="rancher.io/local-path",
    volumes_dir=Path("/var/local-path-provisioner"),
    volume_layout="local-path",
    node_name="desktop-control-plane",
    looks_like="docker-desktop",
    looks_like_mode="kind",
    storage_classes=("standard", "hostpath"),
    binding_mode="WaitForFirstConsumer",
    extra_builds=("registry-mirror", "dockerd"),
    image_mirror=True,
    engine="containerd-store",
)

FLAVORS: dict[str, Flavor] = {f.name: f for f in (PLAIN, KUBEADM, KIND)}
MIRROR_ADDRESS = "127.0.0.1:5001"
DEFAULT = PLAIN


def get(name: str) -> Flavor:
    try:
        return FLAVORS[name]
    except KeyError:
        raise FlavorError(f"unknown flavor {name!r}; choose one of: {', '.join(FLAVORS)}") from None


def help_text() -> str:
    return "; ".join(f"{f.name}: {f.summary}" for f in FLAVORS.values())


def layout_for(flavor: Flavor) -> Layout:
    """Each flavor keeps its own state folder: certificates, etcd data and node name differ."""
    return Layout(state_dir() / "clusters" / flavor.name, volumes_root=flavor.volumes_dir)


def flavor_file() -> Path:
    """Where `cluster.up` records the flavor it brought up on this host."""
    return state_dir() / "flavor"


def last_flavor() -> Flavor | None:
    """The flavor `up` last brought up on this host, if any."""
    try:
        return get(flavor_file().read_text().strip())
    except (OSError, FlavorError):
        return None


def served_context() -> str | None:
    """The kube context of the local cluster this host was set up with, if any."""
    flavor = last_flavor()
    return flavor.context if flavor else None
