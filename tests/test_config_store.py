"""Saving: atomic, backed up, bounded history; a failed backup or a killed writer loses nothing."""
import os
import stat
from pathlib import Path

import pytest

from traderadmin.config import BackupError, atomic_write, list_backups, sha256
from traderadmin.atomicfile import temp_prefix
from traderadmin.config import store


def test_atomic_write_replaces_content_and_keeps_mode(tmp_path):
    p = tmp_path / "config.toml"
    p.write_bytes(b"old")
    p.chmod(0o640)
    atomic_write(p, b"new")
    assert p.read_bytes() == b"new"
    assert stat.S_IMODE(p.stat().st_mode) == 0o640
    assert [x.name for x in tmp_path.iterdir()] == ["config.toml"], "no temp file may remain"


def test_atomic_write_failure_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "config.toml"
    p.write_bytes(b"old")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(p, b"new")
    assert p.read_bytes() == b"old"
    assert [x.name for x in tmp_path.iterdir()] == ["config.toml"]


def test_save_backs_up_previous_bytes_exactly(tmp_path):
    p = tmp_path / "config.toml"
    first = b"# comment\na = 1\n"
    store.save(p, first)
    result = store.save(p, b"a = 2\n")
    assert result.changed and result.old_sha256 == sha256(first)
    assert (tmp_path / "config.toml.bak").read_bytes() == first
    assert result.backup.read_bytes() == first


def test_save_of_identical_bytes_writes_nothing(tmp_path):
    p = tmp_path / "config.toml"
    store.save(p, b"a = 1\n")
    before = p.stat().st_mtime_ns
    result = store.save(p, b"a = 1\n")
    assert not result.changed and result.backup is None
    assert p.stat().st_mtime_ns == before
    assert list_backups(p) == []


def test_history_is_bounded(tmp_path):
    p = tmp_path / "config.toml"
    for i in range(8):
        store.save(p, f"a = {i}\n".encode(), keep=3)
    entries = list_backups(p)
    assert len(entries) == 3
    assert entries[0].read_bytes() == b"a = 6\n", "newest first"


def test_failed_backup_aborts_the_update(tmp_path, monkeypatch):
    """Failure scenario 13: the backup cannot be written -> the file is untouched."""
    p = tmp_path / "config.toml"
    p.write_bytes(b"a = 1\n")
    real = store.atomic_write

    def refuse_backup(path: Path, data: bytes):
        if path.name.endswith(".bak"):
            raise PermissionError(13, "Permission denied")
        real(path, data)

    monkeypatch.setattr(store, "atomic_write", refuse_backup)
    with pytest.raises(BackupError, match="aborted"):
        store.save(p, b"a = 2\n")
    assert p.read_bytes() == b"a = 1\n"


def test_stale_temp_of_a_killed_writer_is_cleaned(tmp_path):
    """Failure scenario 12 (toolkit side): a writer died between temp write and rename."""
    p = tmp_path / "config.toml"
    p.write_bytes(b"a = 1\n")
    stale = tmp_path / f"{temp_prefix(p)}deadbeef.tmp"
    stale.write_bytes(b"a = 99 half-writ")
    assert p.read_bytes() == b"a = 1\n"
    store.save(p, b"a = 2\n")
    assert not stale.exists()
    assert p.read_bytes() == b"a = 2\n"
