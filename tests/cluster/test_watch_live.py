"""`invoke watch` and the fast daily commands against the live cluster, in a namespace of their own.

The stack is deployed with `invoke deploy` from a config file in a temp folder;
`invoke watch` runs as a subprocess on that file, which is then saved the three
ways editors save (rename over, write in place, vim's backup-and-rewrite), once
badly, and stopped with SIGINT.
"""
from __future__ import annotations

import json
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from traderadmin.kube import api as kubeapi
from traderadmin.stack.status import SERVICE_PORTS, read_service_status, service_pods
from traderadmin.stack.volume import config_in_volume
from traderadmin.cluster.providers import resolve_context
from traderadmin.config import ConfigFiles, init_config, sha256

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> list[str]:
    return [sys.executable, "-m", "invoke", "-r", str(ROOT), *args]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A deployed stack in its own namespace, its config file, and the env that points invoke at it."""
    namespace = f"ta-watch-{secrets.token_hex(3)}"
    config = tmp_path_factory.mktemp("watch") / "config.toml"
    init_config(ConfigFiles(config, ROOT / "config" / "schema.json"))
    env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(config)}
    api = kubeapi.connect(resolve_context("auto"))
    try:
        proc = subprocess.run(invoke("deploy", "--namespace", namespace, "--json"), env=env, capture_output=True,
                              text=True, timeout=900)
        assert proc.returncode == 0, f"deploy failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        yield namespace, config, env, api
    finally:
        api.request("DELETE", f"/api/v1/namespaces/{namespace}", f"deleting namespace {namespace}")


def cluster_hashes(api: kubeapi.KubeApi, namespace: str) -> dict[str, str | None]:
    """What the volume holds and what each service runs, asked of the cluster itself."""
    out = {"volume": config_in_volume(api, namespace).get("sha256")}
    for service in SERVICE_PORTS:
        for pod in service_pods(api, namespace, service):
            out[pod.name] = (read_service_status(api, namespace, pod.name, service) or {}).get("config_sha256")
    return out


class Watcher:
    """`invoke watch --json` as a subprocess, its stdout lines read into a queue."""

    def __init__(self, namespace: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(invoke("watch", "--namespace", namespace, "--json"), env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def next(self, timeout: float = 30) -> dict:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from invoke watch within {timeout} s (exit code {self.proc.poll()})") from None


def replace_value(config: Path, key: str, value: str) -> str:
    text, n = re.subn(rf"^{key} = .*$", f"{key} = {value}", config.read_text(), count=1, flags=re.M)
    assert n == 1
    return text


def test_watch_pushes_each_editors_save_refuses_a_bad_one_and_stops_on_sigint(stack):
    namespace, config, env, api = stack
    watcher = Watcher(namespace, env)
    try:
        start = watcher.next(60)
        assert start["event"] == "watching" and start["sha256"] == sha256(config.read_bytes())
        time.sleep(1)  # the watch is set up just after that line

        def saved_and_confirmed(how: str) -> str:
            line = watcher.next()
            digest = sha256(config.read_bytes())
            assert line["event"] == "save" and line["result"] == "confirmed", f"{how}: {line}"
            assert line["sha256"] == digest and line["keys"] == ["scanner.workers"], f"{how}: {line}"
            hashes = cluster_hashes(api, namespace)
            assert set(hashes.values()) == {digest}, f"{how}: the cluster runs {hashes}, not {digest[:12]}"
            return digest

        tmp = config.with_name(".config.toml.ide-tmp")  # an IDE: temp file renamed over
        tmp.write_text(replace_value(config, "workers", "3"))
        os.replace(tmp, config)
        saved_and_confirmed("rename over")

        config.write_text(replace_value(config, "workers", "5"))  # nano: in place
        saved_and_confirmed("in place")

        text = replace_value(config, "workers", "6")  # vim: the old file to a backup, a new one written
        backup = config.with_name("config.toml~")
        os.rename(config, backup)
        config.write_text(text)
        backup.unlink()
        good = saved_and_confirmed("vim's backup dance")

        config.write_text(replace_value(config, "workers", "0"))  # a bad save
        line = watcher.next()
        assert line["result"] == "refused" and line["issues"][0]["key"] == "scanner.workers", line
        time.sleep(1)  # anything pushed by mistake would be in by now
        assert set(cluster_hashes(api, namespace).values()) == {good}, "a refused save changed the cluster"
    finally:
        watcher.proc.send_signal(signal.SIGINT)
        try:
            code = watcher.proc.wait(15)
        except subprocess.TimeoutExpired:
            watcher.proc.kill()
            raise AssertionError("invoke watch did not stop within 15 s of SIGINT") from None
    stderr = watcher.proc.stderr.read() if watcher.proc.stderr else ""
    assert code == 0 and "Traceback" not in stderr, f"exit {code}, stderr:\n{stderr}"
    assert watcher.next(5)["event"] == "stopped"


@pytest.mark.parametrize("command", [
    ("reload", "--set", "scanner.workers=7"),
    ("status",),
    ("logs", "--tail", "3"),
])
def test_the_daily_commands_never_import_kubernetes(stack, command):
    namespace, _, env, _ = stack
    proc = subprocess.run([sys.executable, "-X", "importtime", *invoke(*command, "--namespace", namespace)[1:]],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 3), f"{command} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-2000:]}"
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert "invoke" in imported, "the import log is empty: the check would prove nothing"
    assert not [m for m in imported if m == "kubernetes" or m.startswith("kubernetes.")]
