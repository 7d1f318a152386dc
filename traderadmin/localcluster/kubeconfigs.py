"""Kubeconfig files: one per component in the state folder, and the user's
context (the flavor's: `traderadmin-local`, or `docker-desktop`) merged into their kubeconfig."""
from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

from traderadmin.atomicfile import atomic_write
from traderadmin.localcluster import configfiles
from traderadmin.localcluster.flavors import DEFAULT, Flavor
from traderadmin.localcluster.layout import Layout, Network

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


def merge_into_user_kubeconfig(
    layout: Layout,
    network: Network,
    path: Path | None = None,
    flavor: Flavor = DEFAULT,
    retired: tuple[tuple[str, Path], ...] = (),
) -> Path:
    """Add or replace cluster, user and context named `flavor.context`; keep everything else.

    `retired` names (context, CA file) pairs of flavors that no longer run: an
    entry of that name is removed only when it carries that very CA, so a real
    Docker Desktop's `docker-desktop` context is never touched.
    The current context is only set when the file had none: switching a user's
    kubectl away from their own cluster is not ours to do.
    """
    name = flavor.context
    path = path or user_kubeconfig_path()
    data: dict = {}
    if path.exists():
        data = yaml.safe_load(path.read_text()) or {}
    data.setdefault("apiVersion", "v1")
    data.setdefault("kind", "Config")
    creds = _embedded(layout)
    _drop_retired(data, retired)
    entries = {
        "clusters": {
            "name": name,
            "cluster": {
                "server": f"https://{flavor.server_host}:{network.apiserver_port}",
                "certificate-authority-data": creds["certificate-authority-data"],
            },
        },
        "users": {
            "name": name,
            "user": {
                "client-certificate-data": creds["client-certificate-data"],
                "client-key-data": creds["client-key-data"],
            },
        },
        "contexts": {"name": name, "context": {"cluster": name, "user": name}},
    }
    for section, entry in entries.items():
        items = [i for i in (data.get(section) or []) if i.get("name") != name]
        data[section] = [*items, entry]
    if not data.get("current-context"):
        data["current-context"] = name
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, yaml.safe_dump(data, sort_keys=False).encode(), mode=0o600)
    return path


def _drop_retired(data: dict, retired: tuple[tuple[str, Path], ...]) -> None:
    """Remove the entries of flavors that stopped, when they are provably ours (same CA)."""
    for context, ca_file in retired:
        try:
            ours = base64.b64encode(ca_file.read_bytes()).decode()
        except OSError:
            continue
        cluster = next((c for c in data.get("clusters") or [] if c.get("name") == context), None)
        if cluster is None or (cluster.get("cluster") or {}).get("certificate-authority-data") != ours:
            continue
        for section in ("clusters", "users", "contexts"):
            data[section] = [i for i in data.get(section) or [] if i.get("name") != context]
        if data.get("current-context") == context:
            data["current-context"] = ""


def standalone_kubeconfig_path(layout: Layout, flavor: Flavor = DEFAULT) -> Path:
    return layout.kubeconfigs / f"{flavor.context}.yaml"


def write_standalone_kubeconfig(layout: Layout, network: Network, flavor: Flavor = DEFAULT) -> Path:
    """state/kubeconfig/<context>.yaml: the same context, alone in its file, credentials inlined."""
    path = standalone_kubeconfig_path(layout, flavor)
    if path.exists():
        path.unlink()
    return merge_into_user_kubeconfig(layout, network, path, flavor)

