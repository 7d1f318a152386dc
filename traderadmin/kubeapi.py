"""A small typed client for the few Kubernetes calls the daily loop makes, without the kubernetes package.

`invoke reload`, `status`, `logs` and `watch` need six things from the API
server: list a deployment's pods, exec a command in one (the config writer's
`put`, a signal), GET a service's /status through the pod proxy, read or follow
a log, patch a Deployment, scale one. The kubernetes client costs about 1.5 s
to import, several times the reload itself, so this module speaks to the API
server directly: the standard library's http.client for HTTP (urllib3 alone cost a
tenth of the remaining start-up), and for exec the websocket channel protocol
(`v5.channel.k8s.io`, with `v4` offered for servers before 1.30) through
websocket-client. It reads the kubeconfig as kubectl does (client certificates,
bearer tokens and token files, basic auth, exec credential plugins) for one
named context.

`KubeApi` is the handle; `ClusterApi` is the Protocol every handle (this one,
the SDK-backed `traderadmin.kube.Kube`, and the tests' fake) satisfies. Errors
are the `traderadmin.kubeerrors` family, chosen by HTTP status and raised from
the transport's own exception.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol, runtime_checkable
from urllib.parse import quote, urlencode, urlsplit

from traderadmin.kubeerrors import (
    ExecFailed,
    KubeconfigError,
    KubeError,
    KubeUnreachable,
    cut,
    error_for_status,
    unreachable,
)

APP_LABEL = "app.kubernetes.io/name"
# Newest first: the server picks the first it speaks. v5 (Kubernetes 1.30+) adds a
# close signal for stdin; we send no stdin, so v4's framing is the same for us.
EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"]
_STDOUT, _STDERR, _ERROR = 1, 2, 3


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    returncode: int


@dataclass(frozen=True)
class Pod:
    """What the toolkit reads of a pod."""

    name: str
    app: str
    phase: str
    ready: bool
    restarts: int
    deleting: bool = False
    containers: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Pod:
        meta, status = item.get("metadata") or {}, item.get("status") or {}
        conditions = status.get("conditions") or []
        statuses = status.get("containerStatuses") or []
        spec = item.get("spec") or {}
        return cls(
            name=meta.get("name", ""),
            app=(meta.get("labels") or {}).get(APP_LABEL, ""),
            phase=status.get("phase") or "Unknown",
            ready=any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions),
            restarts=sum(int(cs.get("restartCount") or 0) for cs in statuses),
            deleting=bool(meta.get("deletionTimestamp")),
            containers=tuple(c.get("name", "") for c in spec.get("containers") or []),
        )


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


# --- the kubeconfig ---------------------------------------------------------------------------


@dataclass
class Credentials:
    """How to reach and authenticate to the API server of one context."""

    server: str
    ca_data: bytes | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    cert_data: bytes | None = None
    key_data: bytes | None = None
    token: str | None = None
    basic: tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def load_credentials(context: str, kubeconfig: str | None = None) -> Credentials:
    """The server and credentials of `context`, merged over the kubeconfig files as kubectl does."""
    import yaml

    from traderadmin.cluster.kube import kubeconfig_files

    contexts: dict[str, tuple[dict, Path]] = {}
    clusters: dict[str, tuple[dict, Path]] = {}
    users: dict[str, tuple[dict, Path]] = {}
    for path in kubeconfig_files(kubeconfig):
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        # The first file to define a name wins, and paths in it are relative to that file.
        for key, into in (("contexts", contexts), ("clusters", clusters), ("users", users)):
            for entry in data.get(key) or []:
                if isinstance(entry, dict) and entry.get("name"):
                    body = entry.get(key[:-1]) or {}
                    into.setdefault(entry["name"], (body, path.parent))
    if context not in contexts:
        raise KubeconfigError(f"no context {context!r} in the kubeconfig "
                              f"({os.pathsep.join(map(str, kubeconfig_files(kubeconfig)))})")
    ctx = contexts[context][0]
    cluster, cluster_dir = clusters.get(ctx.get("cluster", ""), ({}, Path(".")))
    user, user_dir = users.get(ctx.get("user", ""), ({}, Path(".")))
    if not cluster.get("server"):
        raise KubeconfigError(f"context {context!r} of the kubeconfig names a cluster without a server")
    creds = Credentials(
        server=cluster["server"].rstrip("/"),
        ca_data=_data_or_file(cluster, "certificate-authority", cluster_dir),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name"),
        cert_data=_data_or_file(user, "client-certificate", user_dir),
        key_data=_data_or_file(user, "client-key", user_dir),
        token=user.get("token"),
    )
    if not creds.token and user.get("tokenFile"):
        creds.token = _resolve(user["tokenFile"], user_dir).read_text().strip()
    if user.get("username") and user.get("password"):
        creds.basic = (str(user["username"]), str(user["password"]))
    if user.get("exec"):
        _run_exec_plugin(context, user["exec"], creds)
    if user.get("auth-provider"):
        raise KubeconfigError(f"context {context!r} uses the legacy auth-provider "
                              f"{(user['auth-provider'] or {}).get('name', '?')!r}, which the toolkit does not "
                              "speak; switch the kubeconfig to its exec credential plugin (the provider's docs name it)")
    return creds


def _resolve(path: str, base: Path) -> Path:
    p = Path(os.path.expanduser(path))
    return p if p.is_absolute() else base / p


def _data_or_file(section: dict, key: str, base: Path) -> bytes | None:
    if section.get(f"{key}-data"):
        return base64.b64decode(section[f"{key}-data"])
    if section.get(key):
        return _resolve(section[key], base).read_bytes()
    return None


def _run_exec_plugin(context: str, spec: dict, creds: Credentials) -> None:
    """Run a client-go exec credential plugin and take the token or client certificate it prints."""
    argv = [spec.get("command", "")] + [str(a) for a in spec.get("args") or []]
    env = {**os.environ, **{e["name"]: str(e["value"]) for e in spec.get("env") or [] if "name" in e}}
    info = {"apiVersion": spec.get("apiVersion", "client.authentication.k8s.io/v1"),
            "kind": "ExecCredential", "spec": {"interactive": False}}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        status = json.loads(proc.stdout).get("status") or {}
    except (OSError, subprocess.TimeoutExpired, ValueError) as e:
        raise KubeconfigError(f"the credential plugin of context {context!r} ({argv[0]}) failed: {cut(str(e))}") from e
    if proc.returncode != 0:
        raise KubeconfigError(f"the credential plugin of context {context!r} ({argv[0]}) exited "
                              f"{proc.returncode}: {cut(proc.stderr.strip())}")
    creds.token = status.get("token") or creds.token
    if status.get("clientCertificateData"):
        creds.cert_data = status["clientCertificateData"].encode()
        creds.key_data = (status.get("clientKeyData") or "").encode()


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
            conn = self._connection(limit) if stream else self._take(limit)
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
        header = [f"{k}: {v}" for k, v in self._headers.items() if k in ("Authorization",)]
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


def connect(context: str, kubeconfig: str | None = None, check: bool = True) -> KubeApi:
    """A handle on the cluster of `context`; with `check`, one call proves it answers."""
    try:
        api = KubeApi(load_credentials(context, kubeconfig), context)
    except (OSError, ValueError, ssl.SSLError) as e:
        raise KubeconfigError(f"the kubeconfig of context {context!r} is not usable: {cut(str(e))}") from e
    if check:
        api.version()
    return api
