"""The HTTP status endpoints: /healthz, /readyz, /status (JSON)."""
from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .logs import ServiceLog
from .reloader import Reloader

SERVICE = "orchestrator"


def make_server(host: str, port: int, reloader: Reloader, log: ServiceLog) -> ThreadingHTTPServer:
    """Bind and listen (connections queue from here on); serve with serve_forever()."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "orchestrator"

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            if self.path == "/healthz":
                self._send(200, {"ok": True})
            elif self.path == "/readyz":
                status = reloader.status()
                if status["config_sha256"] is not None:
                    self._send(200, {"ready": True})
                else:
                    self._send(503, {"ready": False, "error": status["last_error"] or "no config applied yet"})
            elif self.path == "/status":
                self._send(200, {"service": SERVICE, **reloader.status()})
            else:
                self._send(404, {"error": f"no such endpoint: {self.path} (try /healthz, /readyz, /status)"})

        def _send(self, code: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
            # The stdlib writes access lines to stderr as plain text; keep every line JSON.
            log.debug("HTTP request", client=self.client_address[0], request=format % args)

    return ThreadingHTTPServer((host, port), Handler)
