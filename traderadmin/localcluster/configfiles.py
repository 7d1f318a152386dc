"""Configuration files for containerd, the CNI bridge, the kubelet, kube-proxy
and each component's kubeconfig. Pure functions: values in, text out.

Kubernetes reads JSON wherever it reads YAML, so JSON is written (no YAML
quoting traps); containerd needs TOML.
"""
from __future__ import annotations

import json
from pathlib import Path

from traderadmin.localcluster.flavors import CNI_BIN_DIR
from traderadmin.localcluster.layout import CONTEXT_NAME, Layout, Network


def kubeconfig(server: str, ca: Path, cert: Path, key: Path, user: str, context: str = CONTEXT_NAME) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": server, "certificate-authority": str(ca)}}],
            "users": [{"name": user, "user": {"client-certificate": str(cert), "client-key": str(key)}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": user}}],
            "current-context": context,
        },
        indent=2,
    )


def containerd_toml(layout: Layout, sandbox_image: str, restrict_oom_score_adj: bool = False,
                    registry_hosts: bool = False) -> str:
    """`restrict_oom_score_adj` for hosts without CAP_SYS_RESOURCE (some VMs and containers):
    the kubelet asks for negative OOM scores (-998 for sandboxes) that runc cannot set there,
    and every pod would fail with "can't get final child's PID from pipe".
    `registry_hosts`: pulls go where the hosts.toml files in `layout.registry_hosts_dir` say."""
    registry = f"""
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{layout.registry_hosts_dir}"
""" if registry_hosts else ""
    return f"""# Written by traderadmin; a containerd just for the local cluster, apart from Docker's.
version = 2
root = "{layout.containerd_root}"
state = "{layout.containerd_state}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{layout.containerd_socket}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{sandbox_image}"
  restrict_oom_score_adj = {str(restrict_oom_score_adj).lower()}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{layout.cni_conf_dir}"
{registry}"""


def cni_conflist(layout: Layout, network: Network) -> str:
    return json.dumps(
        {
            "cniVersion": "0.4.0",
            "name": "traderadmin",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": network.bridge,
                    "isGateway": True,
                    "ipMasq": False,  # one rule for the pod range instead, see host.firewall_rules
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "dataDir": str(layout.cni_ipam_dir),
                        "ranges": [[{"subnet": network.node_pod_cidr}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                    },
                },
                {"type": "portmap", "capabilities": {"portMappings": True}},
            ],
        },
        indent=2,
    )


def kubelet_config(layout: Layout, network: Network, runtime_socket: Path | None = None) -> str:
    """`runtime_socket`: the CRI endpoint (our containerd's unless given, cri-dockerd's for kubeadm)."""
    pki = layout.pki
    return json.dumps(
        {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True},
                "x509": {"clientCAFile": str(pki / "ca.crt")},
            },
            "authorization": {"mode": "Webhook"},
            "cgroupDriver": "cgroupfs",
            "containerRuntimeEndpoint": f"unix://{runtime_socket or layout.containerd_socket}",
            "clusterDomain": "cluster.local",
            "tlsCertFile": str(pki / "kubelet-serving.crt"),
            "tlsPrivateKeyFile": str(pki / "kubelet-serving.key"),
            "podCIDR": network.node_pod_cidr,
            "podLogsDir": str(layout.pod_logs),
            "failSwapOn": False,
            # Images here were imported, not pulled: once collected they are gone for good.
            "imageGCHighThresholdPercent": 100,
            "imageGCLowThresholdPercent": 99,
            # Keep eviction for real emergencies only; image-fs pressure would also delete images.
            "evictionHard": {
                "memory.available": "100Mi",
                "nodefs.available": "2%",
                "imagefs.available": "2%",
            },
            # The API server reaches it by the node's name, which /etc/hosts maps to loopback.
            "address": "127.0.0.1",
            "healthzBindAddress": "127.0.0.1",
            "healthzPort": 10248,
            "readOnlyPort": 0,
            "serializeImagePulls": False,
            "resolvConf": "/etc/resolv.conf",
        },
        indent=2,
    )


def kube_proxy_config(layout: Layout, network: Network, node_name: str, oom_score_adj: int = -999) -> str:
    return json.dumps(
        {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "clientConnection": {"kubeconfig": str(layout.kubeconfigs / "kube-proxy.conf")},
            "mode": "iptables",
            "clusterCIDR": network.pod_cidr,
            "hostnameOverride": node_name,
            "healthzBindAddress": "127.0.0.1:10256",
            "metricsBindAddress": "127.0.0.1:10249",
            # Leave the host's conntrack sysctls alone.
            "conntrack": {"maxPerCore": 0},
            "oomScoreAdj": oom_score_adj,
        },
        indent=2,
    )


# Registries whose pulls the mirror answers: Docker Hub names (what `traderadmin/scanner`
# means) and the pause image's. `_default` covers any other on containerd versions that read it.
MIRRORED_REGISTRIES = ("docker.io", "traderadmin.local", "_default")


def registry_hosts_toml(registry: str, mirror: str) -> str:
    """containerd's hosts.toml sending every pull of `registry` to the mirror at `mirror` (plain HTTP)."""
    server = "https://registry-1.docker.io" if registry == "docker.io" else f"https://{registry}"
    head = "" if registry == "_default" else f'server = "{server}"\n\n'
    return f'{head}[host."http://{mirror}"]\n  capabilities = ["pull", "resolve"]\n'
