"""Content hashes of directory trees: the identity of build inputs and build contexts.

A hash covers each file's path relative to the tree, its executable bit and its
bytes, in sorted path order, so it ignores mtimes, owners and walk order: the
same content always gives the same tag, on any machine.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

TAG_LENGTH = 16

# Caches and build leftovers that never reach an image but change all the time.
IGNORED_NAMES = frozenset(
    {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv", "build", "dist", ".git"}
)
IGNORED_SUFFIXES = (".pyc", ".pyo", ".egg-info")


def ignored(name: str) -> bool:
    """A cache or build leftover: never part of a source tree's identity."""
    return name in IGNORED_NAMES or name.endswith(IGNORED_SUFFIXES)


def tree_files(root: Path, *, ignore: bool = True) -> list[Path]:
    """Every regular file under `root`, as sorted relative paths (symlinks followed)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        if ignore:
            dirnames[:] = [d for d in dirnames if not ignored(d)]
        for name in filenames:
            if ignore and ignored(name):
                continue
            path = Path(dirpath, name)
            if path.is_file():
                found.append(path.relative_to(root))
    return sorted(found, key=lambda p: p.as_posix())


def _update_file(digest: "hashlib._Hash", path: Path, rel: str) -> None:
    executable = os.access(path, os.X_OK)
    digest.update(f"file {rel} {'x' if executable else '-'} {path.stat().st_size}\n".encode())
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    digest.update(b"\n")


def tree_digest(
    root: Path,
    *,
    extra: Mapping[str, str] | None = None,
    files: Iterable[Path] | None = None,
    ignore: bool = True,
) -> str:
    """SHA-256 (hex) over the files of `root` plus `extra` key/value facts (e.g. the base image id)."""
    digest = hashlib.sha256()
    for key in sorted(extra or {}):
        digest.update(f"extra {key}={(extra or {})[key]}\n".encode())
    for rel in files if files is not None else tree_files(root, ignore=ignore):
        _update_file(digest, root / rel, rel.as_posix())
    return digest.hexdigest()


def mapping_digest(facts: Mapping[str, object]) -> str:
    """SHA-256 (hex) of a flat recipe, independent of key order."""
    text = "\n".join(f"{key}={facts[key]!r}" for key in sorted(facts))
    return hashlib.sha256(text.encode()).hexdigest()


def short(digest: str) -> str:
    """The tag form of a digest: short enough to read, long enough never to collide here."""
    return digest[:TAG_LENGTH]
