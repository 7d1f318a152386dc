"""Put deploy/ into the cluster with server-side apply, prune what left it, and remove it all again."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from traderadmin.kube.protocol import Cluster
from traderadmin.stack import manifests

FIELD_MANAGER = "traderadmin"
# Kinds `deploy/` may hold, so pruning knows where to look for leftovers. Claims are
# never pruned: the config volume goes only with `invoke down --purge`.
PRUNABLE = [("v1", "Service"), ("v1", "ServiceAccount"), ("v1", "ConfigMap"), ("apps/v1", "Deployment"),
            ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding")]
CLAIMS = ("v1", "PersistentVolumeClaim")


@dataclass
class Applied:
    kind: str
    name: str
    action: str  # created | configured | unchanged | pruned


def apply(kube: Cluster, objs: list[dict[str, Any]]) -> list[Applied]:
    """Server-side apply every object under one field manager; report what changed."""
    results = []
    for obj in objs:
        api_version, kind, name = manifests.key(obj)
        ns = obj["metadata"].get("namespace")
        before = kube.resource_version(api_version, kind, ns, name)
        if before is not None and kind == "Deployment":
            _switch_strategy(kube, obj)
        after = kube.server_side_apply(obj, FIELD_MANAGER)
        action = "created" if before is None else ("unchanged" if after == before else "configured")
        results.append(Applied(kind, name, action))
    return results


def _switch_strategy(kube: Cluster, obj: dict[str, Any]) -> None:
    """Move a live Deployment to the manifest's rollout strategy type first.

    The API server defaults `rollingUpdate` on a RollingUpdate Deployment and no
    field manager owns it, so a server-side apply of `type: Recreate` alone is
    refused; clearing it needs a patch that names it.
    """
    want = obj.get("spec", {}).get("strategy", {}).get("type")
    name, ns = obj["metadata"]["name"], obj["metadata"]["namespace"]
    if want and kube.deployment(ns, name).strategy != want:
        kube.patch_deployment(ns, name, {"spec": {"strategy": {"type": want, "rollingUpdate": None}}})


def prune(kube: Cluster, namespace: str, objs: list[dict[str, Any]]) -> list[Applied]:
    """Delete objects we applied earlier (by label) that are no longer in deploy/."""
    wanted = {(o["kind"], o["metadata"]["name"]) for o in objs}
    selector = f"{manifests.MANAGED_BY}={manifests.TOOL}"
    pruned = []
    for api_version, kind in PRUNABLE:
        for name in kube.labelled(api_version, kind, namespace, selector):
            if (kind, name) not in wanted:
                kube.delete(api_version, kind, namespace, name)
                pruned.append(Applied(kind, name, "pruned"))
    return pruned


def remove(kube: Cluster, namespace: str, purge: bool = False) -> list[str]:
    """Delete what the toolkit applied; the config volume and namespace go only with `purge`."""
    selector = f"{manifests.MANAGED_BY}={manifests.TOOL}"
    removed = []
    for api_version, kind in PRUNABLE + ([CLAIMS] if purge else []):
        for name in kube.labelled(api_version, kind, namespace, selector):
            kube.delete(api_version, kind, namespace, name)
            removed.append(f"{kind}/{name}")
    if purge:
        kube.delete_namespace(namespace)
        removed.append(f"Namespace/{namespace}")
    return removed
