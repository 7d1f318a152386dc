"""The handle deploy uses: the light client for every call, plus server-side apply and pruning
through the kubernetes package's dynamic client.

Server-side apply needs the API's discovery (which resource serves a kind) and
its apply semantics; the SDK's dynamic client does both, so this is the one
place that imports the kubernetes package. It is imported only once an apply,
a prune or a removal starts: the handle itself connects with the light client.
Everything goes through the API server, so it works the same on Docker Desktop,
the local provider, or a remote single-node cluster, and needs only
namespace-scoped rights.
"""
from __future__ import annotations

from typing import Any

from traderadmin.kube.api import KubeApi, _connect
from traderadmin.kube.errors import KubeError, KubeUnreachable, cut, error_for_status, unreachable


def api_error(e: Exception, doing: str) -> KubeError:
    """Turn a kubernetes-client exception into the KubeError family member of its HTTP status."""
    from kubernetes.client.exceptions import ApiException  # the dynamic client's errors derive from it

    if isinstance(e, ApiException) and e.status:
        return error_for_status(e.status, doing, e.body if e.body is not None else e.reason)
    return unreachable(doing, e)


class Kube(KubeApi):
    """The cluster of one kubeconfig context: the light client, and the SDK for apply and prune."""

    kubeconfig: str | None = None  # the SDK reads the same files as the light client
    _dynamic: Any = None

    def _resource(self, api_version: str, kind: str) -> Any:
        if self._dynamic is None:
            from kubernetes import config
            from kubernetes.config.config_exception import ConfigException
            from kubernetes.dynamic import DynamicClient

            try:
                api = config.new_client_from_config(context=self.context, config_file=self.kubeconfig)
            except (ConfigException, FileNotFoundError, TypeError) as e:
                raise KubeUnreachable(f"no usable kubeconfig for context {self.context!r} ({cut(str(e))})") from e
            api.configuration.retries = 1
            for key, value in self.creds.headers.items():
                api.set_default_header(key, value)
            try:
                self._dynamic = DynamicClient(api)
            except Exception as e:  # discovery is the first call: any failure here is the cluster's
                raise api_error(e, f"discovering the API of context {self.context!r}") from e
        try:
            return self._dynamic.resources.get(api_version=api_version, kind=kind)
        except Exception as e:
            raise api_error(e, f"finding the API of {api_version} {kind}") from e

    def resource_version(self, api_version: str, kind: str, namespace: str, name: str) -> str | None:
        """The live object's resourceVersion; None when there is none."""
        from kubernetes.dynamic.exceptions import NotFoundError

        try:
            return self._resource(api_version, kind).get(name=name, namespace=namespace).metadata.resourceVersion
        except NotFoundError:
            return None
        except Exception as e:
            raise api_error(e, f"reading {kind} {name}") from e

    def server_side_apply(self, obj: dict[str, Any], field_manager: str) -> str:
        """Apply `obj` as `field_manager`, taking over conflicting fields; the resourceVersion after."""
        kind, name = obj["kind"], obj["metadata"]["name"]
        try:
            after = self._resource(obj["apiVersion"], kind).server_side_apply(
                body=obj, name=name, namespace=obj["metadata"].get("namespace"),
                field_manager=field_manager, force_conflicts=True)
        except Exception as e:
            raise api_error(e, f"applying {kind} {name}") from e
        return after.metadata.resourceVersion

    def labelled(self, api_version: str, kind: str, namespace: str, selector: str) -> list[str]:
        """The names of the namespace's objects of `kind` that the label `selector` matches."""
        try:
            items = self._resource(api_version, kind).get(namespace=namespace, label_selector=selector).items
        except Exception as e:
            raise api_error(e, f"listing {kind}s in {namespace}") from e
        return [item.metadata.name for item in items]

    def delete(self, api_version: str, kind: str, namespace: str, name: str) -> None:
        try:
            self._resource(api_version, kind).delete(name=name, namespace=namespace)
        except Exception as e:
            raise api_error(e, f"deleting {kind} {name} in {namespace}") from e


def connect(context: str, kubeconfig: str | None = None) -> Kube:
    """A handle on the cluster of `context` (its kubeconfig, see traderadmin.kube.kubeconfig), checked to answer."""
    kube = _connect(Kube, context, kubeconfig, check=True, impersonate=None)
    kube.kubeconfig = kubeconfig
    return kube
