"""A thin handle on the Kubernetes API: the calls deploy and reload make, with errors for people.

Everything goes through the API server (exec, logs, the pod proxy), so it works
the same on Docker Desktop, the local provider, or a remote single-node cluster,
and needs only namespace-scoped rights. The client for a named context and the
KubeError family come from traderadmin.cluster.kube; they are named here too,
so deploy and reload need only this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from traderadmin.cluster import kube as cluster_kube
from traderadmin.cluster.kube import ExecFailed, KubeError, KubeUnreachable, api_error

__all__ = ["ExecFailed", "ExecResult", "Kube", "KubeError", "KubeUnreachable", "api_error", "connect"]


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    returncode: int


class Kube:
    """The API clients for one kubeconfig context."""

    def __init__(self, api_client: Any, context: str) -> None:
        from kubernetes import client

        self.api_client = api_client
        self.context = context
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self._dynamic = None

    @property
    def dynamic(self):
        if self._dynamic is None:
            from kubernetes.dynamic import DynamicClient

            self._dynamic = DynamicClient(self.api_client)
        return self._dynamic

    def exec(self, namespace: str, pod: str, argv: list[str], container: str | None = None,
             timeout: float = 30, check: bool = True) -> ExecResult:
        """Run `argv` in a container through the API server and wait for it to end."""
        from kubernetes.stream import stream

        kwargs = {"container": container} if container else {}
        try:
            ws = stream(self.core.connect_get_namespaced_pod_exec, pod, namespace, command=argv,
                        stdin=False, stdout=True, stderr=True, tty=False, _preload_content=False, **kwargs)
            ws.run_forever(timeout=timeout)
            out, err = ws.read_stdout(), ws.read_stderr()
            rc = ws.returncode
            ws.close()
        except Exception as e:  # the websocket layer raises several unrelated types
            raise api_error(e, f"exec {argv[0]} in pod {namespace}/{pod}") from e
        if rc is None:
            raise KubeError(f"exec {argv[0]} in pod {namespace}/{pod} did not finish within {timeout:.0f} s")
        result = ExecResult(out or "", err or "", rc)
        if check and rc != 0:
            raise ExecFailed(pod, argv, rc, result.stderr or result.stdout)
        return result

    def proxy_get(self, namespace: str, pod: str, port: int, path: str, timeout: float = 5) -> tuple[int, str]:
        """GET http://POD:PORT/PATH through the API server's pod proxy: (status, body)."""
        try:
            resp = self.core.connect_get_namespaced_pod_proxy_with_path(
                f"{pod}:{port}", namespace, path.lstrip("/"), _preload_content=False, _request_timeout=timeout)
            return resp.status, resp.data.decode("utf-8", "replace")
        except Exception as e:
            from kubernetes.client.exceptions import ApiException

            if isinstance(e, ApiException) and e.status and e.body is not None:
                body = e.body.decode("utf-8", "replace") if isinstance(e.body, bytes) else str(e.body)
                return e.status, body
            raise api_error(e, f"GET {path} of pod {namespace}/{pod}:{port}") from e

    def logs(self, namespace: str, pod: str, container: str | None = None, tail: int = 20,
             previous: bool = False, since_seconds: int | None = None) -> str:
        kwargs: dict[str, Any] = {"container": container} if container else {}
        if since_seconds:
            kwargs["since_seconds"] = since_seconds
        try:
            return self.core.read_namespaced_pod_log(pod, namespace, tail_lines=tail, previous=previous, **kwargs)
        except Exception as e:
            raise api_error(e, f"reading the log of {namespace}/{pod}") from e

    def stream_logs(self, namespace: str, pod: str, container: str | None = None, tail: int = 20,
                    since_seconds: int | None = None, previous: bool = False) -> Iterator[str]:
        """A container's log lines as they are written (follow), starting `tail` lines back."""
        kwargs: dict[str, Any] = {"container": container} if container else {}
        if since_seconds:
            kwargs["since_seconds"] = since_seconds
        where = f"following the log of {namespace}/{pod}"
        try:
            response = self.core.read_namespaced_pod_log(pod, namespace, follow=True, tail_lines=tail,
                                                         previous=previous, _preload_content=False, **kwargs)
        except Exception as e:
            raise api_error(e, where) from e
        pending = b""
        try:
            for chunk in response.stream():
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode(errors="replace")
        except Exception as e:
            raise api_error(e, where) from e
        finally:
            response.release_conn()
        if pending:
            yield pending.decode(errors="replace")


def connect(context: str, kubeconfig: str | None = None) -> Kube:
    """A handle on the cluster of `context` (see traderadmin.cluster.kube), checked to answer."""
    from kubernetes import client

    api = cluster_kube.api_client(context, kubeconfig)
    try:
        client.VersionApi(api).get_code(_request_timeout=5)
    except Exception as e:
        raise api_error(e, f"connecting to {api.configuration.host}") from e
    return Kube(api, context)
