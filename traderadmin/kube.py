"""The SDK-backed handle deploy uses: the kubernetes client for apply, prune and waiting, plus every
`ClusterApi` call (pods, exec, the pod proxy, logs, patch, scale) through the light client.

Everything goes through the API server (exec, logs, the pod proxy), so it works
the same on Docker Desktop, the local provider, or a remote single-node cluster,
and needs only namespace-scoped rights. reload, status, logs and watch take a
`traderadmin.kubeapi.KubeApi` instead and never import the kubernetes package;
deploy's helpers shared with them (put the config, read a service's /status)
use only the `ClusterApi` calls, so either handle serves them.
"""
from __future__ import annotations

from typing import Any, Iterator

from traderadmin.cluster import kube as cluster_kube
from traderadmin.cluster.kube import api_error
from traderadmin.kubeapi import ClusterApi, ExecResult, KubeApi, Pod, load_credentials
from traderadmin.kubeerrors import ExecFailed, KubeError, KubeUnreachable

__all__ = ["ClusterApi", "ExecFailed", "ExecResult", "Kube", "KubeError", "KubeUnreachable", "Pod", "api_error",
           "connect"]


class Kube:
    """The API clients for one kubeconfig context: the SDK's for deploy, the light one for the rest."""

    def __init__(self, api_client: Any, context: str, light: KubeApi) -> None:
        from kubernetes import client

        self.api_client = api_client
        self.context = context
        self.light = light
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self._dynamic = None

    @property
    def dynamic(self):
        if self._dynamic is None:
            from kubernetes.dynamic import DynamicClient

            self._dynamic = DynamicClient(self.api_client)
        return self._dynamic

    def pods(self, namespace: str, app: str | None = None) -> list[Pod]:
        return self.light.pods(namespace, app)

    def exec(self, namespace: str, pod: str, argv: list[str], container: str | None = None,
             timeout: float = 30, check: bool = True) -> ExecResult:
        return self.light.exec(namespace, pod, argv, container, timeout, check)

    def proxy_get(self, namespace: str, pod: str, port: int, path: str, timeout: float = 5) -> tuple[int, str]:
        return self.light.proxy_get(namespace, pod, port, path, timeout)

    def logs(self, namespace: str, pod: str, container: str | None = None, tail: int = 20,
             previous: bool = False, since_seconds: int | None = None) -> str:
        return self.light.logs(namespace, pod, container, tail, previous, since_seconds)

    def stream_logs(self, namespace: str, pod: str, container: str | None = None, tail: int = 20,
                    since_seconds: int | None = None, previous: bool = False) -> Iterator[str]:
        return self.light.stream_logs(namespace, pod, container, tail, since_seconds, previous)

    def patch_deployment(self, namespace: str, name: str, patch: dict[str, Any]) -> None:
        self.light.patch_deployment(namespace, name, patch)

    def scale(self, namespace: str, deployment: str, replicas: int) -> None:
        self.light.scale(namespace, deployment, replicas)


def connect(context: str, kubeconfig: str | None = None) -> Kube:
    """A handle on the cluster of `context` (see traderadmin.cluster.kube), checked to answer."""
    from kubernetes import client

    api = cluster_kube.api_client(context, kubeconfig)
    try:
        client.VersionApi(api).get_code(_request_timeout=5)
    except Exception as e:
        raise api_error(e, f"connecting to {api.configuration.host}") from e
    try:
        light = KubeApi(load_credentials(context, kubeconfig), context)
    except (OSError, ValueError) as e:
        raise KubeUnreachable(f"no usable kubeconfig for context {context!r} ({e}); "
                              "bring a cluster up with `invoke cluster.up`") from e
    return Kube(api, context, light)
