"""reload, status, logs and watch never import the kubernetes package (1.5 s of the 2 s a reload took).

Each command runs through invoke in a fresh interpreter with the cluster handle
replaced by the in-memory stack, so the whole task body and the library under
it execute; afterwards `kubernetes` must not be among the loaded modules.
tests/cluster/test_watch_live.py checks the same of the real commands against
the live cluster.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RUNNER = r"""
import json, sys
sys.path[:0] = [ROOT, ROOT + "/tests"]
from tests.fake_kube import FakeStack
import traderadmin.cluster.providers as providers
stack = FakeStack()
providers.light_handle = lambda name="auto", context=None: stack
import traderadmin.stack.watch as configwatch
configwatch.saves = lambda config, stop, quiet_ms=50: iter([None])  # one save, then the watch ends
from invoke import Program
from tasks import ns
code = 0
try:
    Program(namespace=ns, version="test").run(["invoke", *ARGS], exit=False)
except SystemExit as e:
    code = e.code or 0
print(json.dumps({"code": code, "kubernetes": sorted(m for m in sys.modules if m.split(".")[0] == "kubernetes"),
                  "execs": [argv[:2] for _, argv in stack.execs]}))
"""


def run_task(tmp_path: Path, *args: str) -> dict:
    from traderadmin.config import ConfigFiles, init_config

    config = tmp_path / "config.toml"
    init_config(ConfigFiles(config, ROOT / "config" / "schema.json"))
    code = RUNNER.replace("ROOT", repr(str(ROOT))).replace("ARGS", repr(list(args)))
    env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(config)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


class TestTheDailyCommandsNeverImportKubernetes:
    def test_reload(self, tmp_path):
        out = run_task(tmp_path, "reload", "--namespace", "ns", "--set", "scanner.workers=5")
        assert out["code"] == 0 and out["execs"] == [["/configwriter", "put"]], out
        assert out["kubernetes"] == []

    def test_status(self, tmp_path):
        out = run_task(tmp_path, "status", "--namespace", "ns", "--json")
        assert out["code"] in (0, 3), out  # 3: the fake runs another config than the local file
        assert out["kubernetes"] == []

    @pytest.mark.parametrize("follow", [False, True])
    def test_logs(self, tmp_path, follow):
        out = run_task(tmp_path, "logs", "--namespace", "ns", *(["--follow"] if follow else []))
        assert out["code"] == 0 and out["kubernetes"] == []

    def test_watch(self, tmp_path):
        out = run_task(tmp_path, "watch", "--namespace", "ns")
        assert out["code"] == 0 and out["kubernetes"] == []

    def test_the_check_would_see_it(self, tmp_path):
        """The deploy path still uses the SDK: the same runner reports it, so an empty list above means something."""
        code = "import kubernetes.client, sys, json; print(json.dumps(sorted(m for m in sys.modules if m == 'kubernetes')))"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert json.loads(proc.stdout) == ["kubernetes"]
