"""Saving config.toml safely: lock, back up, write atomically; and the backup history.

A save never leaves a half-written file behind: the new bytes go to a temp file in
the same folder (same file system, so the rename is atomic), are flushed and
fsynced, and replace the old file by rename; then the folder is fsynced so the
rename itself survives a crash. The previous file is copied to `config.toml.bak`
(the plan's backup) and into a bounded, timestamped history first; if that copy
fails, nothing is written.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock

from .errors import BackupError, ConfigNotFound

DEFAULT_HISTORY = 20
_TMP_SUFFIX = ".tmp"


def sha256(data: bytes) -> str:
    """The config's identity: the SHA-256 of its bytes, as the services report it."""
    return hashlib.sha256(data).hexdigest()


def temp_prefix(path: Path) -> str:
    # A dot-name the services ignore (they react only to the config's own name).
    return f".{path.name}."


def bak_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def history_dir(path: Path) -> Path:
    return path.parent / "backups"


def lock_for(path: Path) -> FileLock:
    """A cross-platform lock that serialises every writer of `path`."""
    return FileLock(str(path.with_name(f".{path.name}.lock")), timeout=30)


@dataclass(frozen=True)
class SaveResult:
    path: Path
    changed: bool
    old_sha256: str | None
    new_sha256: str
    backup: Path | None


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a folder for fsync; NTFS journals the rename.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a reader sees the old bytes or the new, never a mix."""
    tmp = path.with_name(f"{temp_prefix(path)}{secrets.token_hex(6)}{_TMP_SUFFIX}")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def clean_stale_temps(path: Path) -> list[Path]:
    """Remove temp files a killed writer left behind. Call only while holding the lock."""
    removed = []
    for p in path.parent.glob(f"{temp_prefix(path)}*{_TMP_SUFFIX}"):
        p.unlink(missing_ok=True)
        removed.append(p)
    return removed


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
        raise ConfigNotFound(f"{path} does not exist; create it with `invoke config.init`") from e


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
