"""The desktop app's back end against the live cluster: Push confirms both services by hash, the
services panel sees them in sync, a LIVE switch needs confirming, and a restarted scanner comes
back on the same hash.

The stack is deployed into a namespace of its own (removed at the end); the app's back end runs as
cmd/consolectl of a freshly rendered app: the code the window's buttons call.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest

from traderadmin.app import scaffold
from traderadmin.config import ConfigFiles, init_config, sha256

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack(provider, tmp_path_factory):
    work = tmp_path_factory.mktemp("app-live")
    files = ConfigFiles(work / "config" / "config.toml", ROOT / "config" / "schema.json")
    init_config(files)
    namespace = f"ta-app-live-{secrets.token_hex(3)}"
    env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(files.config)}
    deployed = subprocess.run(["invoke", "deploy", "--namespace", namespace, "--context", provider.context],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    try:
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        app = scaffold.render(work, "LiveApp").path
        binary = work / "consolectl"
        subprocess.run(["go", "build", "-o", str(binary), "./cmd/consolectl"], cwd=app, check=True,
                       env={**os.environ, "CGO_ENABLED": "0"}, capture_output=True, timeout=900)

        def argv(*args: str) -> list[str]:
            return [str(binary), "-config", str(files.config), "-schema", str(files.schema_path),
                    "-context", provider.context, "-namespace", namespace, *args]

        def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
            proc = subprocess.run(argv(*args), capture_output=True, text=True, timeout=120)
            if check:
                assert proc.returncode == 0, proc.stdout + proc.stderr
            return proc

        run.argv = argv
        yield files, run
    finally:
        subprocess.run(["invoke", "down", "--purge", "--namespace", namespace, "--context", provider.context],
                       cwd=ROOT, capture_output=True, timeout=300)


def services(run) -> dict[str, dict]:
    return {s["name"]: s for s in json.loads(run("services").stdout)}


def test_save_and_push_are_confirmed_by_both_services(stack):
    files, run = stack
    run("save", "scanner.workers=7", "scanner.interval_s=30")
    want = sha256(files.config.read_bytes())
    result = json.loads(run("push").stdout)
    assert result["ok"] and result["sha256"] == want and result["written"], result
    confirmed = {s["service"]: s for s in result["services"]}
    assert set(confirmed) == {"orchestrator", "scanner"}
    for s in confirmed.values():
        assert s["ok"] and s["sha256"] == want and not s["rejected"] and s["seconds"] < 30, s
    panel = services(run)
    for name in ("orchestrator", "scanner"):
        assert panel[name]["inSync"] and panel[name]["configSha256"] == want and panel[name]["ready"] == 1
    assert panel["config-writer"]["pods"][0]["ready"]


def test_pushing_live_over_paper_needs_a_confirmation(stack):
    files, run = stack
    running = services(run)["scanner"]["configSha256"]
    run("save", "-confirm-live", "trading.mode=LIVE", "ibkr.port=7496")
    try:
        refused = run("push", check=False)
        assert refused.returncode == 2
        result = json.loads(refused.stdout)
        assert result["needsLiveConfirm"] and not result["ok"] and "LIVE" in result["error"]
        assert services(run)["scanner"]["configSha256"] == running, "a refused push changed what runs"
    finally:
        run("save", "trading.mode=PAPER", "ibkr.port=7497")
        run("push")


def test_a_restarted_scanner_comes_back_on_the_same_hash(stack):
    files, run = stack
    run("push")
    want = sha256(files.config.read_bytes())
    old_pod = services(run)["scanner"]["pods"][0]["name"]
    run("restart", "scanner")
    deadline = time.monotonic() + 120
    while True:
        scanner = services(run)["scanner"]
        pods = scanner["pods"]
        if [p["name"] for p in pods] != [old_pod] and len(pods) == 1 and pods[0]["ready"] and scanner["inSync"]:
            break
        assert time.monotonic() < deadline, f"the scanner did not come back in sync: {scanner}"
        time.sleep(1)
    assert scanner["configSha256"] == want


def test_stop_and_start_scale_the_service(stack):
    _, run = stack
    run("stop", "orchestrator")
    deadline = time.monotonic() + 90
    while services(run)["orchestrator"]["replicas"] != 0 or services(run)["orchestrator"]["pods"]:
        assert time.monotonic() < deadline, services(run)["orchestrator"]
        time.sleep(1)
    run("start", "orchestrator")
    deadline = time.monotonic() + 120
    while not services(run)["orchestrator"]["inSync"]:
        assert time.monotonic() < deadline, services(run)["orchestrator"]
        time.sleep(1)


def test_followed_logs_show_the_reload_of_a_push(stack):
    files, run = stack
    follow = subprocess.Popen(run.argv("logs", "-for", "60s", "scanner"), stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(2)  # the stream is open; what comes now is news
        run("save", "scanner.max_results=77")
        want = sha256(files.config.read_bytes())
        run("push")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = json.loads(follow.stdout.readline())
            if "Config reloaded" in line["line"] and want in line["line"]:
                assert line["pod"].startswith("scanner-")
                return
        pytest.fail("the scanner's reload of the pushed config never showed in the followed log")
    finally:
        follow.kill()
        follow.wait()
