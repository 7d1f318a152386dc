"""The config volume and its writer: which pod writes it, what it holds, and putting a new config in.

Only the config-writer pod mounts the volume read-write; everything reaches the
file through its `/configwriter` commands, run by exec through the API server.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from traderadmin.kube.errors import KubeError
from traderadmin.kube.objects import Pod
from traderadmin.kube.protocol import ClusterApi
from traderadmin.stack.errors import DeployError

WRITER = "config-writer"
CLAIM = "trader-config"
CONFIG_DIR = "/config"
CONFIG_NAME = "config.toml"
# As deploy/ has them: the writer's /readyz port, its uid, and the one-shot pod
# (deploy/once/volume-owner.yaml) that gives it the volume where fsGroup is ignored (hostPath volumes).
WRITER_PORT = 8082
WRITER_UID = 65532
VOLUME_OWNER = "volume-owner"
# On the claim once that pod has run: later deploys skip it (and the namespace stays `restricted`).
OWNED_ANNOTATION = "traderadmin.local/volume-owner"
OWNER_IDS = f"{WRITER_UID}:{WRITER_UID}"


def writer_pod(kube: ClusterApi, namespace: str, pods: list[Pod] | None = None) -> str:
    """The running config writer's pod (from `pods` when the caller listed them already)."""
    listed = pods if pods is not None else kube.pods(namespace, WRITER)
    running = [p for p in listed if p.app == WRITER and p.phase == "Running" and not p.deleting]
    if not running:
        raise DeployError(f"no running {WRITER} pod in {namespace}; `invoke deploy` starts it")
    return running[0].name


def config_in_volume(kube: ClusterApi, namespace: str) -> dict[str, Any]:
    """What the volume holds now: {exists, sha256, bytes}."""
    out = kube.exec(namespace, writer_pod(kube, namespace), ["/configwriter", "stat", f"{CONFIG_DIR}/{CONFIG_NAME}"])
    return json.loads(out.stdout)


def put_config(kube: ClusterApi, namespace: str, data: bytes, sha256: str, writer: str | None = None) -> bool:
    """Write `data` into the volume atomically through the writer; False when it was already there."""
    argv = ["/configwriter", "put", f"{CONFIG_DIR}/{CONFIG_NAME}", sha256, base64.b64encode(data).decode()]
    try:
        out = kube.exec(namespace, writer or writer_pod(kube, namespace), argv)
    except KubeError as e:
        raise DeployError(f"could not write the config into the volume: {e}") from e
    return bool(json.loads(out.stdout)["changed"])
