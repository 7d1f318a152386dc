"""Replace a file so that a reader sees the old bytes or the new, never a mix, even after a crash.

The new bytes go to a temp file in the target's folder (same file system, so the
rename is atomic), are written and fsynced, and replace the old file by rename;
then the folder is fsynced so the rename itself survives a crash.

A symbolic link is written through: the file it points to gets the new bytes and
the link stays a link (renaming onto the link would turn it into a regular file
and leave its target behind).

Temp files are named `.<target name>.<hex>.tmp`: the services ignore them (they
react only to the config's own name), and `temp_target` tells which file a
leftover of a killed writer was meant for, so that only that file's writer,
holding its lock, removes it.
"""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

TMP_SUFFIX = ".tmp"
_TEMP = re.compile(r"\.(?P<target>.+)\.[^.]+" + re.escape(TMP_SUFFIX))


def temp_prefix(path: Path) -> str:
    return f".{path.name}."


def temp_target(name: str) -> str | None:
    """The name of the file a temp file called `name` was to replace; None for any other name."""
    m = _TEMP.fullmatch(name)
    return m["target"] if m else None


def real_path(path: Path) -> Path:
    """The file a write of `path` changes: the end of its chain of links, or `path` itself."""
    return Path(os.path.realpath(path))


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a folder for fsync; NTFS journals the rename.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Staged:
    """New bytes on disk beside their target, fsynced, not yet in its place."""

    temp: Path
    target: Path

    def commit(self) -> None:
        os.replace(self.temp, self.target)
        fsync_dir(self.target.parent)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _create_mode(target: Path, mode: int | None) -> int:
    if mode is not None:
        return mode
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o644


def stage(path: Path, data: bytes, mode: int | None = None) -> Staged:
    """Write `data` to a temp file beside the file `path` names (through links) and fsync it.

    Without `mode` the file keeps its permissions (0o644 under the umask when new);
    with it the file gets exactly `mode` before it appears under its name, so
    credentials are never readable by others, not even for a moment. On any error
    the temp file is gone again.
    """
    target = real_path(path)
    temp = target.with_name(f"{temp_prefix(target)}{secrets.token_hex(6)}{TMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), _create_mode(target, mode))
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return Staged(temp, target)


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace the file `path` names (through links) with `data`; see `stage` for `mode`."""
    staged = stage(path, data, mode)
    try:
        staged.commit()
    except BaseException:
        staged.discard()
        raise


def remove_stale_temps(folder: Path, owned: Callable[[str], bool]) -> list[Path]:
    """Remove the temp files in `folder` left for a target name that `owned` accepts.

    Call only while holding the lock of every writer of those targets: a live
    writer's temp file looks just like a dead one's.
    """
    removed = [p for p in folder.iterdir() if (target := temp_target(p.name)) is not None and owned(target)]
    for p in removed:
        p.unlink(missing_ok=True)
    return removed


def clean_stale_temps(path: Path) -> list[Path]:
    """Remove the temp files a killed writer of `path` left behind. Call only while no one writes it."""
    target = real_path(path)
    return remove_stale_temps(target.parent, lambda name: name == target.name)
