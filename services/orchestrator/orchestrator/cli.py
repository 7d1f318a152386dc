"""Command line and wiring: load, listen, then reload on request until stopped."""
from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path
from typing import NoReturn

from .logs import ServiceLog
from .reloader import Reloader
from .server import SERVICE, make_server
from .signals import ReloadSignal


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="orchestrator",
        description="Run the orchestrator on a config file and apply changes to it while running.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("TRADER_CONFIG", "/config/config.toml")),
        help="config file (default: $TRADER_CONFIG or /config/config.toml)",
    )
    parser.add_argument("--port", type=int, default=8080, help="HTTP port of /healthz, /readyz, /status (default 8080)")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    parser.add_argument(
        "--no-watch",
        action="store_true",
        help="do not watch the config directory; only the periodic hash check (and SIGUSR1) reload",
    )
    return parser.parse_args(argv)


def _stop(signum: int, frame: object) -> NoReturn:
    # Unwinds serve_forever in the main thread. Without a handler, a container's
    # PID 1 ignores SIGTERM and is only killed after the grace period.
    raise SystemExit(0)


def main(argv: list[str] | None = None, *, reload_signal: ReloadSignal) -> int:
    args = parse_args(argv)
    log = ServiceLog(SERVICE)
    reloader = Reloader(args.config, log, reload_signal, watch=not args.no_watch)
    reloader.reload("start")
    try:
        server = make_server(args.host, args.port, reloader, log)
    except OSError as e:
        log.error("Cannot listen", addr=f"{args.host}:{args.port}", error=str(e))
        return 1
    signal.signal(signal.SIGTERM, _stop)
    host, port = server.server_address[:2]
    log.info("Listening", addr=f"{host}:{port}")
    reloader.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
