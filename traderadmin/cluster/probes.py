"""What recognising a cluster reads: the kubeconfig's contexts, a context's nodes, the Docker engine's info.

The toolkit always names its context (never "whatever is current"), so a
user's kubectl pointing elsewhere cannot redirect a deploy; these are the facts
traderadmin.cluster.detect judges a context by.
"""
from __future__ import annotations

import json
import subprocess

import yaml

from traderadmin.cluster.detect import ContextFacts
from traderadmin.kube import api
from traderadmin.kube.errors import KubeError, KubeUnreachable
from traderadmin.kube.kubeconfig import kubeconfig_files
from traderadmin.kube.objects import NodeInfo


def list_contexts(kubeconfig: str | None = None) -> tuple[list[ContextFacts], str | None]:
    """All contexts (with their API server) and the current context, merged like kubectl does:
    the first file to define a name wins."""
    contexts: dict[str, str] = {}
    servers: dict[str, str] = {}
    writers: dict[str, str] = {}
    current: str | None = None
    for path in kubeconfig_files(kubeconfig):
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        for ctx in data.get("contexts") or []:
            contexts.setdefault(ctx.get("name", ""), (ctx.get("context") or {}).get("cluster", ""))
        for cluster in data.get("clusters") or []:
            body = cluster.get("cluster") or {}
            servers.setdefault(cluster.get("name", ""), body.get("server", ""))
            writers.setdefault(cluster.get("name", ""), _written_by(body))
        current = current or data.get("current-context") or None
    facts = [ContextFacts(name, cluster, servers.get(cluster, ""), writers.get(cluster, ""))
             for name, cluster in contexts.items() if name]
    return facts, current


def _written_by(cluster: dict) -> str:
    """The `provider` a tool stamps into its cluster entry's extensions (minikube does), else ""."""
    for entry in cluster.get("extensions") or []:
        extension = entry.get("extension") if isinstance(entry, dict) else None
        if isinstance(extension, dict) and extension.get("provider"):
            return str(extension["provider"])
    return ""


def list_nodes(context: str, kubeconfig: str | None = None, timeout: float = 10.0) -> list[NodeInfo]:
    """The nodes of `context`'s cluster; any failure (refused, TLS, 401, 403, a timeout) means "not reachable" here."""
    try:
        return api.connect(context, kubeconfig, check=False).nodes(timeout)
    except KubeUnreachable:
        raise
    except KubeError as exc:
        raise KubeUnreachable(f"cluster of context {context!r} is not reachable: {exc}") from exc


def docker_info() -> dict:
    """`docker info` as a dict ({} if the engine does not answer)."""
    try:
        proc = subprocess.run(["docker", "info", "--format", "{{json .}}"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if proc.returncode != 0:
        return {}
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {}
