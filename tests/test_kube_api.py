"""The light Kubernetes client: kubeconfig as kubectl reads it, HTTP calls against a stand-in API server,
the exec channel's exit status, and errors by HTTP status."""
from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from traderadmin.kube import api as kubeapi
from traderadmin.kube import errors as kubeerrors
from traderadmin.kube import kubeconfig, objects


def write_kubeconfig(path: Path, server: str, user: dict, context: str = "ctx", cluster: dict | None = None) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
        "current-context": context,
    }))
    return path


# --- the kubeconfig ---------------------------------------------------------------------------------


def test_credentials_come_from_data_fields_and_from_files_relative_to_the_kubeconfig(tmp_path):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_bytes(b"CA")
    (tmp_path / "token").write_text("tok-from-file\n")
    cfg = write_kubeconfig(tmp_path / "config", "https://10.0.0.1:6443/",
                           {"client-certificate-data": base64.b64encode(b"CERT").decode(),
                            "client-key-data": base64.b64encode(b"KEY").decode(), "tokenFile": "token"},
                           cluster={"certificate-authority": "certs/ca.pem"})
    creds = kubeconfig.load_credentials("ctx", str(cfg))
    assert creds.server == "https://10.0.0.1:6443"
    assert (creds.ca_data, creds.cert_data, creds.key_data) == (b"CA", b"CERT", b"KEY")
    assert creds.token == "tok-from-file"


def test_the_first_kubeconfig_file_to_name_a_context_wins_as_with_kubectl(tmp_path, monkeypatch):
    first = write_kubeconfig(tmp_path / "a", "https://first:6443", {"token": "one"})
    second = write_kubeconfig(tmp_path / "b", "https://second:6443", {"token": "two"})
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    creds = kubeconfig.load_credentials("ctx")
    assert (creds.server, creds.token) == ("https://first:6443", "one")


def test_an_unknown_context_is_a_kubeconfig_error(tmp_path):
    cfg = write_kubeconfig(tmp_path / "config", "https://x:6443", {"token": "t"})
    with pytest.raises(kubeerrors.KubeconfigError, match="no context 'other' in the kubeconfig"):
        kubeconfig.load_credentials("other", str(cfg))


@pytest.mark.parametrize(("context", "says"), [
    ("other", "no context 'other' in the kubeconfig .*Fix: `kubectl config get-contexts` lists the contexts"),
    ("ctx", r"the cluster of context ctx does not answer \(.*\)\. Fix: `invoke cluster.up --context ctx` starts it"),
])
def test_the_daily_commands_say_one_fix_when_the_cluster_cannot_be_reached(tmp_path, monkeypatch, context, says):
    from traderadmin.cluster.providers import ProviderError, light_handle

    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9", {"token": "t"})))
    with pytest.raises(ProviderError, match=says) as info:
        light_handle(context=context)
    assert str(info.value).count("Fix:") == 1 and str(info.value).count("invoke cluster.up") <= 1


def test_an_exec_credential_plugin_supplies_the_token(tmp_path):
    plugin = tmp_path / "plugin.sh"
    plugin.write_text('#!/bin/sh\necho \'{"apiVersion": "client.authentication.k8s.io/v1", '
                      '"kind": "ExecCredential", "status": {"token": "from-plugin-\'"$WHO"\'"}}\'\n')
    plugin.chmod(0o755)
    cfg = write_kubeconfig(tmp_path / "config", "https://x:6443",
                           {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin),
                                     "env": [{"name": "WHO", "value": "me"}]}})
    assert kubeconfig.load_credentials("ctx", str(cfg)).token == "from-plugin-me"


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "kind"), [
    (401, kubeerrors.KubeUnauthorized), (403, kubeerrors.KubeForbidden), (404, kubeerrors.KubeNotFound),
    (409, kubeerrors.KubeConflict), (422, kubeerrors.KubeInvalid), (500, kubeerrors.KubeServerError),
    (503, kubeerrors.KubeServerError), (418, kubeerrors.KubeError),
])
def test_each_http_status_maps_to_its_error_with_the_api_message(status, kind):
    body = json.dumps({"kind": "Status", "message": f"the reason {status}"})
    err = kubeerrors.error_for_status(status, "doing it", body)
    assert type(err) is kind and isinstance(err, kubeerrors.KubeError) and err.status == status
    assert str(err) == f"doing it: {status} the reason {status}"


def test_the_sdk_errors_map_to_the_same_family_raised_from_the_original():
    from kubernetes.client.exceptions import ApiException

    from traderadmin.kube.sdk import api_error

    original = ApiException(status=403, reason="Forbidden")
    original.body = json.dumps({"message": "pods is forbidden"})
    err = api_error(original, "listing pods")
    assert isinstance(err, kubeerrors.KubeForbidden) and str(err) == "listing pods: 403 pods is forbidden"


@pytest.mark.parametrize(("status", "code"), [
    (b'{"metadata": {}, "status": "Success"}', 0),
    (b'{"status": "Failure", "reason": "NonZeroExitCode", "details": {"causes": '
     b'[{"reason": "ExitCode", "message": "3"}]}}', 3),
])
def test_the_exec_error_channel_gives_the_exit_code(status, code):
    assert kubeapi._exit_code(status, "exec x") == code


def test_an_exec_that_could_not_start_is_an_error_not_an_exit_code():
    with pytest.raises(kubeerrors.KubeError, match="container not found"):
        kubeapi._exit_code(b'{"status": "Failure", "message": "container not found (\\"nope\\")"}', "exec x")
    with pytest.raises(kubeerrors.KubeError, match="closed before"):
        kubeapi._exit_code(b"", "exec x")


# --- HTTP against a stand-in API server -------------------------------------------------------------

POD = {"metadata": {"name": "scanner-1", "labels": {"app.kubernetes.io/name": "scanner"}},
       "spec": {"containers": [{"name": "scanner"}]},
       "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                  "containerStatuses": [{"restartCount": 2}]}}


DEPLOYMENT = {"metadata": {"name": "scanner", "generation": 3},
              "spec": {"replicas": 1, "strategy": {"type": "Recreate"}, "template": {"spec": {"containers": []}}},
              "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 1,
                         "conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetCreated"}]}}


class FakeApiServer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept-alive connections, as the API server keeps them
    seen: list[tuple[str, str, str, bytes]] = []
    drop_next = False  # close the connection after the next answer without saying so
    ports: set[int] = set()  # client ports seen: one per connection the client opened

    def log_message(self, *args) -> None:
        pass

    def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if FakeApiServer.drop_next:
            FakeApiServer.drop_next = False
            self.close_connection = True

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, self.headers.get("Authorization", ""), b""))
        self.ports.add(self.client_address[1])
        if self.path.startswith("/api/v1/namespaces/ns/pods?"):
            self._send(200, json.dumps({"items": [POD]}).encode())
        elif self.path == "/api/v1/namespaces/ns/pods/scanner-1:8081/proxy/status":
            self._send(200, b'{"config_sha256": "abc"}')
        elif self.path == "/api/v1/namespaces/ns/pods/scanner-1:8081/proxy/readyz":
            self._send(503, b'{"ready": false}')
        elif self.path.startswith("/api/v1/namespaces/ns/pods/scanner-1/log") and "follow=true" in self.path:
            self.send_response(200)  # chunked, as a followed log comes
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in (b"one\ntw", b"o\nthree"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.startswith("/api/v1/namespaces/ns/pods/scanner-1/log"):
            self._send(200, b"one\ntwo\nthree", "text/plain")
        elif self.path == "/apis/apps/v1/namespaces/ns/deployments/scanner":
            self._send(200, json.dumps(DEPLOYMENT).encode())
        elif self.path.startswith("/api/v1/namespaces/gone"):
            self._send(404, json.dumps({"kind": "Status", "message": 'namespaces "gone" not found'}).encode())
        else:
            self._send(403, json.dumps({"kind": "Status", "message": "forbidden"}).encode())

    def do_DELETE(self) -> None:
        self.seen.append(("DELETE", self.path, self.headers.get("Impersonate-User", ""), b""))
        self._send(200, b"{}")

    def do_PATCH(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(("PATCH", self.path, self.headers["Content-Type"], body))
        self._send(200, b"{}")


@pytest.fixture
def api(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApiServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeApiServer.seen = []
    FakeApiServer.ports = set()
    cfg = write_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{server.server_port}", {"token": "sekrit"})
    yield kubeapi.connect("ctx", str(cfg), check=False)
    server.shutdown()


def test_pods_are_listed_by_label_and_read_into_typed_pods(api):
    [pod] = api.pods("ns", "scanner")
    assert pod == objects.Pod("scanner-1", "scanner", "Running", True, 2, False, ("scanner",))
    method, path, auth, _ = FakeApiServer.seen[-1]
    assert "labelSelector=app.kubernetes.io%2Fname%3Dscanner" in path and auth == "Bearer sekrit"


def test_the_pod_proxy_returns_any_status_with_its_body(api):
    assert api.proxy_get("ns", "scanner-1", 8081, "/status") == (200, '{"config_sha256": "abc"}')
    assert api.proxy_get("ns", "scanner-1", 8081, "readyz") == (503, '{"ready": false}')


def test_logs_are_read_whole_and_streamed_line_by_line(api):
    assert api.logs("ns", "scanner-1", "scanner", tail=3) == "one\ntwo\nthree"
    assert "tailLines=3" in FakeApiServer.seen[-1][1] and "container=scanner" in FakeApiServer.seen[-1][1]
    assert list(api.stream_logs("ns", "scanner-1", "scanner", tail=3, since_seconds=60)) == ["one\n", "two\n", "three"]
    assert "follow=true" in FakeApiServer.seen[-1][1] and "sinceSeconds=60" in FakeApiServer.seen[-1][1]


def test_patch_and_scale_send_the_right_patch_types(api):
    api.patch_deployment("ns", "scanner", {"spec": {"paused": False}})
    api.scale("ns", "scanner", 2)
    (_, p1, t1, b1), (_, p2, t2, b2) = FakeApiServer.seen[-2:]
    assert (p1, t1, json.loads(b1)) == ("/apis/apps/v1/namespaces/ns/deployments/scanner",
                                        "application/strategic-merge-patch+json", {"spec": {"paused": False}})
    assert (p2, t2, json.loads(b2)) == ("/apis/apps/v1/namespaces/ns/deployments/scanner/scale",
                                        "application/merge-patch+json", {"spec": {"replicas": 2}})


def test_a_kept_alive_connection_the_server_dropped_is_replaced_once(api):
    assert api.pods("ns", "scanner")
    FakeApiServer.drop_next = True
    assert api.pods("ns", "scanner")  # answered, then the server closed the connection silently
    assert api.pods("ns", "scanner"), "the next call must go through on a new connection"


def test_a_pool_of_dropped_connections_costs_one_retry_not_the_call(api):
    """After a long idle spell every pooled connection is closed: the retry must not take another."""
    stale = [api._take(5), api._take(5)]
    for conn in stale:
        FakeApiServer.drop_next = True
        conn.request("GET", "/api/v1/namespaces/ns/pods?labelSelector=x")
        conn.getresponse().read()
    for conn in stale:
        api._give(conn)
    assert api.pods("ns", "scanner")


def test_threads_that_take_turns_share_one_kept_alive_connection(api):
    """Each TLS handshake costs more than a call: the reload's threads must not each open one."""
    for _ in range(3):
        worker = threading.Thread(target=api.pods, args=("ns", "scanner"))
        worker.start()
        worker.join()
    assert api.pods("ns", "scanner")
    assert len(FakeApiServer.seen) == 4 and len(FakeApiServer.ports) == 1, FakeApiServer.ports


def test_api_errors_carry_their_status_and_message(api):
    with pytest.raises(kubeerrors.KubeNotFound, match='listing pods in gone: 404 namespaces "gone" not found'):
        api.pods("gone")


def test_a_server_that_does_not_answer_is_unreachable_raised_from_the_transport_error(tmp_path):
    cfg = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9", {"token": "t"})
    api = kubeapi.connect("ctx", str(cfg), check=False)
    with pytest.raises(kubeerrors.KubeUnreachable, match="did not answer") as info:
        api.pods("ns")
    assert info.value.__cause__ is not None


def test_pods_in_detail_carry_conditions_and_container_states(api):
    [pod] = api.pod_details("ns", "scanner")
    assert (pod.name, pod.app, pod.phase) == ("scanner-1", "scanner", "Running")
    assert pod.conditions[0] == objects.Condition("Ready", "True")
    assert pod.container_statuses[0].restart_count == 2 and pod.container_statuses[0].state.waiting is None


def test_a_deployment_is_read_into_its_rollout_fields(api):
    d = api.deployment("ns", "scanner")
    assert (d.generation, d.observed_generation, d.replicas, d.total_replicas, d.updated_replicas) == (3, 2, 1, 2, 1)
    assert d.strategy == "Recreate" and d.template == {"spec": {"containers": []}}
    assert d.conditions == (objects.Condition("Progressing", "True", "NewReplicaSetCreated"),)


def test_a_missing_namespace_has_no_phase_and_forbidden_nodes_are_forbidden(api):
    assert api.namespace_phase("gone") is None
    with pytest.raises(kubeerrors.KubeForbidden):
        api.nodes()


def test_an_impersonating_handle_sends_the_user_on_every_call(tmp_path, api):
    cfg = write_kubeconfig(tmp_path / "imp", f"http://127.0.0.1:{api._port}", {"token": "t"})
    other = kubeapi.connect("ctx", str(cfg), check=False, impersonate="system:serviceaccount:ns:toolkit")
    other.delete_pod("ns", "scanner-1", grace_seconds=1)
    assert FakeApiServer.seen[-1] == ("DELETE", "/api/v1/namespaces/ns/pods/scanner-1?gracePeriodSeconds=1",
                                      "system:serviceaccount:ns:toolkit", b"")
