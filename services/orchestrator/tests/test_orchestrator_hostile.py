"""Files that once crashed or wedged the orchestrator, and watches that did not come back.

Each hostile file, met at start or while running, must be rejected and reported
(last_error, a count, the hash when there are bytes), the last good config kept,
and the next good file applied: nothing blocks, nothing is left unanswered.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrator import config
from orchestrator.logs import ServiceLog
from orchestrator.reloader import Reloader
from orchestratorhelpers import DEFAULTS, variant, wait_until

# The poll is off (its schema maximum): only the watch can apply a change in these tests.
WATCH_ONLY = dict(poll_interval_s="3600")


def replace_with(path: Path, make: Callable[[Path], None]) -> None:
    """Make a file at a temporary name and rename it over `path`, as an atomic writer would."""
    tmp = path.with_name(".config.toml.hostile.tmp")
    make(tmp)
    os.replace(tmp, path)


def write(path: Path, data: bytes) -> str:
    def make(tmp: Path) -> None:
        tmp.write_bytes(data)
        old = time.time() - 10  # back-dated: these tests are not about the settle time of in-place writers
        os.utime(tmp, (old, old))

    replace_with(path, make)
    return config.sha256(data)


def put_directory(path: Path) -> None:
    path.unlink(missing_ok=True)  # a directory cannot be renamed over a file
    path.mkdir()


def put_big(tmp: Path) -> None:
    tmp.write_bytes(b"# padding\n" * (5 << 20))  # 50 MB


# name, how to put it at the path, what last_error mentions, whether there are bytes to hash
HOSTILE = [
    ("FIFO", lambda p: replace_with(p, os.mkfifo), "named pipe (FIFO)", False),
    ("symlink to /dev/zero", lambda p: replace_with(p, lambda t: t.symlink_to("/dev/zero")), "character device", False),
    ("directory", put_directory, "a directory", False),
    ("50 MB file", lambda p: replace_with(p, put_big), "larger than 1048576 bytes", False),
    ("arrays 500 deep", lambda p: write(p, b"[trading]\nmax_positions = " + b"[" * 500 + b"]" * 500 + b"\n"),
     "more than 32 levels deep", True),
    ("dotted key of 200000 parts", lambda p: write(p, b"a." * 200_000 + b"a = 1\n"), "more than 32 levels deep", True),
    ("array of tables for a section", lambda p: write(p, b"[[ibkr]]\nhost = 'x'\n[[trading]]\n"), "ibkr:", True),
    ("TOML 1.1", lambda p: write(p, b'[ibkr]\nhost = "\\e"\n'), "TOML 1.1", True),
    ("byte-order mark", lambda p: write(p, b"\xef\xbb\xbf" + DEFAULTS), "byte-order mark", True),
]
IDS = [h[0] for h in HOSTILE]


class Harness:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.out = io.StringIO()
        self.log = ServiceLog("orchestrator", self.out)
        self.started: list[Reloader] = []

    def reloader(self) -> Reloader:
        return Reloader(self.path, self.log, None, watch=False)

    def running(self) -> Reloader:
        r = Reloader(self.path, self.log, None, watch=True)
        r.reload("start")
        r.start()
        self.started.append(r)
        return r

    def messages(self) -> list[str]:
        return [json.loads(line)["msg"] for line in self.out.getvalue().splitlines()]

    def lines(self, msg: str) -> list[dict]:
        return [r for r in map(json.loads, self.out.getvalue().splitlines()) if r["msg"] == msg]


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    (tmp_path / "config").mkdir()
    harness = Harness(tmp_path / "config" / "config.toml")
    yield harness
    for r in harness.started:
        r.stop()


def read_within(path: Path, timeout: float = 2.0) -> bytes | BaseException:
    """config.read_file in a thread: the point of several cases is that it never blocks."""
    result: list[bytes | BaseException] = []

    def read() -> None:
        try:
            result.append(config.read_file(path))
        except BaseException as e:  # noqa: BLE001 (handed to the test)
            result.append(e)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout)
    assert result, f"read_file({path}) blocked"
    return result[0]


# --- the reader ----------------------------------------------------------------------


def test_read_file_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    for path, kind in [(fifo, "a named pipe (FIFO)"), (tmp_path, "a directory"), (Path("/dev/zero"), "a character device"),
                       (Path("/dev/null"), "a character device"), (link, "a character device")]:
        got = read_within(path)
        assert isinstance(got, config.FileRefused) and isinstance(got, OSError), got
        assert str(got) == f"not a regular file but {kind}; the config must be a regular file"


def test_read_file_caps_the_size(tmp_path: Path) -> None:
    at = tmp_path / "at.toml"
    at.write_bytes(b"#" * config.MAX_BYTES)
    assert len(read_within(at)) == config.MAX_BYTES
    over = tmp_path / "over.toml"
    over.write_bytes(b"#" * (config.MAX_BYTES + 1))
    assert "1048577 bytes, larger than 1048576 bytes" in str(read_within(over))
    huge = tmp_path / "huge.toml"
    with open(huge, "wb") as f:
        f.truncate(50 << 30)  # 50 GB that take no disk: refused from the size, not read
    assert "larger than 1048576 bytes" in str(read_within(huge))


def test_read_file_follows_a_symlink_to_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "..2024_01").mkdir()
    (tmp_path / "..2024_01" / "config.toml").write_bytes(b"x = 1\n")
    (tmp_path / "..data").symlink_to("..2024_01")
    (tmp_path / "config.toml").symlink_to("..data/config.toml")
    assert read_within(tmp_path / "config.toml") == b"x = 1\n"


# --- hostile files --------------------------------------------------------------------


@pytest.mark.parametrize("put, want, hashed", [x[1:] for x in HOSTILE], ids=IDS)
def test_hostile_file_while_running(h: Harness, put: Callable[[Path], None], want: str, hashed: bool) -> None:
    good = write(h.path, DEFAULTS)
    r = h.reloader()
    r.reload("start")
    put(h.path)
    r.reload("poll")
    r.reload("poll")  # the same refusal is reported once
    status = r.status()
    assert (status["config_sha256"], status["rejected"]) == (good, 1), status
    assert want in status["last_error"], status["last_error"]
    assert (status["last_rejected_sha256"] is not None) == hashed
    assert h.messages()[-1] == "Config reload rejected"
    # Not wedged: the next good file is applied.
    if h.path.is_dir() and not h.path.is_symlink():
        h.path.rmdir()
    new = write(h.path, variant(max_positions="6"))
    r.reload("poll")
    assert r.status()["config_sha256"] == new


@pytest.mark.parametrize("put, want, hashed", [x[1:] for x in HOSTILE], ids=IDS)
def test_hostile_file_at_start(h: Harness, put: Callable[[Path], None], want: str, hashed: bool) -> None:
    put(h.path)
    r = h.reloader()
    started = time.monotonic()
    r.reload("start")  # must return, and raise nothing
    assert time.monotonic() - started < 1.0
    status = r.status()
    assert (status["config_sha256"], status["rejected"]) == (None, 1), status
    assert want in status["last_error"], status["last_error"]
    assert (status["last_rejected_sha256"] is not None) == hashed


def test_an_error_while_judging_is_a_rejection(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever escapes the judge (a bug, a RecursionError) is reported and counted like any rejection."""
    good = write(h.path, DEFAULTS)
    r = h.reloader()
    r.reload("start")

    def broken(data: bytes) -> dict:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(config, "load", broken)
    bad = write(h.path, variant(max_positions="6"))
    r.reload("poll")
    status = r.status()
    assert (status["config_sha256"], status["rejected"], status["last_rejected_sha256"]) == (good, 1, bad)
    assert status["last_error"].startswith("internal error while checking the config: RecursionError")


# --- watches that come back -----------------------------------------------------------


def test_watch_comes_back_after_the_directory_is_removed(h: Harness) -> None:
    write(h.path, variant(**WATCH_ONLY))
    r = h.running()
    directory = h.path.parent
    shutil.rmtree(directory)
    wait_until(lambda: "missing" in (r.status()["last_error"] or ""), what="the missing file reported")
    directory.mkdir()
    new = write(h.path, variant(**WATCH_ONLY, max_positions="6"))
    took = wait_until(lambda: r.status()["config_sha256"] == new, what="the new file applied")
    assert took < 1.0, f"{took:.2f} s"
    assert h.lines("Config reloaded")[-1]["trigger"] == "watch"
    assert h.lines("Config watch restored")
    # And later edits too.
    last = write(h.path, variant(**WATCH_ONLY, max_positions="7"))
    wait_until(lambda: r.status()["config_sha256"] == last, what="a later edit applied")


def test_watch_comes_back_after_the_directory_is_replaced(h: Harness) -> None:
    write(h.path, variant(**WATCH_ONLY))
    r = h.running()
    directory = h.path.parent
    fresh = directory.with_name("config.new")
    fresh.mkdir()
    data = variant(**WATCH_ONLY, max_positions="6")
    (fresh / "config.toml").write_bytes(data)
    directory.rename(directory.with_name("config.old"))
    fresh.rename(directory)
    took = wait_until(lambda: r.status()["config_sha256"] == config.sha256(data), what="the new directory's file applied")
    assert took < 1.0, f"{took:.2f} s"


def configmap(directory: Path, stamp: str, data: bytes) -> None:
    (directory / stamp).mkdir()
    (directory / stamp / "config.toml").write_bytes(data)


def flip(directory: Path, stamp: str, old: str, data: bytes) -> None:
    """Point ..data at a new stamped directory in one rename, as the kubelet's atomic writer does."""
    configmap(directory, stamp, data)
    (directory / "..data_tmp").symlink_to(stamp)
    os.replace(directory / "..data_tmp", directory / "..data")
    shutil.rmtree(directory / old)


def test_configmap_data_flip_is_seen_by_the_watch(h: Harness) -> None:
    directory = h.path.parent
    configmap(directory, "..2024_01_01", variant(**WATCH_ONLY))
    (directory / "..data").symlink_to("..2024_01_01")
    h.path.symlink_to("..data/config.toml")
    r = h.running()
    assert r.status()["config_sha256"] == config.sha256(variant(**WATCH_ONLY))
    for n, (stamp, old) in enumerate([("..2024_01_02", "..2024_01_01"), ("..2024_01_03", "..2024_01_02")], 6):
        data = variant(**WATCH_ONLY, max_positions=str(n))
        flip(directory, stamp, old, data)
        took = wait_until(lambda: r.status()["config_sha256"] == config.sha256(data), what=f"flip to {stamp} applied")
        assert took < 1.0, f"{took:.2f} s"
    assert {line["trigger"] for line in h.lines("Config reloaded")} == {"watch"}
