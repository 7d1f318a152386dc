"""Saving config.toml safely: lock, back up, write atomically; and the backup history.

A save never leaves a half-written file behind (traderadmin.atomicfile). The
previous file is copied to `config.toml.bak` (the plan's backup) and into a
bounded, timestamped history first; if that copy fails, nothing is written.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from filelock import FileLock

from traderadmin.atomicfile import atomic_write, clean_stale_temps

from .errors import BackupError, ConfigNotFound

DEFAULT_HISTORY = 20


def sha256(data: bytes) -> str:
    """The config's identity: the SHA-256 of its bytes, as the services report it."""
    return hashlib.sha256(data).hexdigest()


def bak_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def history_dir(path: Path) -> Path:
    return path.parent / "backups"


@lru_cache(maxsize=64)
def _lock(lock_path: str) -> FileLock:
    return FileLock(lock_path, timeout=30)


def lock_for(path: Path) -> FileLock:
    """A cross-platform lock that serialises every writer of `path`.

    The same object for the same file, so one holder may re-enter it (read, edit, save).
    """
    return _lock(str(path.resolve().with_name(f".{path.name}.lock")))


@dataclass(frozen=True)
class SaveResult:
    path: Path
    changed: bool
    old_sha256: str | None
    new_sha256: str
    backup: Path | None


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def backup(path: Path, data: bytes, keep: int = DEFAULT_HISTORY) -> Path:
    """Copy the current bytes to config.toml.bak and into the history; prune the history."""
    try:
        atomic_write(bak_path(path), data)
        hist = history_dir(path)
        hist.mkdir(exist_ok=True)
        entry = hist / f"{path.stem}-{_stamp()}-{sha256(data)[:8]}{path.suffix}"
        atomic_write(entry, data)
    except OSError as e:
        raise BackupError(
            f"could not back up {path} ({e.strerror or e}); the update was aborted and "
            f"{path.name} is untouched. Check that {path.parent} is writable and has space."
        ) from e
    for old in list_backups(path)[keep:]:
        old.unlink(missing_ok=True)
    return entry


def list_backups(path: Path) -> list[Path]:
    """The history, newest first."""
    hist = history_dir(path)
    if not hist.is_dir():
        return []
    return sorted(hist.glob(f"{path.stem}-*{path.suffix}"), reverse=True)


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as e:
        raise ConfigNotFound(f"{path} does not exist (the project's config is made by `invoke config.init`)") from e


def save(path: Path, data: bytes, keep: int = DEFAULT_HISTORY) -> SaveResult:
    """Back up the current file, then write `data` atomically. Validation is the caller's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock_for(path):
        clean_stale_temps(path)
        old = path.read_bytes() if path.exists() else None
        new_sha = sha256(data)
        if old == data:
            return SaveResult(path, False, new_sha, new_sha, None)
        entry = backup(path, old, keep) if old is not None else None
        atomic_write(path, data)
        return SaveResult(path, True, sha256(old) if old is not None else None, new_sha, entry)
