"""Where the local cluster keeps its build cache and its running state.

Both live outside any project checkout so that a fresh clone reuses binaries
built earlier. Root uses /var/lib/traderadmin (the local provider runs as root);
other users get the XDG cache/state folders. Either can be moved with
TRADERADMIN_CACHE_DIR / TRADERADMIN_STATE_DIR.
"""
from __future__ import annotations

import os
from pathlib import Path

SYSTEM_ROOT = Path("/var/lib/traderadmin")


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def cache_dir() -> Path:
    """Build cache: Go module sources, compiled binaries (safe to delete, slow to rebuild)."""
    override = os.environ.get("TRADERADMIN_CACHE_DIR")
    if override:
        return Path(override)
    if _is_root():
        return SYSTEM_ROOT / "cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "traderadmin"


def state_dir() -> Path:
    """Running state: certificates, etcd data, component logs, pid files."""
    override = os.environ.get("TRADERADMIN_STATE_DIR")
    if override:
        return Path(override)
    if _is_root():
        return SYSTEM_ROOT / "state"
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "traderadmin"


def log_dir() -> Path:
    return state_dir() / "logs"
