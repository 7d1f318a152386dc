"""Cluster objects the local cluster needs once the API server answers."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from traderadmin.errors import ToolkitError
from traderadmin.localcluster.flavors import Flavor


class BootstrapError(ToolkitError):
    """Applying the cluster's own objects failed."""


def cluster_objects(flavor: Flavor) -> list[dict]:
    return [
        # Lets the API server use the kubelet API: exec, attach, logs, port-forward, pod proxy.
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "traderadmin:apiserver-kubelet-client"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:kubelet-api-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "kube-apiserver-kubelet-client"}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "traderadmin:hostpath-provisioner"},
            "rules": [
                {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["get", "list", "watch", "create", "delete"]},
                {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": ["get", "list", "watch"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "traderadmin:hostpath-provisioner"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "traderadmin:hostpath-provisioner"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "traderadmin:hostpath-provisioner"}],
        },
        # Named as the original names them (Docker Desktop: `hostpath`; its kind mode: `standard`
        # and `hostpath`), so manifests that name a class or rely on the default work on both.
        *(
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {
                    "name": name,
                    "annotations": {"storageclass.kubernetes.io/is-default-class": str(index == 0).lower()},
                },
                "provisioner": flavor.provisioner,
                "reclaimPolicy": "Delete",
                "volumeBindingMode": flavor.binding_mode,
            }
            for index, name in enumerate(flavor.storage_classes)
        ),
    ]


def kubectl(kubectl_bin: Path, kubeconfig: Path, *args: str, stdin: str | None = None, timeout: float = 60):
    return subprocess.run(
        [str(kubectl_bin), f"--kubeconfig={kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def apply_cluster_objects(kubectl_bin: Path, kubeconfig: Path, flavor: Flavor) -> None:
    doc = json.dumps({"apiVersion": "v1", "kind": "List", "items": cluster_objects(flavor)})
    proc = kubectl(kubectl_bin, kubeconfig, "apply", "--server-side", "--field-manager=traderadmin", "-f", "-", stdin=doc)
    if proc.returncode != 0:
        raise BootstrapError(f"`kubectl apply --server-side` of the cluster objects failed: {proc.stderr.strip()}")
