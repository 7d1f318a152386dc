"""The fixed facts of the local cluster: its network ranges, ports and files.

Everything the cluster writes lives under one state folder so that `down` can
find (and unmount) all of it, and so a second machine user can move it with
TRADERADMIN_STATE_DIR.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

CONTEXT_NAME = "traderadmin-local"
K8S_NAMESPACE = "k8s.io"  # containerd namespace the CRI plugin uses


@dataclass(frozen=True)
class Network:
    pod_cidr: str = "10.244.0.0/16"
    node_pod_cidr: str = "10.244.0.0/24"
    service_cidr: str = "10.96.0.0/16"
    bridge: str = "tradr0"
    apiserver_port: int = 6443
    etcd_client_port: int = 2379
    etcd_peer_port: int = 2380

    @property
    def service_ip(self) -> str:
        """The `kubernetes` Service's ClusterIP: the first host of the service range."""
        return str(next(ipaddress.ip_network(self.service_cidr).hosts()))


@dataclass(frozen=True)
class Layout:
    """Paths inside the state folder."""

    state: Path
    # Where claims' directories go when not under the state folder (Docker Desktop's /var/lib/k8s-pvs).
    volumes_root: Path | None = None

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def pids(self) -> Path:
        return self.state / "run"

    @property
    def pki(self) -> Path:
        return self.state / "pki"

    @property
    def kubeconfigs(self) -> Path:
        return self.state / "kubeconfig"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.kubeconfigs / "admin.conf"

    @property
    def etcd_data(self) -> Path:
        return self.state / "etcd"

    @property
    def containerd_root(self) -> Path:
        return self.state / "containerd" / "root"

    @property
    def containerd_state(self) -> Path:
        return self.state / "containerd" / "state"

    @property
    def containerd_config(self) -> Path:
        return self.state / "containerd" / "config.toml"

    @property
    def registry_hosts_dir(self) -> Path:
        """containerd's per-registry hosts.toml files (the kind flavor's mirror)."""
        return self.state / "containerd" / "certs.d"

    @property
    def containerd_socket(self) -> Path:
        return self.state / "containerd" / "containerd.sock"

    @property
    def cni_conf_dir(self) -> Path:
        return self.state / "cni" / "net.d"

    @property
    def cni_ipam_dir(self) -> Path:
        return self.state / "cni" / "ipam"

    @property
    def kubelet_root(self) -> Path:
        return self.state / "kubelet"

    @property
    def kubelet_config(self) -> Path:
        return self.state / "config" / "kubelet.json"

    @property
    def kube_proxy_config(self) -> Path:
        return self.state / "config" / "kube-proxy.json"

    @property
    def pod_logs(self) -> Path:
        return self.state / "pod-logs"

    @property
    def volumes(self) -> Path:
        """Where the hostpath StorageClass puts each claim's directory."""
        return self.volumes_root or self.state / "volumes"

    @property
    def cri_dockerd_root(self) -> Path:
        return self.state / "cri-dockerd"

    @property
    def cri_dockerd_socket(self) -> Path:
        return self.state / "cri-dockerd" / "cri-dockerd.sock"

    @property
    def cni_cache_dir(self) -> Path:
        return self.state / "cni" / "cache"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def pid(self, component: str) -> Path:
        return self.pids / f"{component}.pid"
