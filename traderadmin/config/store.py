"""Saving a config safely: lock, back up, write atomically; and each config's own backup history.

A save never leaves a half-written file behind (traderadmin.atomicfile), and it is
all or nothing: the new bytes are written and fsynced beside the config first (a
full disk stops it there), then the previous file is copied into the history and to
`<name>.bak` (the plan's backup), and only then does the new file take the config's
place. Whatever fails, what was made for the save is removed again.

Each config has its own history in `backups/`: entries are named
`<stem>-<UTC time>-<sha256[:8]><suffix>` after their config, and listing, restoring,
pruning and cleaning match that exact form, so `config.toml` and `config-prod.toml`
in one folder never see each other's backups.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from configcontract import sha256  # the config's identity, as the services report it
from filelock import FileLock, Timeout

from traderadmin.atomicfile import atomic_write, clean_stale_temps, real_path, remove_stale_temps, stage

from . import access
from .errors import BackupError, ConfigLocked

DEFAULT_HISTORY = 20
LOCK_TIMEOUT = 30.0
"""Seconds a writer waits for another one to finish before it gives up."""

_STAMP = r"\d{8}T\d{12}Z"
MIN_ID_PREFIX = 8
"""The shortest start of a backup id that is accepted for it (the date): shorter is likely a typo."""


def bak_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def history_dir(path: Path) -> Path:
    return path.parent / "backups"


def is_backup_of(name: str, path: Path) -> bool:
    """Whether `name` is an entry of the history of the config at `path` (and of no other config)."""
    pattern = rf"{re.escape(path.stem)}-{_STAMP}-[0-9a-f]{{8}}{re.escape(path.suffix)}"
    return re.fullmatch(pattern, name) is not None


def backup_id(entry: Path) -> str:
    """A history entry's stable id: its UTC stamp (YYYYMMDDTHHMMSSffffffZ), taken from the file name.

    The name's form is shared with the desktop app and stays as it is; the stamp in it is
    unique per config (one writer at a time, microseconds) and never changes.
    """
    match = re.search(rf"-({_STAMP})-[0-9a-f]{{8}}[^-]*$", entry.name)
    return match.group(1) if match else entry.name


def _entry_path(path: Path, data: bytes) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return history_dir(path) / f"{path.stem}-{stamp}-{sha256(data)[:8]}{path.suffix}"


def lock_path(path: Path) -> Path:
    """The lock file of the file `path` names: two links to one config share it."""
    real = real_path(path)
    return real.with_name(f".{real.name}.lock")


@lru_cache(maxsize=64)
def _lock(lock_file: str) -> FileLock:
    return FileLock(lock_file)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the lock that serialises every writer of `path`; one holder may re-enter it (read, edit, save)."""
    # filelock would create a missing folder, and only `invoke config.init` may.
    access.require_folder(path)
    access.require_folder(real_path(path))
    lock_file = lock_path(path)
    lock = _lock(str(lock_file))
    try:
        lock.acquire(timeout=LOCK_TIMEOUT)
    except Timeout as e:  # before OSError, which filelock's Timeout also is
        raise ConfigLocked(
            f"{path} is being changed by another process: its lock {lock_file} is still held after "
            f"{LOCK_TIMEOUT:g} s; nothing was written. Fix: let the other `invoke config.*` or `invoke reload` "
            f"finish (`lsof {lock_file}` names it), then run the command again") from e
    except OSError as e:
        raise access.explain(e, lock_file, "write") from e
    try:
        yield
    finally:
        lock.release()


@dataclass(frozen=True)
class SaveResult:
    path: Path
    changed: bool
    old_sha256: str | None
    new_sha256: str
    backup: Path | None


def _entries(path: Path) -> list[Path]:
    hist = history_dir(path)
    if not hist.is_dir():
        return []
    return sorted((p for p in hist.iterdir() if is_backup_of(p.name, path)), reverse=True)


def list_backups(path: Path) -> list[Path]:
    """The history of this config (of no other, and without temp files), newest first."""
    try:
        return _entries(path)
    except OSError as e:
        raise access.explain(e, history_dir(path), "read") from e


def _backup(path: Path, data: bytes) -> Path:
    """Copy the bytes being replaced into the history and to `<name>.bak`; on failure none of it remains."""
    hist, entry = history_dir(path), _entry_path(path, data)
    made_folder, target = False, hist
    try:
        if not hist.is_dir():
            hist.mkdir()
            made_folder = True
        target = entry
        atomic_write(entry, data)
        # The .bak goes last: it is the one step that replaces a file, so a failure
        # before it leaves only new things to remove.
        target = bak_path(path)
        atomic_write(target, data)
    except OSError as e:
        with contextlib.suppress(OSError):  # best effort: the error below is what the user must see
            entry.unlink(missing_ok=True)
            if made_folder:
                hist.rmdir()
        where = target if os.path.isdir(target.parent) else path  # the fix names a folder that is still there
        raise BackupError(
            f"could not back up {path} to {target}: {access.reason(e)}; the update was aborted and {path.name} "
            f"is untouched. Fix: {access.fix(e, where, 'write')}", target, e.errno) from e
    return entry


def _remove_leftovers(path: Path) -> None:
    """Remove the temp files a killed writer of this config left: of the config, its .bak and its history."""
    hist = history_dir(path)
    try:
        clean_stale_temps(path)
        clean_stale_temps(bak_path(path))
        if hist.is_dir():
            remove_stale_temps(hist, lambda name: is_backup_of(name, path))
    except OSError as e:
        raise access.explain(e, hist, "write") from e


def _require_writable(path: Path) -> None:
    # The rename would replace even a file its owner made read-only; respect that mode.
    if not os.access(real_path(path), os.W_OK):
        error = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        raise access.explain(error, path, "write") from error


def _replace(path: Path, old: bytes | None, data: bytes) -> Path | None:
    """Write `data` beside the config, back up `old`, then put `data` in place."""
    try:
        staged = stage(path, data)
    except OSError as e:
        raise access.explain(e, path, "write") from e
    try:
        entry = _backup(path, old) if old is not None else None
        staged.commit()
    except OSError as e:
        staged.discard()
        raise access.explain(e, path, "write") from e
    except BaseException:
        staged.discard()
        raise
    return entry


def _prune(path: Path, keep: int) -> None:
    # The save is done; an entry that cannot be removed now goes with a later save.
    with contextlib.suppress(OSError):
        for old in _entries(path)[keep:]:
            old.unlink(missing_ok=True)


def save(path: Path, data: bytes, keep: int = DEFAULT_HISTORY) -> SaveResult:
    """Back up the current file, then write `data` atomically in its place. Judging `data` is the caller's."""
    with locked(path):
        old = access.read_existing(path)
        new_sha = sha256(data)
        if old == data:
            return SaveResult(path, False, new_sha, new_sha, None)
        if old is not None:
            _require_writable(path)
        _remove_leftovers(path)
        entry = _replace(path, old, data)
        _prune(path, keep)
    return SaveResult(path, True, sha256(old) if old is not None else None, new_sha, entry)
