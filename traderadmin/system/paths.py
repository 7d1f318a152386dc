"""Where the toolkit keeps its build cache and its running state (local cluster, dockerd, images).

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


def _base(override_var: str, system_name: str, xdg_var: str, home_default: Path) -> Path:
    """$override_var, else the system folder for root, else the user's XDG folder."""
    override = os.environ.get(override_var)
    if override:
        return Path(override)
    if _is_root():
        return SYSTEM_ROOT / system_name
    xdg = os.environ.get(xdg_var)
    return (Path(xdg) if xdg else home_default) / "traderadmin"


def cache_dir() -> Path:
    """Build cache: Go module sources, compiled binaries (safe to delete, slow to rebuild)."""
    return _base("TRADERADMIN_CACHE_DIR", "cache", "XDG_CACHE_HOME", Path.home() / ".cache")


def state_dir() -> Path:
    """Running state: certificates, etcd data, component logs, pid files."""
    return _base("TRADERADMIN_STATE_DIR", "state", "XDG_STATE_HOME", Path.home() / ".local" / "state")


def log_dir() -> Path:
    return state_dir() / "logs"
