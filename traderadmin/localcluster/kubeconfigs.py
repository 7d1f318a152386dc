"""Kubeconfig files: one per component in the state folder, and the user's
context `traderadmin-local` merged into their kubeconfig."""
from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

from traderadmin.atomicfile import atomic_write
from traderadmin.localcluster import configfiles
from traderadmin.localcluster.layout import CONTEXT_NAME, Layout, Network

# kubeconfig file stem -> certificate stem (the certificate carries the identity)
COMPONENT_CERTS = {
    "admin": "admin",
    "controller-manager": "controller-manager",
    "scheduler": "scheduler",
    "kube-proxy": "kube-proxy",
    "kubelet": "kubelet-client",
    "hostpath-provisioner": "hostpath-provisioner",
}


def write_component_kubeconfigs(layout: Layout, network: Network) -> None:
    server = f"https://127.0.0.1:{network.apiserver_port}"
    for stem, cert in COMPONENT_CERTS.items():
        text = configfiles.kubeconfig(
            server,
            layout.pki / "ca.crt",
            layout.pki / f"{cert}.crt",
            layout.pki / f"{cert}.key",
            user=stem,
        )
        layout.kubeconfigs.mkdir(parents=True, exist_ok=True)
        atomic_write(layout.kubeconfigs / f"{stem}.conf", text.encode(), mode=0o600)


def user_kubeconfig_path() -> Path:
    """The first file in $KUBECONFIG, else ~/.kube/config (what kubectl writes to)."""
    env = os.environ.get("KUBECONFIG")
    if env:
        return Path(env.split(os.pathsep)[0])
    return Path.home() / ".kube" / "config"


def _embedded(layout: Layout) -> dict:
    """The admin credentials inlined, so the merged context survives copying the file."""
    def read(name: str) -> str:
        return base64.b64encode((layout.pki / name).read_bytes()).decode()

    return {
        "certificate-authority-data": read("ca.crt"),
        "client-certificate-data": read("admin.crt"),
        "client-key-data": read("admin.key"),
    }


def merge_into_user_kubeconfig(layout: Layout, network: Network, path: Path | None = None) -> Path:
    """Add or replace cluster, user and context `traderadmin-local`; keep everything else.

    The current context is only set when the file had none: switching a user's
    kubectl away from their own cluster is not ours to do.
    """
    path = path or user_kubeconfig_path()
    data: dict = {}
    if path.exists():
        data = yaml.safe_load(path.read_text()) or {}
    data.setdefault("apiVersion", "v1")
    data.setdefault("kind", "Config")
    creds = _embedded(layout)
    entries = {
        "clusters": {
            "name": CONTEXT_NAME,
            "cluster": {
                "server": f"https://127.0.0.1:{network.apiserver_port}",
                "certificate-authority-data": creds["certificate-authority-data"],
            },
        },
        "users": {
            "name": CONTEXT_NAME,
            "user": {
                "client-certificate-data": creds["client-certificate-data"],
                "client-key-data": creds["client-key-data"],
            },
        },
        "contexts": {"name": CONTEXT_NAME, "context": {"cluster": CONTEXT_NAME, "user": CONTEXT_NAME}},
    }
    for section, entry in entries.items():
        items = [i for i in (data.get(section) or []) if i.get("name") != CONTEXT_NAME]
        data[section] = [*items, entry]
    if not data.get("current-context"):
        data["current-context"] = CONTEXT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, yaml.safe_dump(data, sort_keys=False).encode(), mode=0o600)
    return path


def write_standalone_kubeconfig(layout: Layout, network: Network) -> Path:
    """state/kubeconfig/traderadmin-local.yaml: the same context, alone in its file, credentials inlined."""
    path = layout.kubeconfigs / f"{CONTEXT_NAME}.yaml"
    if path.exists():
        path.unlink()
    return merge_into_user_kubeconfig(layout, network, path)

