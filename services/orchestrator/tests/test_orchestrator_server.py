"""The HTTP endpoints, served in-process."""
from __future__ import annotations

import io
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator import config
from orchestrator.logs import ServiceLog
from orchestrator.reloader import Reloader
from orchestrator.server import make_server
from orchestratorhelpers import DEFAULTS


def get(base: str, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base + path, timeout=5) as r:
            assert r.headers["Content-Type"] == "application/json"
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    servers = []

    def start(data: bytes | None) -> tuple[str, Reloader]:
        path = tmp_path / "config.toml"
        if data is not None:
            path.write_bytes(data)
        log = ServiceLog("orchestrator", io.StringIO())
        reloader = Reloader(path, log, watch=False)
        reloader.reload("start")
        server = make_server("127.0.0.1", 0, reloader, log)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", reloader

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_endpoints_with_a_valid_config(serve) -> None:
    base, _ = serve(DEFAULTS)
    assert get(base, "/healthz") == (200, {"ok": True})
    assert get(base, "/readyz") == (200, {"ready": True})
    code, status = get(base, "/status")
    assert code == 200
    assert set(status) == {"service", "config_path", "config_sha256", "loaded_at", "reloads", "rejected",
                           "last_error", "last_rejected_sha256", "config"}
    assert status["service"] == "orchestrator"
    assert status["config_sha256"] == config.sha256(DEFAULTS)
    assert status["config"] == config.load(DEFAULTS)


def test_not_ready_without_a_valid_config(serve) -> None:
    base, _ = serve(b"[trading]\nmax_positions = 0\n")
    assert get(base, "/healthz") == (200, {"ok": True})
    code, body = get(base, "/readyz")
    assert code == 503 and body["ready"] is False
    assert "trading.max_positions" in body["error"]
    status = get(base, "/status")[1]
    assert (status["config_sha256"], status["loaded_at"], status["config"]) == (None, None, None)
    assert status["rejected"] == 1


def test_unknown_path_is_a_json_404(serve) -> None:
    base, _ = serve(None)
    code, body = get(base, "/nope")
    assert code == 404 and "/status" in body["error"]
