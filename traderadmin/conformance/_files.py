"""The configs a check writes, and how it puts them at the config path.

Good configs are the schema's defaults (what `invoke config.init` writes) with a
few keys changed. The periodic hash check is pushed to its maximum, so a change
is applied by the watch (or the signal) under test, not by a poll that happens to
fall in. Hostile files are those of config/CONTRACT.md; each is made at a temp
name and renamed over the config, as an atomic writer would.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

NO_POLL = 3600.0  # the schema's maximum of reload.poll_interval_s


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Configs:
    """Valid configs of one schema, as bytes."""

    def __init__(self, schema_path: Path) -> None:
        from traderadmin.config import load_schema, render_defaults

        self._text = render_defaults(load_schema(schema_path))

    def make(self, **changes: Any) -> bytes:
        """The defaults with `changes` (dotted keys written with `__`) and the poll off."""
        doc = tomlkit.parse(self._text)
        changes = {"reload__poll_interval_s": NO_POLL, **changes}
        for dunder, value in changes.items():
            *tables, key = dunder.split("__")
            node: Any = doc
            for t in tables:
                node = node[t]
            node[key] = value
        return tomlkit.dumps(doc).encode()


def replace(path: Path, make: Callable[[Path], None]) -> None:
    """Make something at a temp name beside `path`, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.conformance.tmp")
    if tmp.is_symlink() or tmp.exists():
        remove(tmp)
    make(tmp)
    os.replace(tmp, path)


def put_bytes(path: Path, data: bytes) -> None:
    """An atomic write: temp file, fsync, rename."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    replace(path, write)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)


def _put_directory(path: Path) -> None:
    remove(path)  # a directory cannot be renamed over a file
    path.mkdir()


@dataclass(frozen=True)
class Hostile:
    """A file the contract refuses: how to put it in place, and the bytes judged (None: none)."""

    name: str
    description: str
    put: Callable[[Path], None]
    judged: bytes | None


_HUGE = b"# padding\n" * (5 << 20)  # 50 MB
_DEEP = b"[trading]\nmax_positions = " + b"[" * 500 + b"]" * 500 + b"\n"
_DOTTED = b"a." * 200_000 + b"a = 1\n"
_TOML11 = b'[ibkr]\nhost = "\\e"\n'
_NOT_UTF8 = b'[ibkr]\nhost = "\xff\xfe"\n'


def hostile_files(good: bytes) -> list[Hostile]:
    bom = b"\xef\xbb\xbf" + good

    def data(b: bytes) -> Callable[[Path], None]:
        return lambda p: put_bytes(p, b)

    return [
        Hostile("fifo", "a named pipe (FIFO) renamed over the config", lambda p: replace(p, os.mkfifo), None),
        Hostile("dev-zero", "a symlink to /dev/zero (an endless character device)",
                lambda p: replace(p, lambda t: t.symlink_to("/dev/zero")), None),
        Hostile("directory", "a directory at the config path", _put_directory, None),
        Hostile("huge", "a 50 MB file (the cap is 1 MiB)", data(_HUGE), None),
        Hostile("deep", "an array nested 500 deep (the cap is 32)", data(_DEEP), _DEEP),
        Hostile("dotted-key", "a dotted key 200 000 parts long", data(_DOTTED), _DOTTED),
        Hostile("bom", "a valid config behind a UTF-8 byte-order mark", data(bom), bom),
        Hostile("not-utf8", "bytes that are not UTF-8", data(_NOT_UTF8), _NOT_UTF8),
        Hostile("toml-1.1", "TOML 1.1 syntax (the \\e escape)", data(_TOML11), _TOML11),
    ]
