"""Replace a file so that a reader sees the old bytes or the new, never a mix, even after a crash.

The new bytes go to a temp file in the same folder (same file system, so the
rename is atomic), are flushed and fsynced, and replace the old file by rename;
then the folder is fsynced so the rename itself survives a crash. Temp files
are dot-names ending in `.tmp`: the services ignore them (they react only to the
config's own name), and `clean_stale_temps` finds those a killed writer left.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

TMP_SUFFIX = ".tmp"


def temp_prefix(path: Path) -> str:
    return f".{path.name}."


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a folder for fsync; NTFS journals the rename.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data`.

    Without `mode` the file keeps its permissions (0o644 under the umask when new);
    with it the file gets exactly `mode` before it appears under its name, so
    credentials are never readable by others, not even for a moment.
    """
    tmp = path.with_name(f"{temp_prefix(path)}{secrets.token_hex(6)}{TMP_SUFFIX}")
    create_mode = mode if mode is not None else (path.stat().st_mode & 0o777 if path.exists() else 0o644)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, create_mode)
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def clean_stale_temps(path: Path) -> list[Path]:
    """Remove the temp files a killed writer of `path` left behind. Call only while no one writes it."""
    removed = []
    for p in path.parent.glob(f"{temp_prefix(path)}*{TMP_SUFFIX}"):
        p.unlink(missing_ok=True)
        removed.append(p)
    return removed
