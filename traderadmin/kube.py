"""A thin handle on the Kubernetes API: the calls deploy and reload make, with errors for people.

Everything goes through the API server (exec, logs, the pod proxy), so it works
the same on Docker Desktop, the local provider, or a remote single-node cluster,
and needs only namespace-scoped rights.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_MAX_SHOWN = 400  # API payloads are cut to this before they reach a message or a log


class KubeError(Exception):
    """Talking to the cluster failed."""


class KubeUnreachable(KubeError):
    """No cluster answers with this kubeconfig/context."""


class ExecFailed(KubeError):
    """A command run in a container exited non-zero."""

    def __init__(self, pod: str, argv: list[str], returncode: int, stderr: str) -> None:
        self.returncode, self.stderr = returncode, stderr
        super().__init__(f"{argv[0]} in pod {pod} exited {returncode}: {_cut(stderr.strip())}")


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


def api_error(e: Exception, doing: str) -> KubeError:
    """Turn a client exception into a KubeError that says what we were doing."""
    from kubernetes.client.exceptions import ApiException

    if isinstance(e, ApiException):
        reason = e.reason
        try:
            reason = json.loads(e.body).get("message", reason)
        except (TypeError, ValueError):
            pass
        return KubeError(f"{doing}: {e.status} {_cut(str(reason))}")
    return KubeUnreachable(f"{doing}: the cluster did not answer ({_cut(str(e))}); "
                           "is it running? `invoke cluster.status` tells")


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    returncode: int


class Kube:
    """The API clients for one kubeconfig context."""

    def __init__(self, api_client: Any, context: str | None) -> None:
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
             previous: bool = False) -> str:
        kwargs = {"container": container} if container else {}
        try:
            return self.core.read_namespaced_pod_log(pod, namespace, tail_lines=tail, previous=previous, **kwargs)
        except Exception as e:
            raise api_error(e, f"reading the log of {namespace}/{pod}") from e


def connect(context: str | None = None, kubeconfig: str | None = None) -> Kube:
    """Load a kubeconfig (the default one unless given) and check that the cluster answers."""
    from kubernetes import config as kconfig
    from kubernetes.config.config_exception import ConfigException

    try:
        api_client = kconfig.new_client_from_config(config_file=kubeconfig, context=context)
    except (ConfigException, FileNotFoundError, TypeError) as e:
        where = f"context {context!r}" if context else "the current context"
        raise KubeUnreachable(f"no usable kubeconfig for {where} ({_cut(str(e))}); "
                              "bring a cluster up with `invoke cluster.up`") from e
    api_client.configuration.retries = 1
    kube = Kube(api_client, context)
    from kubernetes import client

    try:
        client.VersionApi(api_client).get_code(_request_timeout=5)
    except Exception as e:
        raise api_error(e, f"connecting to {api_client.configuration.host}") from e
    return kube
