"""configcontract.live: the reloader any Python service runs on, with a toy judge (files starting "ok" are good)."""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from configcontract import Issue, Refused, sha256
from configcontract.live import Reloader, Timing
from configcontract.testing import started

FAST = Timing(debounce_s=0.02, poll_interval_s=3600)  # the poll never fires: a watch test proves the watch


def toy_judge(data: bytes) -> str:
    text = data.decode()
    if text.startswith("boom"):
        raise RecursionError("judge blew up")
    if not text.startswith("ok"):
        raise Refused([Issue(None, f"not ok: {text}")])
    return text


class Lines:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def info(self, msg: str, **fields: Any) -> None:
        self.lines.append((msg, fields))

    error = info


def write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def make(path: Path, watch: bool = False, applied: list[str] | None = None) -> Reloader:
    return Reloader(path, judge=toy_judge, timing=lambda config: FAST, log=Lines(), watch=watch,
                    on_applied=(applied.append if applied is not None else lambda c: None))


STEPS = [  # (what is written, "" removes the file; what runs after; reloads; rejected; last error contains)
    ("ok 1", "ok 1", 0, 0, None),
    ("bad", "ok 1", 0, 1, "not ok: bad"),
    ("bad", "ok 1", 0, 1, "not ok: bad"),  # the same refused bytes are not judged again
    ("ok 1", "ok 1", 0, 1, None),  # back to the running bytes: the error no longer describes the file
    ("boom", "ok 1", 0, 2, "internal error while checking the config: RecursionError"),
    ("", "ok 1", 0, 3, "config file missing"),
    ("ok 2", "ok 2", 1, 3, None),
]


def test_reload_steps(tmp_path: Path) -> None:
    path, applied = tmp_path / "config.toml", []
    r = make(path, applied=applied)
    for text, running, reloads, rejected, error in STEPS:
        if text:
            write(path, text)
        else:
            path.unlink()
        r.reload("signal")
        s = r.status()
        assert (s["config"], s["reloads"], s["rejected"]) == (running, reloads, rejected), (text, s)
        assert (error is None and s["last_error"] is None) or (error and error in s["last_error"]), (text, s)
    assert applied == ["ok 1", "ok 2"]


def test_status_fields(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    write(path, "nope")
    r = make(path)
    r.reload("start")
    s = r.status()
    assert (s["config_sha256"], s["last_rejected_sha256"]) == (None, sha256(b"nope"))
    write(path, "ok")
    r.reload("signal")
    s = r.status()
    assert set(s) == {"config_path", "config_sha256", "loaded_at", "reloads", "rejected", "last_error",
                      "last_rejected_sha256", "config"}
    assert s["config_sha256"] == sha256(b"ok") and s["loaded_at"].endswith("Z") and s["last_rejected_sha256"] is None


def wait_running(r: Reloader, want: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if r.applied is not None and r.applied.config == want:
            return
        time.sleep(0.01)
    pytest.fail(f"still running {r.applied}, want {want!r}")


@pytest.fixture
def running() -> Iterator[Callable[[Path], Reloader]]:
    with started(lambda path: make(path, watch=True)) as start:
        yield start


def test_watch_comes_back_with_the_directory(tmp_path: Path, running) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    path = folder / "config.toml"
    write(path, "ok 1")
    r = running(path)
    wait_running(r, "ok 1")
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    time.sleep(0.2)
    folder.mkdir()
    write(path, "ok 2")
    wait_running(r, "ok 2")
    write(path, "ok 3")  # the restored watch, not a one-off look
    wait_running(r, "ok 3")


def test_watch_follows_a_data_symlink_flip(tmp_path: Path, running) -> None:
    def flip(name: str, text: str) -> None:
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.toml").write_text(text)
        os.symlink(name, tmp_path / "..data_tmp")
        os.replace(tmp_path / "..data_tmp", tmp_path / "..data")

    flip("..v1", "ok 1")
    path = tmp_path / "config.toml"
    os.symlink("..data/config.toml", path)
    r = running(path)
    wait_running(r, "ok 1")
    flip("..v2", "ok 2")
    wait_running(r, "ok 2")


@pytest.mark.parametrize("text, record, taken", [
    ("ok 1", None, False),             # no record
    ("ok 1", "ok 1", True),            # a record of these very bytes
    ("ok 2", "ok 1", False),           # a stale record
    ("ok 3 half", "ok 3 whole", False),  # a torn read cannot match the whole file's record
])
def test_reload_vouched(tmp_path: Path, text: str, record: str | None, taken: bool) -> None:
    from configcontract.live import vouch_path

    path = tmp_path / "config.toml"
    write(path, text)
    if record is not None:
        vouch_path(path).write_text(sha256(record.encode()) + "\n")
    r = make(path)
    assert r._reload_vouched("watch") is taken
    assert (r.applied.config if r.applied else None) == (text if taken else None)


def test_a_vouched_write_beats_the_debounce(tmp_path: Path) -> None:
    from configcontract.live import vouch_path

    path = tmp_path / "config.toml"
    write(path, "ok 1")
    r = Reloader(path, judge=toy_judge, timing=lambda config: Timing(3.0, 3600), log=Lines(), watch=True)
    r.reload("start")
    r.start()
    try:
        time.sleep(0.2)  # the watch is up
        vouch_path(path).write_text(sha256(b"ok 2"))
        started = time.monotonic()
        write(path, "ok 2")
        wait_running(r, "ok 2")
        assert time.monotonic() - started < 1.5, "a vouched write waited out the 3 s debounce"
    finally:
        r.stop()
