"""The config tasks as a user runs them: exit codes, messages, and files on disk."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def invoke(cfg: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(cfg), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), *args],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def cfg(tmp_path) -> Path:
    path = tmp_path / "config.toml"
    r = invoke(path, "config.init")
    assert r.returncode == 0, r.stderr
    return path


def test_set_keeps_comments_and_backs_up_exact_bytes(cfg):
    before = cfg.read_bytes()
    r = invoke(cfg, "config.set", "trading.max_positions=6")
    assert r.returncode == 0, r.stderr
    assert "trading.max_positions: 5 → 6" in r.stdout
    after = cfg.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before.decode().splitlines(), after) if a != b]
    assert changed == [("max_positions = 5", "max_positions = 6")], "exactly one line may change"
    assert len(after) == len(before.decode().splitlines())
    assert (cfg.parent / "config.toml.bak").read_bytes() == before


@pytest.mark.parametrize("assignment,key", [
    ("trading.max_positions=0", "trading.max_positions"),
    ("trading.max_positons=6", "trading.max_positons"),
    ("trading.mode=LIVE", "trading.mode"),
    ("ibkr.api_token=abc", "ibkr.api_token"),
])
def test_invalid_set_exits_nonzero_names_key_and_leaves_file_identical(cfg, assignment, key):
    before = cfg.read_bytes()
    r = invoke(cfg, "config.set", assignment)
    assert r.returncode == 2
    assert key in r.stderr and "nothing was written" in r.stderr
    assert cfg.read_bytes() == before


def test_validate_json_for_scripts(cfg, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(cfg.read_text().replace("workers = 4", "workers = 0"))
    r = invoke(cfg, "config.validate", "--path", str(bad), "--json")
    assert r.returncode == 2
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["issues"][0]["key"] == "scanner.workers"
    r = invoke(cfg, "config.validate", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["ok"] is True


def test_get_diff_backups_restore_round_trip(cfg):
    assert invoke(cfg, "config.get", "trading.max_positions").stdout.strip() == "5"
    invoke(cfg, "config.set", "trading.max_positions=9")
    assert "+max_positions = 9" in invoke(cfg, "config.diff").stdout
    backups = json.loads(invoke(cfg, "config.backups", "--json").stdout)
    assert len(backups) == 1
    r = invoke(cfg, "config.restore", "--backup", backups[0]["id"])
    assert r.returncode == 0, r.stderr
    assert invoke(cfg, "config.get", "trading.max_positions").stdout.strip() == "5"


def test_init_does_not_overwrite_without_force(cfg):
    invoke(cfg, "config.set", "trading.max_positions=9")
    r = invoke(cfg, "config.init")
    assert r.returncode == 1 and "--force" in r.stderr
    assert "max_positions = 9" in cfg.read_text()
