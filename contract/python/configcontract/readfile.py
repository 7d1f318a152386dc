"""Reading the config file: regular files only, never more than MAX_BYTES, never blocking."""
from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_BYTES = 1 << 20
"""The size cap of a config file (1 MiB; a full config is about 5 KiB), every judge's."""

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class FileRefused(OSError):
    """The config path holds something no judge reads: not a regular file, or too large.

    `kind` is what is there ("a named pipe (FIFO)", ...) and `mode` its st_mode when it
    is no regular file; `size` the size seen when it is too large (None when it grew
    while being read).
    """

    def __init__(self, message: str, kind: str | None = None, size: int | None = None, mode: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.size = size
        self.mode = mode


def file_kind(mode: int) -> str:
    """What a file of this mode is, in words ("a directory", "a socket", ...)."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return f"a special file (mode {stat.S_IFMT(mode):o})"


def too_large(size: int | None) -> str:
    limit = f"larger than {MAX_BYTES} bytes (1 MiB), the limit for a config file"
    return limit if size is None else f"{size} bytes, {limit}"


def require_regular(info: os.stat_result) -> None:
    """Refuse what no judge reads: anything but a regular file, a file over MAX_BYTES."""
    if not stat.S_ISREG(info.st_mode):
        kind = file_kind(info.st_mode)
        raise FileRefused(f"not a regular file but {kind}; the config must be a regular file", kind=kind,
                          mode=info.st_mode)
    if info.st_size > MAX_BYTES:
        raise FileRefused(too_large(info.st_size), size=info.st_size)


def read_open(fd: int) -> bytes:
    """The bytes of the open config file `fd`, if it is a regular file within MAX_BYTES."""
    require_regular(os.fstat(fd))
    chunks, left = [], MAX_BYTES + 1  # one byte more tells a file that grew past the cap
    while left > 0:
        chunk = os.read(fd, min(left, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise FileRefused(too_large(None))
    return data


def read_file(path: Path, extra_flags: int = 0) -> bytes:
    """The bytes of the config file at `path`, if it is a regular file within MAX_BYTES.

    A FIFO would block the reader until some writer comes, forever (hence O_NONBLOCK),
    and a device such as /dev/zero never ends; a huge file meets the pod's memory
    limit. A symlink to a regular file (as a ConfigMap mounts it) is read, unless
    `extra_flags` holds O_NOFOLLOW.
    """
    fd = os.open(path, _READ_FLAGS | extra_flags)
    try:
        return read_open(fd)
    finally:
        os.close(fd)
