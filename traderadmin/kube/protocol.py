"""The two shapes of a cluster handle: what the daily loop calls, and what deploying calls besides.

`ClusterApi` is what reload, status, logs and watch use: the light client
(traderadmin.kube.api.KubeApi) provides it without the kubernetes package.
`Cluster` adds what deploying, waiting and explaining need, and server-side
apply; the SDK-backed handle (traderadmin.kube.sdk.Kube) provides it. The
tests' fake provides both, checked against these signatures in
tests/test_kube_protocol.py. Every call answers plain dataclasses
(traderadmin.kube.objects) or raises the traderadmin.kube.errors family.
"""
from __future__ import annotations

from typing import Any, Iterator, Protocol, runtime_checkable

from traderadmin.kube.objects import Deployment, Event, ExecResult, NodeInfo, Pod, PodDetail


@runtime_checkable
class ClusterApi(Protocol):
    """The calls reload, status, logs and watch make; every handle on a cluster provides them."""

    context: str

    def pods(self, namespace: str, app: str | None = None) -> list[Pod]: ...

    def exec(self, namespace: str, pod: str, argv: list[str], container: str | None = None,
             timeout: float = 30, check: bool = True) -> ExecResult: ...

    def proxy_get(self, namespace: str, pod: str, port: int, path: str, timeout: float = 5) -> tuple[int, str]: ...

    def logs(self, namespace: str, pod: str, container: str | None = None, tail: int = 20,
             previous: bool = False, since_seconds: int | None = None) -> str: ...

    def stream_logs(self, namespace: str, pod: str, container: str | None = None, tail: int = 20,
                    since_seconds: int | None = None, previous: bool = False) -> Iterator[str]: ...

    def patch_deployment(self, namespace: str, name: str, patch: dict[str, Any]) -> None: ...

    def scale(self, namespace: str, deployment: str, replicas: int) -> None: ...


@runtime_checkable
class Cluster(ClusterApi, Protocol):
    """Everything deploy, its waiting and explaining, `invoke down` and the acceptance gate call."""

    def namespace_phase(self, namespace: str) -> str | None: ...

    def deployment(self, namespace: str, name: str) -> Deployment: ...

    def deployments(self, namespace: str) -> list[Deployment]: ...

    def pod_details(self, namespace: str, app: str | None = None) -> list[PodDetail]: ...

    def claim_phase(self, namespace: str, name: str) -> str | None: ...

    def events(self, namespace: str) -> list[Event]: ...

    def nodes(self, timeout: float = 10) -> list[NodeInfo]: ...

    def create_pod(self, namespace: str, body: dict[str, Any]) -> None: ...

    def delete_pod(self, namespace: str, name: str, grace_seconds: int | None = None) -> None: ...

    def delete_namespace(self, namespace: str) -> None: ...

    def resource_version(self, api_version: str, kind: str, namespace: str, name: str) -> str | None: ...

    def server_side_apply(self, obj: dict[str, Any], field_manager: str) -> str: ...

    def labelled(self, api_version: str, kind: str, namespace: str, selector: str) -> list[str]: ...

    def delete(self, api_version: str, kind: str, namespace: str, name: str) -> None: ...
