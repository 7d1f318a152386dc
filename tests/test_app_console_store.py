"""The desktop app and the toolkit take turns on one config file: the app's saves hold the toolkit's
lock, and their backups are the toolkit's (`invoke config.backups` lists them, `config.restore` puts
them back).

The app's back end runs here as cmd/consolectl of a freshly rendered app (the code its Save button
calls), built without cgo. Needs Go; fails, never skips, without it.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from traderadmin.app import scaffold
from traderadmin.config import ConfigFiles, init_config, sha256, store

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "config" / "schema.json"


@pytest.fixture(scope="module")
def consolectl(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("consolectl")
    app = scaffold.render(work, "StoreApp").path
    binary = work / "consolectl"
    subprocess.run(["go", "build", "-o", str(binary), "./cmd/consolectl"], cwd=app, check=True,
                   env={**os.environ, "CGO_ENABLED": "0"}, capture_output=True, text=True)
    return binary


@pytest.fixture
def files(tmp_path) -> ConfigFiles:
    f = ConfigFiles(tmp_path / "config" / "config.toml", SCHEMA)
    init_config(f)
    return f


def app(consolectl: Path, files: ConfigFiles, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(consolectl), "-config", str(files.config), "-schema", str(files.schema_path), *args],
                          capture_output=True, text=True, **kwargs)


def invoke(files: ConfigFiles, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(files.config),
           "INVOKE_TRADERADMIN_SCHEMA_PATH": str(files.schema_path)}
    return subprocess.run(["invoke", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_invoke_config_backups_lists_the_apps_history_entry(consolectl, files):
    before = files.config.read_bytes()
    saved = app(consolectl, files, "save", "trading.max_positions=6")
    assert saved.returncode == 0, saved.stderr
    result = json.loads(saved.stdout)
    listed = invoke(files, "config.backups", "--json")
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert [e["name"] for e in entries] == [Path(result["backup"]).name]
    assert entries[0]["sha256"] == sha256(before) == result["previousSha256"]
    assert (files.config.parent / "config.toml.bak").read_bytes() == before
    # Only the edited line changed, comments and all.
    changed = [(a, b) for a, b in zip(before.decode().splitlines(), files.config.read_text().splitlines()) if a != b]
    assert changed == [("max_positions = 5", "max_positions = 6")]
    # The app names it by the same stable id as the toolkit, and the toolkit puts it back by that id.
    listed_by_app = json.loads(app(consolectl, files, "backups").stdout)
    assert [b["id"] for b in listed_by_app] == [e["id"] for e in entries]
    restored = invoke(files, "config.restore", "--backup", entries[0]["id"])
    assert restored.returncode == 0, restored.stderr
    assert files.config.read_bytes() == before


def test_the_app_waits_for_the_toolkits_lock(consolectl, files):
    with store.locked(files.config):
        proc = subprocess.Popen([str(consolectl), "-config", str(files.config), "-schema", str(files.schema_path),
                                 "save", "scanner.workers=9"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert proc.poll() is None, f"the app did not wait for the lock: {proc.communicate()}"
        assert "workers = 4" in files.config.read_text()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "workers = 9" in files.config.read_text()


@pytest.mark.parametrize("edit,key,words", [
    ("trading.max_positions=0", "trading.max_positions", "minimum of 1"),
    ("trading.max_positions=six", "trading.max_positions", "not a whole number"),
    ("trading.mode=LIVE", "ibkr.port", "PAPER port"),
    ("schedule.market_close=09:00", "schedule.market_close", "later than schedule.market_open"),
])
def test_a_refused_save_names_the_key_and_writes_nothing(consolectl, files, edit, key, words):
    before = files.config.read_bytes()
    proc = app(consolectl, files, "save", edit)
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and words in proc.stderr and "nothing was written" in proc.stderr
    assert "Traceback" not in proc.stderr and "panic" not in proc.stderr
    assert files.config.read_bytes() == before
    assert not (files.config.parent / "config.toml.bak").exists()
    assert not (files.config.parent / "backups").exists()


def test_a_stale_base_is_refused(consolectl, files):
    proc = app(consolectl, files, "save", "-base", "0" * 64, "trading.max_positions=6")
    assert proc.returncode == 2 and "changed on disk since you opened it" in proc.stderr
    assert "max_positions = 5" in files.config.read_text()
