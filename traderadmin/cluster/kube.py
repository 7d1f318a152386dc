"""Kubernetes API access for a named kubeconfig context.

The toolkit always names its context (never "whatever is current"), so a
user's kubectl pointing elsewhere cannot redirect a deploy.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from traderadmin.cluster.detect import ContextFacts


class KubeError(RuntimeError):
    """The cluster could not be reached; the message says through which context and why."""


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
    current: str | None = None
    for path in kubeconfig_files(kubeconfig):
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        for ctx in data.get("contexts") or []:
            contexts.setdefault(ctx.get("name", ""), (ctx.get("context") or {}).get("cluster", ""))
        for cluster in data.get("clusters") or []:
            servers.setdefault(cluster.get("name", ""), (cluster.get("cluster") or {}).get("server", ""))
        current = current or data.get("current-context") or None
    facts = [ContextFacts(name, cluster, servers.get(cluster, "")) for name, cluster in contexts.items() if name]
    return facts, current


def api_client(context: str, kubeconfig: str | None = None) -> client.ApiClient:
    try:
        api = config.new_client_from_config(config_file=kubeconfig, context=context)
    except (ConfigException, FileNotFoundError) as exc:
        raise KubeError(f"kubeconfig has no usable context {context!r}: {exc}") from exc
    api.configuration.retries = 1
    return api


def core_v1(context: str, kubeconfig: str | None = None) -> client.CoreV1Api:
    return client.CoreV1Api(api_client(context, kubeconfig))


def list_nodes(context: str, kubeconfig: str | None = None, timeout: float = 10.0) -> list[NodeInfo]:
    try:
        items = core_v1(context, kubeconfig).list_node(_request_timeout=timeout).items
    except KubeError:
        raise
    except Exception as exc:  # urllib3/ApiException/ssl: all mean "not reachable" here
        raise KubeError(f"cluster of context {context!r} is not reachable: {_short(exc)}") from exc
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
    return text[0][:300] if text else type(exc).__name__
