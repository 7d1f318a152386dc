"""`invoke bootstrap` end to end: renders the app, creates a missing config, runs doctor."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bootstrap(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        # Point the task at a scratch config so the project's own is never touched.
        "INVOKE_TRADERADMIN_CONFIG_PATH": str(tmp_path / "config.toml"),
        "INVOKE_TRADERADMIN_SCHEMA_PATH": str(ROOT / "config" / "schema.json"),
    }
    return subprocess.run([sys.executable, "-m", "invoke", "bootstrap", "--no-input", "--output-dir", str(tmp_path / "apps"), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)


def test_bootstrap_renders_the_app_creates_the_config_and_runs_doctor(tmp_path):
    proc = run_bootstrap(tmp_path, "--name", "DeskOne", "--git-init")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    app = tmp_path / "apps" / "DeskOne"
    assert (app / "wails.json").is_file()
    assert (app / ".git").is_dir()
    assert (tmp_path / "config.toml").read_text().startswith("#:schema")
    assert "WebKitGTK" in proc.stdout, "doctor's table (with the desktop-app rows) was not shown"
    assert "next: invoke app.build" in proc.stdout


def test_bootstrap_keeps_what_exists(tmp_path):
    assert run_bootstrap(tmp_path).returncode == 0
    config_before = (tmp_path / "config.toml").read_bytes()
    again = run_bootstrap(tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "exists: kept as it is" in again.stdout
    assert (tmp_path / "config.toml").read_bytes() == config_before


def test_bootstrap_refuses_a_bad_name(tmp_path):
    proc = run_bootstrap(tmp_path, "--name", "Trader Admin")
    assert proc.returncode == 1
    assert "start with a letter" in proc.stderr
    assert not (tmp_path / "apps").exists()
