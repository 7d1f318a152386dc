"""`invoke watch`'s logic against the fake cluster: each save judged, pushed and confirmed; bad saves never pushed."""
from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest

from tests.fake_kube import FakeStack as ReactingKube
from traderadmin.config import ConfigFiles, init_config, sha256
from traderadmin.stack import watch as configwatch

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def files(tmp_path: Path) -> ConfigFiles:
    f = ConfigFiles(tmp_path / "config.toml", ROOT / "config" / "schema.json")
    init_config(f)
    return f


def edit(files: ConfigFiles, pattern: str, replacement: str) -> str:
    text, n = re.subn(pattern, replacement, files.config.read_text(), count=1, flags=re.M)
    assert n == 1, pattern
    return text


def test_changed_keys_names_every_differing_leaf():
    old = {"a": {"x": 1, "y": 2}, "b": 3}
    new = {"a": {"x": 1, "y": 5}, "b": 3, "c": {"z": 1}}
    assert configwatch.changed_keys(old, new) == ["a.y", "c.z"]


def test_a_good_save_is_pushed_and_confirmed_with_its_keys(files):
    kube = ReactingKube()
    pusher = configwatch.ConfigPusher(kube, "ns", files)
    pusher.start()
    files.config.write_text(edit(files, r"^workers = \d+", "workers = 7"))
    result = pusher.handle_save()
    digest = sha256(files.config.read_bytes())
    assert result.result == "confirmed" and result.ok
    assert result.sha256 == digest and result.keys == ["scanner.workers"]
    assert kube.puts() == [digest]
    assert "scanner.workers" in result.line() and digest[:12] in result.line() and "confirmed" in result.line()


def test_a_bad_save_is_refused_with_its_fix_and_never_reaches_the_cluster(files):
    kube = ReactingKube()
    pusher = configwatch.ConfigPusher(kube, "ns", files)
    pusher.start()
    files.config.write_text(edit(files, r"^workers = \d+", "workers = 0"))
    result = pusher.handle_save()
    assert result.result == "refused" and not result.ok
    assert kube.execs == [], "a refused save must not touch the cluster"
    assert result.keys == ["scanner.workers"]
    assert result.issues[0]["key"] == "scanner.workers" and result.issues[0]["fix"]
    assert "scanner.workers" in result.message and "fix:" in result.message


def test_live_without_confirmation_is_refused_as_reload_refuses_it(files):
    kube = ReactingKube()
    pusher = configwatch.ConfigPusher(kube, "ns", files)
    pusher.start()
    text = edit(files, r'^mode = "PAPER"', 'mode = "LIVE"')
    files.config.write_text(re.sub(r"^port = 7497", "port = 7496", text, count=1, flags=re.M))
    result = pusher.handle_save()
    assert result.result == "refused" and kube.puts() == []
    assert result.issues[0]["key"] == "trading.mode" and "--confirm-live" in result.issues[0]["fix"]

    confirmed = configwatch.ConfigPusher(kube, "ns", files, confirm_live=True)
    assert confirmed.handle_save().result == "confirmed"
    assert kube.puts() == [sha256(files.config.read_bytes())]


def test_a_save_without_changes_pushes_nothing(files):
    kube = ReactingKube()
    pusher = configwatch.ConfigPusher(kube, "ns", files)
    pusher.start()
    files.config.write_bytes(files.config.read_bytes())
    assert pusher.handle_save().result == "unchanged" and kube.execs == []


def test_a_service_that_rejects_fails_the_save_with_its_report(files):
    kube = ReactingKube(refuse=True)
    pusher = configwatch.ConfigPusher(kube, "ns", files)
    pusher.start()
    files.config.write_text(edit(files, r"^workers = \d+", "workers = 9"))
    result = pusher.handle_save()
    assert result.result == "failed" and "scanner (s-1)" in result.message
    # Not remembered as pushed: saving the same bytes again tries again.
    assert pusher.last_sha != result.sha256


def test_the_watch_sees_each_editors_way_of_saving_once_and_stops_cleanly(files):
    kube = ReactingKube()
    pusher = configwatch.ConfigPusher(kube, "ns", files)
    pusher.start()
    results: list[configwatch.SaveResult] = []
    stop = threading.Event()
    thread = threading.Thread(target=configwatch.watch, args=(pusher, stop, results.append), daemon=True)
    thread.start()
    time.sleep(0.5)  # the watch is set up when its generator first runs
    path = files.config

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 10
        while len(results) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(results) == n, [r.line() for r in results]

    tmp = path.with_name(".config.toml.tmp")  # an IDE: write a temp file, rename it over
    tmp.write_text(edit(files, r"^workers = \d+", "workers = 3"))
    os.replace(tmp, path)
    wait_for(1)
    path.write_text(edit(files, r"^workers = \d+", "workers = 5"))  # nano: in place
    wait_for(2)
    text = edit(files, r"^workers = \d+", "workers = 6")  # vim: old file to a backup, a new one written
    backup = path.with_name("config.toml~")
    os.rename(path, backup)
    path.write_text(text)
    backup.unlink()
    wait_for(3)
    stop.set()
    thread.join(5)
    assert not thread.is_alive(), "setting the stop event must end the watch"
    assert [r.result for r in results] == ["confirmed"] * 3
    assert [r.keys for r in results] == [["scanner.workers"]] * 3
    assert kube.puts() == [r.sha256 for r in results]
