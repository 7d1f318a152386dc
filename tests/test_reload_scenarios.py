"""Failure scenarios of live reload, against both services running as local processes.

The numbers are those of the scenario list in the project's reload notes; scenario
9 with the lock held by the orchestrator's own main thread is an in-process test
in services/orchestrator/tests. Unless a test says otherwise the services run on
the default config with reload.poll_interval_s raised to its maximum, so a change
is applied by the trigger under test and not by a poll that happens to fall in.
Every wait polls to a deadline.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from traderadmin.atomicfile import atomic_write
from traderadmin.config import sha256

from servicehelpers import (
    SERVICES,
    ServiceProcess,
    build_scanner,
    config_bytes,
    default_config,
    start_service,
    usr1_disposition,
)

pytestmark = pytest.mark.timeout(120)

NO_POLL = 3600.0  # the schema's maximum: the poll never fires during a test


@pytest.fixture(scope="session")
def scanner_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return build_scanner(tmp_path_factory.mktemp("scanner-bin"))
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def base_doc():
    return default_config()


class Env:
    """A config directory and the service under test."""

    def __init__(self, kind: str, tmp_path: Path, base_doc, binary: Callable[[], Path]) -> None:
        self.kind = kind
        self.dir = tmp_path / "config"
        self.dir.mkdir()
        self.path = self.dir / "config.toml"
        self.run_dir = tmp_path / "run"
        self.base_doc = base_doc
        self._binary = binary
        self.services: list[ServiceProcess] = []

    def config(self, poll: float = NO_POLL, **changes) -> bytes:
        return config_bytes(self.base_doc, reload__poll_interval_s=poll, **changes)

    def write(self, data: bytes) -> str:
        atomic_write(self.path, data)
        return sha256(data)

    def start(self, data: bytes | None, *, watch: bool = True, wait: bool = True) -> ServiceProcess:
        if data is not None:
            self.write(data)
        svc = start_service(
            self.kind, self.path, self.run_dir, watch=watch,
            scanner_binary=self._binary() if self.kind == "scanner" else None,
        )
        self.services.append(svc)
        if wait:
            svc.wait_healthy()
            if data is not None:
                svc.wait_hash(sha256(data))
        return svc


@pytest.fixture(params=SERVICES)
def env(request: pytest.FixtureRequest, tmp_path: Path, base_doc) -> Iterator[Env]:
    e = Env(request.param, tmp_path, base_doc, lambda: request.getfixturevalue("scanner_binary"))
    yield e
    for svc in e.services:
        alive = svc.alive()
        svc.stop()
        # Shown by pytest only when the test failed.
        print(svc.describe())
        assert alive, f"{svc.kind} exited during the test"


def reloaded_hashes(svc: ServiceProcess) -> list[str]:
    return [r["config_sha256"] for r in svc.logged("Config reloaded")]


def assert_serving(svc: ServiceProcess, sha: str) -> None:
    assert svc.alive()
    assert svc.get("/healthz") == (200, {"ok": True})
    assert svc.get("/readyz") == (200, {"ready": True})
    assert svc.status()["config_sha256"] == sha


# --- the headline: a new hash within one second -----------------------------------------


@pytest.mark.parametrize("trigger", ["watch", "signal"])
def test_new_hash_reported_within_one_second_of_an_atomic_write(env: Env, trigger: str) -> None:
    svc = env.start(env.config(), watch=trigger == "watch")
    new = env.config(trading__max_positions=6)
    start = time.monotonic()
    sha = env.write(new)
    if trigger == "signal":
        svc.signal()
    svc.wait_hash(sha, timeout=5.0, interval=0.005)
    elapsed = time.monotonic() - start
    assert elapsed < 1.0, f"{env.kind} took {elapsed:.3f} s to report the new hash ({trigger})"
    assert svc.wait_logged("Config reloaded", config_sha256=sha)["trigger"] == trigger


# --- scenarios ---------------------------------------------------------------------------


def test_01_consecutive_atomic_edits_are_each_applied_once(env: Env) -> None:
    svc = env.start(env.config())
    written = []
    for n in range(6, 11):
        sha = env.write(env.config(trading__max_positions=n))
        svc.wait_hash(sha)
        written.append(sha)
    status = svc.status()
    assert (status["reloads"], status["rejected"]) == (5, 0)
    assert status["config"]["trading"]["max_positions"] == 10
    # No signal and no poll: only a watch that survived every rename can have applied them.
    assert reloaded_hashes(svc) == written
    assert {r["trigger"] for r in svc.logged("Config reloaded")} == {"watch"}


def _trading_last(data: bytes) -> bytes:
    """The same config with [trading] moved to the end, max_positions its last line."""
    head, *tables = re.split(r"(?m)^(?=\[)", data.decode())
    trading = next(t for t in tables if t.startswith("[trading]"))
    line = next(x for x in trading.splitlines(keepends=True) if x.startswith("max_positions = "))
    tables.remove(trading)
    return (head + "".join(tables) + "\n" + trading.rstrip("\n").replace(line, "") + "\n" + line).encode()


def test_02_in_place_rewrite_applies_no_torn_read(env: Env) -> None:
    # A generous debounce: the writer's pause below must stay inside it even on a busy machine.
    svc = env.start(env.config(reload__debounce_ms=500))
    final = _trading_last(env.config(reload__debounce_ms=500, trading__max_positions=50))
    torn = final[:-2]  # ends "max_positions = 5": a valid config the writer never meant
    start_sha = svc.status()["config_sha256"]
    with open(env.path, "r+b") as f:
        f.truncate(0)
        f.write(torn)
        f.flush()
        os.fsync(f.fileno())
        time.sleep(0.05)  # the writer stalls mid-write
        f.write(final[-2:])
        f.flush()
        os.fsync(f.fileno())
    svc.wait_hash(sha256(final))
    assert sha256(torn) not in reloaded_hashes(svc), "a torn read was applied"
    assert set(reloaded_hashes(svc)) == {sha256(final)}
    assert start_sha != sha256(final)
    assert svc.status()["config"]["trading"]["max_positions"] == 50


def test_03_invalid_toml_keeps_the_last_good_config(env: Env) -> None:
    svc = env.start(env.config())
    good = svc.status()["config_sha256"]
    bad = b"[trading\nmax_positions = 6\n"
    env.write(bad)
    svc.wait_for(lambda: svc.status()["rejected"] == 1, 5, "rejection of the invalid TOML")
    status = svc.status()
    assert "toml" in status["last_error"].lower(), status["last_error"]
    assert status["config"]["trading"]["max_positions"] == 5
    assert_serving(svc, good)
    rejected = svc.logged("Config reload rejected")
    assert len(rejected) == 1 and rejected[0]["level"] == "error"
    assert rejected[0]["config_sha256"] == sha256(bad)
    assert rejected[0]["error"] == status["last_error"]


@pytest.mark.parametrize(
    "change, key",
    [
        ({"trading__max_positions": 0}, "trading.max_positions"),
        ({"trading__max_positons": 6}, "trading.max_positons"),
        ({"ibkr__port": 7496}, "ibkr.port"),
    ],
    ids=["out-of-range", "unknown-key", "live-port-in-paper-mode"],
)
def test_04_schema_violation_is_rejected_naming_the_key(env: Env, change: dict, key: str) -> None:
    svc = env.start(env.config())
    good = svc.status()["config_sha256"]
    bad = env.write(env.config(**change))
    svc.wait_for(lambda: svc.status()["rejected"] == 1, 5, "the rejection")
    assert svc.status()["last_error"].startswith(f"{key}: "), svc.status()["last_error"]
    assert svc.status()["last_rejected_sha256"] == bad
    assert_serving(svc, good)
    assert svc.status()["config"]["trading"]["max_positions"] == 5
    assert svc.logged("Config reload rejected")[0]["error"] == svc.status()["last_error"]


def test_05_good_config_right_after_a_bad_one_is_applied(env: Env) -> None:
    svc = env.start(env.config())
    bad_written = time.monotonic()
    env.write(env.config(trading__max_positions=0))
    svc.wait_for(lambda: svc.status()["rejected"] == 1, 1, "the rejection")
    good = env.write(env.config(trading__max_positions=7))
    assert time.monotonic() - bad_written < 1.0
    svc.wait_hash(good, timeout=1.0, interval=0.005)
    status = svc.status()
    assert (status["reloads"], status["rejected"], status["last_error"]) == (1, 1, None)


def test_06_deleted_then_recreated(env: Env) -> None:
    svc = env.start(env.config())
    good = svc.status()["config_sha256"]
    env.path.unlink()
    svc.wait_for(lambda: "missing" in (svc.status()["last_error"] or ""), 5, "the missing file reported")
    assert_serving(svc, good)
    rejected = svc.logged("Config reload rejected")
    assert len(rejected) == 1 and rejected[0]["config_sha256"] is None
    new = env.config(trading__max_positions=8)
    env.path.write_bytes(new)
    svc.wait_hash(sha256(new))
    assert svc.status()["last_error"] is None


def test_07_ten_writes_within_200_ms_give_few_reloads_and_the_last_wins(env: Env) -> None:
    svc = env.start(env.config())
    contents = [env.config(trading__max_positions=n) for n in range(11, 21)]
    start = time.monotonic()
    for i, data in enumerate(contents):
        env.write(data)
        time.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))
    writing = time.monotonic() - start
    svc.wait_hash(sha256(contents[-1]))
    applied = reloaded_hashes(svc)
    assert set(applied) <= {sha256(d) for d in contents}
    assert applied[-1] == sha256(contents[-1])
    assert len(applied) <= 3, f"{len(applied)} reloads for 10 writes in {writing * 1000:.0f} ms"
    assert svc.status()["config"]["trading"]["max_positions"] == 20


def test_08_burst_of_sigusr1(env: Env) -> None:
    svc = env.start(env.config(), watch=False)
    first = env.write(env.config(trading__max_positions=6))
    for _ in range(200):
        svc.signal()
    svc.wait_hash(first)
    assert svc.get("/healthz") == (200, {"ok": True})
    # Still reloading after the burst: the worker is not stuck.
    second = env.write(env.config(trading__max_positions=7))
    svc.signal()
    svc.wait_hash(second)
    status = svc.status()
    assert (status["reloads"], status["rejected"]) == (2, 0)
    assert reloaded_hashes(svc) == [first, second]


def test_09_sigusr1_while_readers_hold_the_config_lock(env: Env) -> None:
    svc = env.start(env.config(), watch=False)
    stop = threading.Event()

    def read_status() -> None:
        while not stop.is_set():
            svc.status()

    readers = [threading.Thread(target=read_status) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        for n in (6, 7, 8):
            sha = env.write(env.config(trading__max_positions=n))
            for _ in range(20):
                svc.signal()
            svc.wait_hash(sha)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert svc.status()["reloads"] == 3


def test_10_sigusr1_during_start_up(env: Env) -> None:
    """A SIGUSR1 from the moment the process can act on signals until it serves.

    Before its first instruction no program can protect itself (the shell of the
    orchestrator's launcher before its `trap`, the Go runtime before it installs
    its handlers), so signals start once SIGUSR1 is no longer at its default.
    """
    env.write(env.config())
    svc = env.start(None, watch=False, wait=False)
    sent = {"default": 0, "ignored": 0, "caught": 0}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and svc.alive():
        try:
            disposition = usr1_disposition(svc.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        if disposition != "default":
            svc.signal()
            sent[disposition] += 1
        try:
            if svc.get("/healthz", timeout=0.2)[0] == 200:
                break
        except OSError:
            pass
    assert svc.alive(), f"{env.kind} died from a SIGUSR1 during start-up (sent {sent})\n{svc.describe()}"
    assert sum(sent.values()) > 0, "no signal was sent before the service answered"
    if env.kind == "orchestrator":
        assert sent["ignored"] > 0, f"no signal fell between the launcher's trap and Python's handler: {sent}"
    svc.wait_hash(sha256(env.config()))
    # The handler works once installed.
    new = env.write(env.config(trading__max_positions=6))
    svc.signal()
    svc.wait_hash(new)


def test_11_periodic_hash_check_catches_a_change_without_events(env: Env) -> None:
    svc = env.start(env.config(poll=0.5), watch=False)
    new = env.write(env.config(poll=0.5, trading__max_positions=6))
    svc.wait_hash(new, timeout=5)
    assert svc.wait_logged("Config reloaded", config_sha256=new)["trigger"] == "poll"


def test_12_stray_temp_files_and_a_killed_writer_leave_the_config_untouched(env: Env) -> None:
    svc = env.start(env.config())
    original = env.path.read_bytes()
    stray = env.config(trading__max_positions=9)
    for name in (".config.toml.1a2b3c.tmp", "config.toml.tmp", "config.toml~", ".config.toml.swp"):
        (env.dir / name).write_bytes(stray)
    (env.dir / ".config.toml.broken.tmp").write_bytes(b"[trading\n")
    # A writer killed between its temp write and the rename.
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import os, sys, time\n"
         "p = sys.argv[1]\n"
         "with open(p, 'wb') as f:\n"
         "    f.write(sys.stdin.buffer.read()); f.flush(); os.fsync(f.fileno())\n"
         "print('written', flush=True)\n"
         "time.sleep(60)\n"
         "os.replace(p, sys.argv[2])\n",
         str(env.dir / ".config.toml.killed.tmp"), str(env.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    writer.stdin.write(env.config(trading__max_positions=12)[:-40])
    writer.stdin.close()
    assert writer.stdout.readline() == b"written\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert env.path.read_bytes() == original
    # A real change afterwards is the barrier: the events above were seen before it.
    barrier = env.write(env.config(trading__max_positions=7))
    svc.wait_hash(barrier)
    status = svc.status()
    assert (status["reloads"], status["rejected"], status["last_error"]) == (1, 0, None)
    assert reloaded_hashes(svc) == [barrier]


def test_14_watch_event_and_sigusr1_together_give_one_reload(env: Env) -> None:
    svc = env.start(env.config())
    first = env.write(env.config(trading__max_positions=6))
    svc.signal()
    svc.wait_hash(first)
    # Unchanged bytes: a new mtime (a watch event) and a signal must do nothing.
    os.utime(env.path)
    svc.signal()
    barrier = env.write(env.config(trading__max_positions=7))
    svc.wait_hash(barrier)
    status = svc.status()
    assert (status["reloads"], status["rejected"]) == (2, 0)
    assert reloaded_hashes(svc) == [first, barrier]


# --- no file can crash, wedge or split the services ----------------------------------------
#
# Each hostile file is put in place the way an atomic writer would (made at a temporary
# name, renamed over the config): a rename replaces a symlink itself, where atomic_write
# would write through it (into /dev/zero, say).


def _replace(path: Path, make: Callable[[Path], None]) -> None:
    tmp = path.with_name(".config.toml.scenario.tmp")
    make(tmp)
    os.replace(tmp, path)


def _put_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: _replace(path, lambda tmp: tmp.write_bytes(data))


def _put_directory(path: Path) -> None:
    path.unlink(missing_ok=True)  # a directory cannot be renamed over a file
    path.mkdir()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)


_HUGE = b"# padding\n" * (5 << 20)  # 50 MB, as the tester's
_DEEP = b"[trading]\nmax_positions = " + b"[" * 500 + b"]" * 500 + b"\n"

# name, how to put it at the config path, what last_error says, the bytes judged (None: none)
HOSTILE = [
    ("fifo", lambda p: _replace(p, os.mkfifo), "named pipe (FIFO)", None),
    ("dev-zero", lambda p: _replace(p, lambda t: t.symlink_to("/dev/zero")), "character device", None),
    ("directory", _put_directory, "a directory", None),
    ("50-mb", _put_bytes(_HUGE), "larger than 1048576 bytes", None),
    ("deep-array", _put_bytes(_DEEP), "more than 32 levels deep", _DEEP),
    ("long-dotted-key", _put_bytes(b"a." * 200_000 + b"a = 1\n"), "more than 32 levels deep", b"a." * 200_000 + b"a = 1\n"),
    ("array-of-tables", _put_bytes(b"[[ibkr]]\nhost = 'x'\n"), "ibkr", b"[[ibkr]]\nhost = 'x'\n"),
    ("toml-1.1", _put_bytes(b'[ibkr]\nhost = "\\e"\n'), "TOML 1.1", b'[ibkr]\nhost = "\\e"\n'),
]
HOSTILE_IDS = [h[0] for h in HOSTILE]


def _healthz_time(svc: ServiceProcess) -> float:
    start = time.monotonic()
    assert svc.get("/healthz", timeout=1.0) == (200, {"ok": True})
    return time.monotonic() - start


def _peak_rss_mib(svc: ServiceProcess) -> float:
    for line in Path(f"/proc/{svc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


@pytest.mark.parametrize("put, error, judged", [h[1:] for h in HOSTILE], ids=HOSTILE_IDS)
def test_hostile_file_while_running_is_rejected_and_reported(env: Env, put, error: str, judged: bytes | None) -> None:
    svc = env.start(env.config())
    good = svc.status()["config_sha256"]
    put(env.path)
    svc.wait_for(lambda: svc.status()["rejected"] == 1, 5, "the rejection")
    assert _healthz_time(svc) < 1.0
    status = svc.status()
    assert error in status["last_error"], status["last_error"]
    assert status["last_rejected_sha256"] == (sha256(judged) if judged is not None else None)
    assert_serving(svc, good)
    rejected = svc.logged("Config reload rejected")
    assert len(rejected) == 1 and rejected[0]["error"] == status["last_error"]
    # Not wedged: the next good file is applied by the watch (the poll is off).
    _remove(env.path)
    new = config_bytes(env.base_doc, reload__poll_interval_s=NO_POLL, trading__max_positions=6)
    _put_bytes(new)(env.path)
    svc.wait_hash(sha256(new))


@pytest.mark.parametrize("put, error, judged", [h[1:] for h in HOSTILE], ids=HOSTILE_IDS)
def test_hostile_file_at_start_is_reported_while_serving(env: Env, put, error: str, judged: bytes | None) -> None:
    put(env.path)
    svc = env.start(None)
    assert _healthz_time(svc) < 1.0
    svc.wait_for(lambda: svc.status()["rejected"] == 1, 5, "the rejection")
    status = svc.status()
    assert status["config_sha256"] is None and error in status["last_error"], status
    assert status["last_rejected_sha256"] == (sha256(judged) if judged is not None else None)
    code, body = svc.get("/readyz")
    assert code == 503 and error in body["error"], body
    _remove(env.path)
    good = env.config()
    _put_bytes(good)(env.path)
    svc.wait_hash(sha256(good))
    assert svc.get("/readyz") == (200, {"ready": True})


def test_a_50_mb_file_is_not_read_into_memory(env: Env) -> None:
    svc = env.start(env.config())
    before = _peak_rss_mib(svc)
    _put_bytes(_HUGE)(env.path)
    svc.wait_for(lambda: svc.status()["rejected"] == 1, 5, "the rejection")
    grown = _peak_rss_mib(svc) - before
    print(f"{env.kind}: peak RSS {before:.1f} MiB before, grew {grown:.1f} MiB for a 50 MB file")
    assert grown < 16, f"{env.kind}'s peak RSS grew {grown:.1f} MiB for a 50 MB config"


def test_watch_comes_back_when_the_directory_is_removed_and_recreated(env: Env) -> None:
    svc = env.start(env.config())
    good = svc.status()["config_sha256"]
    shutil.rmtree(env.dir)
    svc.wait_for(lambda: "missing" in (svc.status()["last_error"] or ""), 5, "the missing file reported")
    assert_serving(svc, good)
    env.dir.mkdir()
    new = env.config(trading__max_positions=6)
    start = time.monotonic()
    _put_bytes(new)(env.path)
    svc.wait_hash(sha256(new), timeout=5.0, interval=0.005)
    took = time.monotonic() - start
    assert took < 1.0, f"{env.kind} took {took:.2f} s after the directory came back (the poll is off)"
    assert svc.wait_logged("Config reloaded", config_sha256=sha256(new))["trigger"] == "watch"
    later = env.config(trading__max_positions=7)
    _put_bytes(later)(env.path)
    svc.wait_hash(sha256(later))


def _stamped(directory: Path, stamp: str, data: bytes) -> None:
    (directory / stamp).mkdir()
    (directory / stamp / "config.toml").write_bytes(data)


def test_configmap_data_flip_is_applied_by_the_watch(env: Env) -> None:
    """config.toml -> ..data/config.toml, ..data -> ..<stamp>; an update swaps ..data in one rename."""
    first = env.config()
    _stamped(env.dir, "..2024_01_01", first)
    (env.dir / "..data").symlink_to("..2024_01_01")
    env.path.symlink_to("..data/config.toml")
    svc = env.start(None)
    svc.wait_hash(sha256(first))
    old = "..2024_01_01"
    for n, stamp in enumerate(["..2024_01_02", "..2024_01_03"], 6):
        data = env.config(trading__max_positions=n)
        _stamped(env.dir, stamp, data)
        start = time.monotonic()
        (env.dir / "..data_tmp").symlink_to(stamp)
        os.replace(env.dir / "..data_tmp", env.dir / "..data")
        shutil.rmtree(env.dir / old)
        old = stamp
        svc.wait_hash(sha256(data), timeout=5.0, interval=0.005)
        took = time.monotonic() - start
        assert took < 1.0, f"{env.kind} took {took:.2f} s to apply the flip to {stamp} (the poll is off)"
    assert {r["trigger"] for r in svc.logged("Config reloaded")} == {"watch"}
