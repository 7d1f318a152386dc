"""The processes of the local cluster: how each is started and how it says it is healthy.

Order matters: containerd and etcd first, the API server next, then what talks
to it. Every component listens on 127.0.0.1 only, as Docker Desktop's do from
the host's side: nothing of the cluster is reachable from the network.

Two consequences. The API server dials the kubelet (exec, logs) by the node's
name, which the host's /etc/hosts maps to 127.0.0.1: the kubelet refuses a
loopback node IP, so the node's InternalIP stays the host's address, where
nothing listens. And the `kubernetes` Service's endpoint (the advertised node
IP) answers no pod: the stack's pods never call the API (none mounts a token).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from traderadmin.localcluster.flavors import CNI_BIN_DIR, CRI_DOCKERD, DEFAULT, MIRROR_ADDRESS, Flavor
from traderadmin.localcluster.layout import Layout, Network


@dataclass(frozen=True)
class Health:
    """An HTTP(S) endpoint answering 200 'ok' when the component is ready."""

    url: str
    client_cert: tuple[Path, Path] | None = None
    ca: Path | None = None


@dataclass(frozen=True)
class Component:
    name: str
    argv: tuple[str, ...]
    health: Health | None = None
    # A socket whose appearance means ready (containerd has no HTTP endpoint).
    socket: Path | None = None


def components(
    binaries: dict[str, Path],
    layout: Layout,
    network: Network,
    node_name: str,
    node_ip: str,
    flavor: Flavor = DEFAULT,
    sandbox_image: str = "",
) -> list[Component]:
    """The flavor's components in start order. `sandbox_image` is the pause image
    cri-dockerd gives every pod (containerd reads it from its own config)."""
    pki = layout.pki
    kc = layout.kubeconfigs
    etcd_url = f"http://127.0.0.1:{network.etcd_client_port}"
    peer_url = f"http://127.0.0.1:{network.etcd_peer_port}"
    admin = (pki / "admin.crt", pki / "admin.key")
    apiserver = f"https://127.0.0.1:{network.apiserver_port}"

    def binary(name: str) -> str:
        return str(binaries[name])

    if flavor.runtime == CRI_DOCKERD:
        runtime = Component(
            "cri-dockerd",
            (
                binary("cri-dockerd"),
                f"--container-runtime-endpoint=unix://{layout.cri_dockerd_socket}",
                "--docker-endpoint=unix:///var/run/docker.sock",
                f"--cri-dockerd-root-directory={layout.cri_dockerd_root}",
                "--network-plugin=cni",
                f"--cni-bin-dir={CNI_BIN_DIR}",
                f"--cni-conf-dir={layout.cni_conf_dir}",
                f"--cni-cache-dir={layout.cni_cache_dir}",
                f"--pod-infra-container-image={sandbox_image}",
                # Exec and port-forward streams are proxied by the kubelet: loopback is enough.
                "--streaming-bind-addr=127.0.0.1:0",
                "--log-level=warn",
            ),
            socket=layout.cri_dockerd_socket,
        )
    else:
        runtime = Component(
            "containerd",
            ("containerd", "--config", str(layout.containerd_config)),
            socket=layout.containerd_socket,
        )
    mirror = [Component(
        "registry-mirror",
        (binary("registry-mirror"), f"--addr={MIRROR_ADDRESS}"),
        health=Health(f"http://{MIRROR_ADDRESS}/v2/"),
    )] if flavor.image_mirror else []
    return [
        runtime,
        # Before the kubelet, which pulls through it.
        *mirror,
        Component(
            "etcd",
            (
                binary("etcd"),
                "--name=traderadmin-local",
                f"--data-dir={layout.etcd_data}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=traderadmin-local={peer_url}",
                "--listen-metrics-urls=http://127.0.0.1:2381",
                "--quota-backend-bytes=2147483648",
                "--log-level=warn",
            ),
            health=Health("http://127.0.0.1:2381/health"),
        ),
        Component(
            "kube-apiserver",
            (
                binary("kube-apiserver"),
                f"--etcd-servers={etcd_url}",
                f"--secure-port={network.apiserver_port}",
                "--bind-address=127.0.0.1",
                # Endpoints may not be loopback addresses, so the Service advertises the node IP.
                f"--advertise-address={node_ip}",
                f"--service-cluster-ip-range={network.service_cidr}",
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction",
                "--allow-privileged=true",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
                f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
                f"--kubelet-certificate-authority={pki / 'ca.crt'}",
                "--kubelet-preferred-address-types=Hostname",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--profiling=false",
                "--v=1",
            ),
            health=Health(f"{apiserver}/readyz", client_cert=admin, ca=pki / "ca.crt"),
        ),
        Component(
            "kube-controller-manager",
            (
                binary("kube-controller-manager"),
                f"--kubeconfig={kc / 'controller-manager.conf'}",
                f"--authentication-kubeconfig={kc / 'controller-manager.conf'}",
                f"--authorization-kubeconfig={kc / 'controller-manager.conf'}",
                "--bind-address=127.0.0.1",
                "--leader-elect=false",
                "--use-service-account-credentials=true",
                f"--cluster-signing-cert-file={pki / 'ca.crt'}",
                f"--cluster-signing-key-file={pki / 'ca.key'}",
                f"--root-ca-file={pki / 'ca.crt'}",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                f"--service-cluster-ip-range={network.service_cidr}",
                "--profiling=false",
                "--v=1",
            ),
            health=Health("https://127.0.0.1:10257/healthz"),
        ),
        Component(
            "kube-scheduler",
            (
                binary("kube-scheduler"),
                f"--kubeconfig={kc / 'scheduler.conf'}",
                f"--authentication-kubeconfig={kc / 'scheduler.conf'}",
                f"--authorization-kubeconfig={kc / 'scheduler.conf'}",
                "--bind-address=127.0.0.1",
                "--leader-elect=false",
                "--profiling=false",
                "--v=1",
            ),
            health=Health("https://127.0.0.1:10259/healthz"),
        ),
        Component(
            "kubelet",
            (
                binary("kubelet"),
                f"--config={layout.kubelet_config}",
                f"--kubeconfig={kc / 'kubelet.conf'}",
                f"--root-dir={layout.kubelet_root}",
                f"--hostname-override={node_name}",
                f"--node-ip={node_ip}",
                "--v=1",
            ),
            health=Health("http://127.0.0.1:10248/healthz"),
        ),
        Component(
            "kube-proxy",
            (binary("kube-proxy"), f"--config={layout.kube_proxy_config}", "--v=1"),
            health=Health("http://127.0.0.1:10256/healthz"),
        ),
        Component(
            "hostpath-provisioner",
            (
                binary("hostpath-provisioner"),
                f"--kubeconfig={kc / 'hostpath-provisioner.conf'}",
                f"--provisioner-name={flavor.provisioner}",
                f"--storage-class={','.join(flavor.storage_classes)}",
                f"--base-dir={layout.volumes}",
                f"--layout={flavor.volume_layout}",
            ),
        ),
    ]
