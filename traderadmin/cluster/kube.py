"""Kubernetes API access for a named kubeconfig context, and the errors of talking to a cluster.

The toolkit always names its context (never "whatever is current"), so a
user's kubectl pointing elsewhere cannot redirect a deploy. Every API client
the toolkit makes comes from `api_client` here; traderadmin.kube builds the
handle deploy and reload use on top of it. The kubernetes package is imported
inside the functions: it is slow to import, and most commands never need it.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from traderadmin.cluster.detect import ContextFacts
from traderadmin.kubeerrors import (  # noqa: F401  (the family is named here too)
    ExecFailed,
    KubeError,
    KubeUnreachable,
    cut,
    error_for_status,
    unreachable,
)

if TYPE_CHECKING:
    from kubernetes import client


def api_error(e: Exception, doing: str) -> KubeError:
    """Turn a kubernetes-client exception into the KubeError family member of its HTTP status."""
    from kubernetes.client.exceptions import ApiException

    if isinstance(e, ApiException) and e.status:
        return error_for_status(e.status, doing, e.body if e.body is not None else e.reason)
    return unreachable(doing, e)


@dataclass(frozen=True)
class NodeInfo:
    name: str
    ready: bool
    kubelet_version: str
    container_runtime: str


def kubeconfig_files(kubeconfig: str | None = None) -> list[Path]:
    """The files kubectl would read: the given one, else $KUBECONFIG's list, else ~/.kube/config."""
    if kubeconfig:
        return [Path(kubeconfig)]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


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


def api_client(context: str, kubeconfig: str | None = None) -> client.ApiClient:
    """An API client for `context` of the kubeconfig (the default files unless given); no request is made."""
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    try:
        api = config.new_client_from_config(config_file=kubeconfig, context=context)
    except (ConfigException, FileNotFoundError, TypeError) as exc:
        # No fix here: which one applies depends on whose cluster it is (providers.reach_fix).
        raise KubeUnreachable(f"no usable kubeconfig for context {context!r} ({cut(str(exc))})") from exc
    api.configuration.retries = 1
    return api


def core_v1(context: str, kubeconfig: str | None = None) -> client.CoreV1Api:
    from kubernetes import client

    return client.CoreV1Api(api_client(context, kubeconfig))


def list_nodes(context: str, kubeconfig: str | None = None, timeout: float = 10.0) -> list[NodeInfo]:
    try:
        items = core_v1(context, kubeconfig).list_node(_request_timeout=timeout).items
    except KubeError:
        raise
    except Exception as exc:  # urllib3/ApiException/ssl: all mean "not reachable" here
        raise KubeUnreachable(f"cluster of context {context!r} is not reachable: {_short(exc)}") from exc
    nodes = []
    for item in items:
        conditions = item.status.conditions or []
        ready = any(c.type == "Ready" and c.status == "True" for c in conditions)
        info = item.status.node_info
        nodes.append(
            NodeInfo(
                item.metadata.name,
                ready,
                info.kubelet_version if info else "",
                info.container_runtime_version if info else "",
            )
        )
    return nodes


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


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return cut(text[0]) if text else type(exc).__name__
