"""The reloader in-process: reload decisions, triggers, and the signal/lock interplay."""
from __future__ import annotations

import io
import json
import re
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from configcontract.testing import started

from orchestrator import config
from orchestrator.logs import ServiceLog
from orchestrator.reloader import Reloader
from orchestrator.signals import ReloadSignal
from orchestratorhelpers import DEFAULTS, variant, wait_until


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "config.toml"
        self.out = io.StringIO()
        self.log = ServiceLog("orchestrator", self.out)
        self.signal: ReloadSignal | None = None

    def reloader(self, watch: bool = False) -> Reloader:
        return Reloader(self.path, self.log, self.signal, watch=watch)

    def write(self, data: bytes) -> str:
        tmp = self.path.with_name(".config.toml.test.tmp")
        tmp.write_bytes(data)
        # Back-date the write: these tests are not about the settle time of in-place writers.
        old = time.time() - 10
        os.utime(tmp, (old, old))
        os.replace(tmp, self.path)
        return config.sha256(data)

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.out.getvalue().splitlines()]

    def messages(self) -> list[str]:
        return [line["msg"] for line in self.lines()]


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


@pytest.fixture
def sigusr1(h: Harness) -> Iterator[None]:
    """The real SIGUSR1 set-up in this process, undone afterwards."""
    previous = signal.getsignal(signal.SIGUSR1)
    h.signal = ReloadSignal()
    yield
    h.signal.close()
    signal.signal(signal.SIGUSR1, previous)


def send_sigusr1() -> None:
    os.kill(os.getpid(), signal.SIGUSR1)


@pytest.fixture
def running(h: Harness) -> Iterator[Callable[..., Reloader]]:
    with started(h.reloader) as start:
        yield start


def test_start_applies_a_valid_config(h: Harness) -> None:
    sha = h.write(DEFAULTS)
    r = h.reloader()
    r.reload("start")
    status = r.status()
    assert status["config_sha256"] == sha
    assert status["reloads"] == 0 and status["rejected"] == 0 and status["last_error"] is None
    assert status["config"]["trading"]["max_positions"] == 5
    assert status["loaded_at"].endswith("Z")
    assert h.lines()[-1] | {"time": None} == {
        "time": None, "level": "info", "service": "orchestrator", "msg": "Config loaded",
        "config_sha256": sha, "trigger": "start",
    }


def test_missing_at_start_then_the_first_valid_file_is_loaded(h: Harness) -> None:
    r = h.reloader()
    r.reload("start")
    assert r.status()["config_sha256"] is None
    assert "config file missing" in r.status()["last_error"]
    r.reload("poll")
    assert h.messages() == ["Config reload rejected"], "a missing file must be reported once"
    sha = h.write(DEFAULTS)
    r.reload("poll")
    status = r.status()
    assert (status["config_sha256"], status["reloads"], status["rejected"], status["last_error"]) == (sha, 0, 1, None)
    assert h.messages()[-1] == "Config loaded"


def test_unchanged_bytes_do_nothing(h: Harness) -> None:
    h.write(DEFAULTS)
    r = h.reloader()
    r.reload("start")
    before = (r.status(), len(h.lines()))
    h.write(DEFAULTS)  # a new inode and mtime, the same bytes
    r.reload("signal")
    r.reload("watch")
    assert (r.status(), len(h.lines())) == before


def test_bad_config_keeps_the_last_good_one_and_says_why(h: Harness) -> None:
    good = h.write(DEFAULTS)
    r = h.reloader()
    r.reload("start")
    bad = h.write(variant(max_positions="0"))
    r.reload("watch")
    status = r.status()
    assert status["config_sha256"] == good
    assert status["config"]["trading"]["max_positions"] == 5
    assert status["rejected"] == 1
    assert status["last_error"] == "trading.max_positions: 0 is less than the minimum of 1"
    rejected = h.lines()[-1]
    assert (rejected["msg"], rejected["level"], rejected["config_sha256"]) == ("Config reload rejected", "error", bad)
    assert rejected["error"] == status["last_error"]
    assert status["last_rejected_sha256"] == bad


def test_the_same_rejected_bytes_are_not_judged_again_but_a_good_file_is(h: Harness) -> None:
    h.write(DEFAULTS)
    r = h.reloader()
    r.reload("start")
    h.write(b"[trading\n")
    r.reload("watch")
    r.reload("poll")
    r.reload("signal")
    assert r.status()["rejected"] == 1
    assert h.messages().count("Config reload rejected") == 1
    good = h.write(variant(max_positions="6"))
    r.reload("poll")
    status = r.status()
    assert (status["config_sha256"], status["reloads"], status["last_error"]) == (good, 1, None)
    assert status["last_rejected_sha256"] is None


def test_once_rejected_bytes_are_judged_again_after_a_good_file(h: Harness) -> None:
    h.write(DEFAULTS)
    r = h.reloader()
    r.reload("start")
    bad = variant(max_positions="0")
    h.write(bad)
    r.reload("watch")
    h.write(variant(max_positions="6"))
    r.reload("watch")
    h.write(bad)
    r.reload("watch")
    status = r.status()
    assert status["rejected"] == 2, "a bad file written again after a good one must be reported again"
    assert status["last_error"].startswith("trading.max_positions:")


def test_returning_to_the_running_bytes_clears_the_error_without_a_reload(h: Harness) -> None:
    good = h.write(DEFAULTS)
    r = h.reloader()
    r.reload("start")
    bad = variant(max_positions="0")
    h.write(bad)
    r.reload("watch")
    h.write(DEFAULTS)
    r.reload("watch")
    status = r.status()
    assert (status["config_sha256"], status["reloads"], status["rejected"], status["last_error"]) == (good, 0, 1, None)
    h.write(bad)
    r.reload("watch")
    assert r.status()["rejected"] == 2


def test_a_deleted_file_keeps_the_last_good_config_until_it_reappears(h: Harness) -> None:
    good = h.write(DEFAULTS)
    r = h.reloader()
    r.reload("start")
    h.path.unlink()
    r.reload("watch")
    r.reload("poll")
    status = r.status()
    assert status["config_sha256"] == good and status["rejected"] == 1
    assert status["last_error"] == f"config file missing: {h.path}"
    new = h.write(variant(max_positions="7"))
    r.reload("watch")
    assert r.status()["config_sha256"] == new and r.status()["last_error"] is None


def test_the_configs_log_level_applies_after_load(h: Harness) -> None:
    h.write(variant(level='"ERROR"'))
    r = h.reloader()
    r.reload("start")
    assert h.messages() == ["Config loaded"]
    h.write(variant(level='"ERROR"', max_positions="6"))
    r.reload("poll")
    assert h.messages() == ["Config loaded"], "info lines are below the configured ERROR level"
    h.write(variant(level='"ERROR"', max_positions="0"))
    r.reload("poll")
    assert h.messages() == ["Config loaded", "Config reload rejected"]


def trading_last(data: bytes) -> bytes:
    """The same config with [trading] moved to the end and max_positions as the file's last line."""
    text = data.decode()
    head, *tables = re.split(r"(?m)^(?=\[)", text)
    trading = next(t for t in tables if t.startswith("[trading]"))
    line = next(l for l in trading.splitlines(keepends=True) if l.startswith("max_positions = "))
    tables.remove(trading)
    return (head + "".join(tables) + "\n" + trading.rstrip("\n").replace(line, "") + "\n" + line).encode()


def test_a_file_still_being_written_is_read_once_it_is_quiet(h: Harness) -> None:
    h.write(DEFAULTS)
    r = h.reloader()
    r.reload("start")
    final = trading_last(variant(max_positions="50"))
    torn = final[:-2]  # "max_positions = 5": valid, and not what the writer meant
    assert config.load(torn)["trading"]["max_positions"] == 5
    with open(h.path, "wb") as f:
        f.write(torn)
        f.flush()

        def finish() -> None:
            time.sleep(0.03)
            f.write(final[-2:])
            f.flush()

        writer = threading.Thread(target=finish)
        writer.start()
        r.reload("poll")
        writer.join()
    assert r.status()["config_sha256"] == config.sha256(final)


def test_poll_applies_a_change_without_events(h: Harness, running: Callable[..., Reloader]) -> None:
    h.write(variant(poll_interval_s="0.2"))
    r = running(watch=False)
    new = h.write(variant(poll_interval_s="0.2", max_positions="6"))
    wait_until(lambda: r.status()["config_sha256"] == new, what="the poll to apply the change")
    assert h.lines()[-1]["trigger"] == "poll"


def test_watch_applies_a_change(h: Harness, running: Callable[..., Reloader]) -> None:
    h.write(DEFAULTS)
    r = running(watch=True)
    new = h.write(variant(max_positions="6"))
    wait_until(lambda: r.status()["config_sha256"] == new, what="the watch to apply the change")
    assert h.lines()[-1]["trigger"] == "watch"


def test_watch_ignores_other_files_in_the_directory(h: Harness, running: Callable[..., Reloader]) -> None:
    h.write(DEFAULTS)
    r = running(watch=True)
    (h.path.parent / ".config.toml.abc.tmp").write_bytes(variant(max_positions="6"))
    (h.path.parent / "other.toml").write_bytes(b"[broken\n")
    barrier = h.write(variant(max_positions="7"))
    wait_until(lambda: r.status()["config_sha256"] == barrier, what="the barrier change")
    status = r.status()
    assert (status["reloads"], status["rejected"]) == (1, 0)


@pytest.mark.usefixtures("sigusr1")
def test_a_shorter_poll_interval_applies_at_once(h: Harness, running: Callable[..., Reloader]) -> None:
    h.write(DEFAULTS.replace(b"poll_interval_s = 5.0", b"poll_interval_s = 3600.0"))
    r = running(watch=False)
    h.write(variant(poll_interval_s="0.2"))
    send_sigusr1()
    wait_until(lambda: r.status()["reloads"] == 1, what="the signalled reload")
    new = h.write(variant(poll_interval_s="0.2", max_positions="6"))
    wait_until(lambda: r.status()["config_sha256"] == new, timeout=2, what="a poll at the new interval")


@pytest.mark.usefixtures("sigusr1")
def test_sigusr1_reloads(h: Harness, running: Callable[..., Reloader]) -> None:
    h.write(DEFAULTS)
    r = running(watch=False)
    new = h.write(variant(max_positions="6"))
    send_sigusr1()
    wait_until(lambda: r.status()["config_sha256"] == new, what="the signalled reload")
    assert h.lines()[-1]["trigger"] == "signal"


STORM = """
import os, signal, sys, time
pid, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    os.kill(pid, signal.SIGUSR1)
"""


@pytest.mark.timeout(30, method="thread")
@pytest.mark.usefixtures("sigusr1")
def test_a_storm_of_sigusr1_neither_breaks_nor_blocks_the_main_thread(
    h: Harness, running: Callable[..., Reloader]
) -> None:
    """Signals from outside come faster than handlers run, so handlers nest.

    With a handler that called threading.Event.set() this died of RecursionError
    (or hung on the event's lock) within a second.
    """
    h.write(DEFAULTS)
    r = running(watch=False)
    new = h.write(variant(max_positions="6"))
    storms = [subprocess.Popen([sys.executable, "-c", STORM, str(os.getpid()), "2"]) for _ in range(2)]
    try:
        # The main thread keeps running Python code, and with it the handlers.
        while any(p.poll() is None for p in storms):
            sum(range(1000))
    finally:
        for p in storms:
            p.kill()
            p.wait()
    wait_until(lambda: r.status()["config_sha256"] == new, what="the reload asked for by the storm")
    assert r.status()["reloads"] == 1


@pytest.mark.timeout(20, method="thread")
@pytest.mark.usefixtures("sigusr1")
def test_sigusr1_while_the_main_thread_holds_the_config_lock(h: Harness, running: Callable[..., Reloader]) -> None:
    """Scenario 9: the handler must not need the lock, or the main thread deadlocks on itself."""
    h.write(DEFAULTS)
    r = running(watch=False)
    new = h.write(variant(max_positions="6"))
    with r.lock:
        for _ in range(20):
            # os.kill runs the Python-level handler in this thread before it returns.
            send_sigusr1()
        # Give the worker time to try (it must wait for this thread's lock).
        time.sleep(0.1)
        assert r.applied.sha256 != new
    wait_until(lambda: r.status()["config_sha256"] == new, what="the reload after the lock is released")
    assert h.lines()[-1]["trigger"] == "signal"
    assert r.status()["reloads"] == 1


def test_an_unreadable_file_is_reported_once(h: Harness) -> None:
    good = h.write(DEFAULTS)
    r = h.reloader()
    r.reload("start")
    h.path.unlink()
    h.path.mkdir()  # reading a directory fails with an OSError other than "missing"
    try:
        r.reload("poll")
        r.reload("poll")
    finally:
        h.path.rmdir()
    status = r.status()
    assert (status["config_sha256"], status["rejected"]) == (good, 1)
    assert status["last_error"].startswith(f"cannot read config file {h.path}:")


def vouch(h: Harness, digest: str) -> None:
    """Record `digest` beside the config, as the toolkit's config writer does before its rename."""
    h.path.with_name(f".{h.path.name}.sha256").write_text(digest + "\n")


def write_fresh(h: Harness, data: bytes) -> str:
    """An atomic write as the config writer makes it: just written, so the settle wait would apply."""
    tmp = h.path.with_name(".config.toml.fresh.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, h.path)
    return config.sha256(data)


def test_a_vouched_write_is_applied_without_waiting_the_debounce(h: Harness, running: Callable[..., Reloader]) -> None:
    # A debounce far longer than the wait: only the vouched path can be this quick.
    h.write(variant(debounce_ms="3000", poll_interval_s="3600.0"))
    r = running(watch=True)
    time.sleep(0.3)  # the watch is up
    data = variant(debounce_ms="3000", poll_interval_s="3600.0", max_positions="6")
    vouch(h, config.sha256(data))
    started = time.monotonic()
    new = write_fresh(h, data)
    wait_until(lambda: r.status()["config_sha256"] == new, timeout=1.5, what="the vouched write to apply at once")
    assert time.monotonic() - started < 1.5
    assert h.lines()[-1]["trigger"] == "watch"


@pytest.mark.parametrize("recorded", ["whole", "stale"])
def test_a_vouch_that_does_not_match_takes_the_debounced_path(h: Harness, running: Callable[..., Reloader],
                                                            recorded: str) -> None:
    h.write(variant(debounce_ms="400", poll_interval_s="3600.0"))
    r = running(watch=True)
    time.sleep(0.3)
    data = variant(debounce_ms="400", poll_interval_s="3600.0", max_positions="6")
    vouch(h, config.sha256(b"earlier bytes") if recorded == "stale" else config.sha256(data + b"\n# more"))
    new = write_fresh(h, data)
    time.sleep(0.2)  # inside the debounce: a careful reload has not read yet
    assert r.status()["config_sha256"] != new
    wait_until(lambda: r.status()["config_sha256"] == new, what="the debounced reload")
