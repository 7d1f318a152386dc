"""A small typed client for the Kubernetes calls the toolkit makes, without the kubernetes package.

`invoke reload`, `status`, `logs` and `watch` need a few things from the API
server: list a deployment's pods, exec a command in one (the config writer's
`put`, a signal), GET a service's /status through the pod proxy, read or follow
a log, patch a Deployment, scale one. The kubernetes client costs about 1.5 s
to import, several times the reload itself, so this module speaks to the API
server directly: the standard library's http.client for HTTP (urllib3 alone cost a
tenth of the remaining start-up), and for exec the websocket channel protocol
(`v5.channel.k8s.io`, with `v4` offered for servers before 1.30) through
websocket-client. The kubeconfig is read as kubectl does (traderadmin.kube.kubeconfig).

Deploy's waiting and explaining (deployments, pods in detail, claims, events,
namespaces) and the acceptance gate's few writes (create or delete a pod)
go through it too; only server-side apply and pruning need the SDK
(traderadmin.kube.sdk). Answers are the plain dataclasses of
traderadmin.kube.objects; errors are the traderadmin.kube.errors family,
chosen by HTTP status and raised from the transport's own exception.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from traderadmin.kube.errors import ExecFailed, KubeconfigError, KubeError, KubeNotFound, cut, error_for_status, unreachable
from traderadmin.kube.kubeconfig import Credentials, load_credentials
from traderadmin.kube.objects import APP_LABEL, Claim, Deployment, Event, ExecResult, NodeInfo, Pod, PodDetail

# Newest first: the server picks the first it speaks. v5 (Kubernetes 1.30+) adds a
# close signal for stdin; we send no stdin, so v4's framing is the same for us.
EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"]
_STDOUT, _STDERR, _ERROR = 1, 2, 3


def ssl_context(creds: Credentials) -> ssl.SSLContext:
    """TLS as the kubeconfig asks: its CA (else the system's), its client certificate, or no checks at all."""
    ctx = ssl.create_default_context(cadata=creds.ca_data.decode() if creds.ca_data else None)
    if creds.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if creds.cert_data and creds.key_data:
        # ssl reads a certificate chain only from files: they live just long enough to be loaded.
        with tempfile.TemporaryDirectory(prefix="traderadmin-tls-") as tmp:
            cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
            for path, data in ((cert, creds.cert_data), (key, creds.key_data)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            ctx.load_cert_chain(str(cert), str(key))
    return ctx


# --- the handle -------------------------------------------------------------------------------


@dataclass
class Response:
    """An API answer: status and body (for a stream: the open response and its connection)."""

    status: int
    data: bytes
    raw: http.client.HTTPResponse | None = None
    conn: http.client.HTTPConnection | None = None


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS with the kubeconfig's TLS context, checking the certificate against `server_name`
    (the kubeconfig's tls-server-name when it sets one, else the host)."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext | None, server_name: str,
                 timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._server_name = server_name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_name)  # type: ignore[attr-defined]


class KubeApi:
    """The cluster of one kubeconfig context, through its API server only (namespace-scoped rights suffice)."""

    def __init__(self, creds: Credentials, context: str, timeout: float = 10) -> None:
        self.context = context
        self.creds = creds
        self.timeout = timeout
        url = urlsplit(creds.server)
        self._base_path = url.path.rstrip("/")
        self._host, self._https = url.hostname or "localhost", url.scheme == "https"
        self._port = url.port or (443 if self._https else 80)
        self._ssl = ssl_context(creds) if self._https else None
        headers = {"Accept": "application/json", "User-Agent": "traderadmin", **creds.headers}
        if creds.token:
            headers["Authorization"] = f"Bearer {creds.token}"
        elif creds.basic:
            headers["Authorization"] = "Basic " + base64.b64encode(":".join(creds.basic).encode()).decode()
        self._headers = headers
        # Kept-alive connections, shared by every thread: a TLS handshake with a client certificate
        # costs more than the call, and the reload's threads take turns more often than they overlap.
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    # -- HTTP -------------------------------------------------------------------------------------

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._https:
            return _TLSConnection(self._host, self._port, self._ssl, self.creds.tls_server_name or self._host,
                                  timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def request(self, method: str, path: str, doing: str, query: dict[str, Any] | None = None,
                body: Any = None, content_type: str = "application/json", timeout: float | None = None,
                stream: bool = False, ok_statuses: tuple[int, ...] = ()) -> Response:
        """One API call; a status >= 400 (unless in `ok_statuses`) raises its KubeError.

        With `stream` the body is left unread (Response.stream): the call gets a connection of
        its own, closed when the stream is.
        """
        url = self._base_path + path + (("?" + urlencode(query, doseq=True)) if query else "")
        headers = dict(self._headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        limit = timeout or self.timeout
        for attempt in (1, 2):
            # The retry goes on a new connection: the others idle in the pool are as stale.
            conn = self._connection(limit) if stream or attempt == 2 else self._take(limit)
            try:
                conn.request(method, url, body=data, headers=headers)
                raw = conn.getresponse()
                if stream and raw.status < 400:
                    if conn.sock is not None:
                        conn.sock.settimeout(None)  # a followed log may be quiet for hours
                    return Response(raw.status, b"", raw, conn)
                resp = Response(raw.status, raw.read())
                if stream:
                    conn.close()
                else:
                    self._give(conn)
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                # A kept-alive connection the server closed meanwhile: once more on a new one.
                conn.close()
                self.close()
                if attempt == 2 or stream:
                    raise unreachable(doing, e) from e
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise unreachable(doing, e) from e
        if resp.status >= 400 and resp.status not in ok_statuses:
            raise error_for_status(resp.status, doing, resp.data)
        return resp

    def _take(self, timeout: float) -> http.client.HTTPConnection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connection(timeout)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _give(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.append(conn)

    def get_json(self, path: str, doing: str, query: dict[str, Any] | None = None) -> Any:
        resp = self.request("GET", path, doing, query)
        try:
            return json.loads(resp.data)
        except ValueError as e:
            raise KubeError(f"{doing}: the API server answered something that is not JSON") from e

    def version(self) -> dict[str, Any]:
        return self.get_json("/version", f"connecting to {self.creds.server}")

    # -- ClusterApi -------------------------------------------------------------------------------

    def pods(self, namespace: str, app: str | None = None) -> list[Pod]:
        """The pods of deployment `app` (all pods without it), in name order."""
        query = {"labelSelector": f"{APP_LABEL}={app}"} if app else None
        doc = self.get_json(f"/api/v1/namespaces/{quote(namespace)}/pods", f"listing pods in {namespace}", query)
        return sorted((Pod.from_api(i) for i in doc.get("items") or []), key=lambda p: p.name)

    def exec(self, namespace: str, pod: str, argv: list[str], container: str | None = None,
             timeout: float = 30, check: bool = True) -> ExecResult:
        """Run `argv` in a container through the API server and wait for it to end."""
        import websocket

        doing = f"exec {argv[0]} in pod {namespace}/{pod}"
        query: list[tuple[str, str]] = [("command", a) for a in argv] + [("stdout", "true"), ("stderr", "true")]
        if container:
            query.append(("container", container))
        scheme = "wss" if self._https else "ws"
        url = (f"{scheme}://{self._host}:{self._port}{self._base_path}/api/v1/namespaces/{quote(namespace)}"
               f"/pods/{quote(pod)}/exec?{urlencode(query)}")
        header = [f"{k}: {v}" for k, v in self._headers.items() if k == "Authorization" or k.startswith("Impersonate-")]
        sslopt: dict[str, Any] = {"context": self._ssl} if self._ssl else {}
        if self.creds.tls_server_name:
            sslopt["server_hostname"] = self.creds.tls_server_name
        out, err, status = bytearray(), bytearray(), b""
        deadline = time.monotonic() + timeout
        try:
            ws = websocket.create_connection(url, timeout=timeout, header=header, subprotocols=EXEC_PROTOCOLS,
                                             sslopt=sslopt, enable_multithread=False)
        except websocket.WebSocketBadStatusException as e:
            raise error_for_status(e.status_code, doing, e.resp_body) from e
        except (websocket.WebSocketException, OSError) as e:
            raise unreachable(doing, e) from e
        try:
            while True:
                ws.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    opcode, data = ws.recv_data(control_frame=False)
                except websocket.WebSocketConnectionClosedException:
                    break
                if opcode == websocket.ABNF.OPCODE_CLOSE or not data:
                    if opcode == websocket.ABNF.OPCODE_CLOSE:
                        break
                    continue
                channel, payload = data[0], data[1:]
                if channel == _STDOUT:
                    out += payload
                elif channel == _STDERR:
                    err += payload
                elif channel == _ERROR:
                    status += payload
        except websocket.WebSocketTimeoutException as e:
            raise KubeError(f"{doing} did not finish within {timeout:.0f} s") from e
        except (websocket.WebSocketException, OSError) as e:
            raise unreachable(doing, e) from e
        finally:
            ws.close()
        rc = _exit_code(status, doing)
        result = ExecResult(out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), rc)
        if check and rc != 0:
            raise ExecFailed(pod, argv, rc, result.stderr or result.stdout)
        return result

    def proxy_get(self, namespace: str, pod: str, port: int, path: str, timeout: float = 5) -> tuple[int, str]:
        """GET http://POD:PORT/PATH through the API server's pod proxy: (status, body), any status."""
        url = f"/api/v1/namespaces/{quote(namespace)}/pods/{quote(pod)}:{port}/proxy/{path.lstrip('/')}"
        resp = self.request("GET", url, f"GET {path} of pod {namespace}/{pod}:{port}", timeout=timeout,
                            ok_statuses=tuple(range(400, 600)))
        return resp.status, resp.data.decode("utf-8", "replace")

    def logs(self, namespace: str, pod: str, container: str | None = None, tail: int = 20,
             previous: bool = False, since_seconds: int | None = None) -> str:
        query = _log_query(container, tail, since_seconds, previous, follow=False)
        resp = self.request("GET", f"/api/v1/namespaces/{quote(namespace)}/pods/{quote(pod)}/log",
                            f"reading the log of {namespace}/{pod}", query)
        return resp.data.decode("utf-8", "replace")

    def stream_logs(self, namespace: str, pod: str, container: str | None = None, tail: int = 20,
                    since_seconds: int | None = None, previous: bool = False) -> Iterator[str]:
        """The log's lines as they come (each with its newline), until the container ends or the caller stops."""
        doing = f"following the log of {namespace}/{pod}"
        query = _log_query(container, tail, since_seconds, previous, follow=not previous)
        resp = self.request("GET", f"/api/v1/namespaces/{quote(namespace)}/pods/{quote(pod)}/log", doing, query,
                            stream=True)
        assert resp.raw is not None and resp.conn is not None
        try:
            for line in resp.raw:  # http.client undoes the chunked encoding
                yield line.decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            raise unreachable(doing, e) from e
        finally:
            resp.conn.close()

    def patch_deployment(self, namespace: str, name: str, patch: dict[str, Any]) -> None:
        """A strategic-merge patch of Deployment `name` (what `kubectl patch` does by default)."""
        self.request("PATCH", f"/apis/apps/v1/namespaces/{quote(namespace)}/deployments/{quote(name)}",
                     f"patching deployment {namespace}/{name}", body=patch,
                     content_type="application/strategic-merge-patch+json")

    def scale(self, namespace: str, deployment: str, replicas: int) -> None:
        self.request("PATCH", f"/apis/apps/v1/namespaces/{quote(namespace)}/deployments/{quote(deployment)}/scale",
                     f"scaling deployment {namespace}/{deployment}", body={"spec": {"replicas": replicas}},
                     content_type="application/merge-patch+json")

    # -- deploy's waiting and explaining, the gate's checks ----------------------------------------

    def namespace_phase(self, namespace: str) -> str | None:
        """Active or Terminating; None when there is no such namespace."""
        try:
            doc = self.get_json(f"/api/v1/namespaces/{quote(namespace)}", f"reading namespace {namespace}")
        except KubeNotFound:
            return None
        return (doc.get("status") or {}).get("phase") or ""

    def deployment(self, namespace: str, name: str) -> Deployment:
        doc = self.get_json(f"/apis/apps/v1/namespaces/{quote(namespace)}/deployments/{quote(name)}",
                            f"reading deployment {namespace}/{name}")
        return Deployment.from_api(doc)

    def deployments(self, namespace: str) -> list[Deployment]:
        doc = self.get_json(f"/apis/apps/v1/namespaces/{quote(namespace)}/deployments",
                            f"listing deployments in {namespace}")
        return [Deployment.from_api(i) for i in doc.get("items") or []]

    def pod_details(self, namespace: str, app: str | None = None) -> list[PodDetail]:
        """The pods of deployment `app` (all without it) with conditions and container states, in name order."""
        query = {"labelSelector": f"{APP_LABEL}={app}"} if app else None
        doc = self.get_json(f"/api/v1/namespaces/{quote(namespace)}/pods", f"listing pods in {namespace}", query)
        return sorted((PodDetail.from_api(i) for i in doc.get("items") or []), key=lambda p: p.name)

    def claim(self, namespace: str, name: str) -> Claim | None:
        """The claim and the volume it is bound to; None when there is no such claim."""
        try:
            doc = self.get_json(f"/api/v1/namespaces/{quote(namespace)}/persistentvolumeclaims/{quote(name)}",
                                f"reading claim {namespace}/{name}")
        except KubeNotFound:
            return None
        return Claim.from_api(doc)

    def annotate_claim(self, namespace: str, name: str, annotations: dict[str, str]) -> None:
        self.request("PATCH", f"/api/v1/namespaces/{quote(namespace)}/persistentvolumeclaims/{quote(name)}",
                     f"annotating claim {namespace}/{name}", body={"metadata": {"annotations": annotations}},
                     content_type="application/merge-patch+json")

    def volume_exists(self, name: str) -> bool:
        """Whether PersistentVolume `name` is still there (a cluster-wide right)."""
        try:
            self.get_json(f"/api/v1/persistentvolumes/{quote(name)}", f"reading volume {name}")
        except KubeNotFound:
            return False
        return True

    def service_ip(self, namespace: str, name: str) -> str:
        doc = self.get_json(f"/api/v1/namespaces/{quote(namespace)}/services/{quote(name)}",
                            f"reading service {namespace}/{name}")
        return (doc.get("spec") or {}).get("clusterIP") or ""

    def events(self, namespace: str) -> list[Event]:
        """The namespace's events, oldest first."""
        doc = self.get_json(f"/api/v1/namespaces/{quote(namespace)}/events", f"listing events in {namespace}")
        return sorted((Event.from_api(e) for e in doc.get("items") or []), key=lambda e: e.time)

    def nodes(self, timeout: float = 10) -> list[NodeInfo]:
        """Every node (a cluster-wide right: KubeForbidden for a namespaced identity)."""
        resp = self.request("GET", "/api/v1/nodes", "listing nodes", timeout=timeout)
        try:
            doc = json.loads(resp.data)
        except ValueError as e:
            raise KubeError("listing nodes: the API server answered something that is not JSON") from e
        return [NodeInfo.from_api(i) for i in doc.get("items") or []]

    def create_pod(self, namespace: str, body: dict[str, Any]) -> None:
        self.request("POST", f"/api/v1/namespaces/{quote(namespace)}/pods", f"creating a pod in {namespace}",
                     body={"apiVersion": "v1", "kind": "Pod", **body})

    def delete_pod(self, namespace: str, name: str, grace_seconds: int | None = None) -> None:
        query = {"gracePeriodSeconds": str(grace_seconds)} if grace_seconds is not None else None
        self.request("DELETE", f"/api/v1/namespaces/{quote(namespace)}/pods/{quote(name)}",
                     f"deleting pod {namespace}/{name}", query)

    def delete_namespace(self, namespace: str) -> None:
        """Delete the namespace; what it holds goes in the background."""
        self.request("DELETE", f"/api/v1/namespaces/{quote(namespace)}", f"deleting namespace {namespace}",
                     {"propagationPolicy": "Background"})

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _log_query(container: str | None, tail: int | None, since: int | None, previous: bool,
               follow: bool) -> dict[str, str]:
    query: dict[str, str] = {}
    if container:
        query["container"] = container
    if tail is not None and tail >= 0:
        query["tailLines"] = str(tail)
    if since:
        query["sinceSeconds"] = str(since)
    if previous:
        query["previous"] = "true"
    if follow:
        query["follow"] = "true"
    return query


def _exit_code(status: bytes, doing: str) -> int:
    """The command's exit code from the error channel's Status (v4+): Success is 0."""
    if not status:
        raise KubeError(f"{doing}: the connection closed before the command's exit status arrived")
    try:
        doc = json.loads(status)
    except ValueError as e:
        raise KubeError(f"{doing}: unreadable exit status {cut(status.decode('utf-8', 'replace'))}") from e
    if doc.get("status") == "Success":
        return 0
    for cause in (doc.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause.get("message", 1))
    # Not the command's own exit: the exec itself failed (no such container, not running, …).
    raise KubeError(f"{doing}: {cut(str(doc.get('message') or doc))}")


def connect(context: str, kubeconfig: str | None = None, check: bool = True,
            impersonate: str | None = None) -> KubeApi:
    """A handle on the cluster of `context`; with `check`, one call proves it answers.

    `impersonate` has the API server authorize every call as that user (a ServiceAccount is
    `system:serviceaccount:NS:NAME`), as `kubectl --as` does.
    """
    return _connect(KubeApi, context, kubeconfig, check, impersonate)


Handle = TypeVar("Handle", bound=KubeApi)


def _connect(cls: type[Handle], context: str, kubeconfig: str | None, check: bool,
             impersonate: str | None) -> Handle:
    try:
        creds = load_credentials(context, kubeconfig)
        if impersonate:
            creds.headers["Impersonate-User"] = impersonate
        api = cls(creds, context)
    except (OSError, ValueError, ssl.SSLError) as e:
        raise KubeconfigError(f"the kubeconfig of context {context!r} is not usable: {cut(str(e))}") from e
    if check:
        api.version()
    return api
