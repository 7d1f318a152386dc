"""The conformance suite, as a user runs it: both of our services pass it, a broken one fails it clearly."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from servicehelpers import ORCHESTRATOR_DIR, build_scanner

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(240)


def conformance(cmd: str, *flags: str) -> tuple[int, dict, str]:
    """Run `python -m invoke conformance --json`; exit code, parsed report, stderr."""
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ORCHESTRATOR_DIR), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "invoke", "conformance", "--cmd", cmd, "--json", *flags],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=220)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"no JSON report (exit {result.returncode}):\n{result.stdout}\n{result.stderr}", pytrace=False)
    return result.returncode, report, result.stderr


def _assert_all_pass(code: int, report: dict, stderr: str) -> None:
    failed = {c["check"]: c["detail"] for c in report["checks"] if c["result"] != "pass"}
    assert not failed, "checks that did not pass:\n" + "\n".join(f"{k}: {v}" for k, v in failed.items())
    assert code == 0, stderr
    assert len(report["checks"]) >= 20


def test_the_orchestrator_passes_every_check() -> None:
    _assert_all_pass(*conformance(
        f"{sys.executable} -m orchestrator --config {{config}} --port {{port}} --host 127.0.0.1", "--signal"))


def test_the_scanner_passes_every_check(tmp_path: Path) -> None:
    try:
        binary = build_scanner(tmp_path)
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    _assert_all_pass(*conformance(f"{binary} --config {{config}} --addr 127.0.0.1:{{port}}", "--signal"))


def built_image(service: str) -> str:
    """The ref of the service's image as `invoke images.build` makes it (a no-op when it is current)."""
    result = subprocess.run([sys.executable, "-m", "invoke", "images.build", "--json", "--service", service],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"`invoke images.build --service {service}` failed (exit {result.returncode}); the image form "
                    f"needs Docker:\n{result.stdout[-2000:]}{result.stderr[-2000:]}", pytrace=False)
    return json.loads(result.stdout)["images"][service]["ref"]


@pytest.mark.timeout(900)
def test_the_scanner_image_passes_every_check() -> None:
    """The image form: the check's folder is mounted into the container and docker run forwards SIGUSR1."""
    code, report, stderr = conformance_image(built_image("scanner"), "--config {config} --addr :8080", "--signal")
    _assert_all_pass(code, report, stderr)


@pytest.mark.timeout(900)
def test_the_orchestrator_image_passes_the_signal_and_file_checks() -> None:
    # The process form runs all checks on the orchestrator; its image adds the container's own parts:
    # signals through docker's proxy, the mounted folder removed and recreated, a FIFO on the mount.
    only = "sigusr1,delete-recreate,hostile-fifo,hostile-at-start"
    code, report, stderr = conformance_image(built_image("orchestrator"), "--config {config} --port 8080",
                                             "--signal", "--only", only)
    assert sorted(c["check"] for c in report["checks"]) == sorted(only.split(","))
    assert code == 0 and all(c["result"] == "pass" for c in report["checks"]), report


def conformance_image(image: str, args: str, *flags: str) -> tuple[int, dict, str]:
    result = subprocess.run([sys.executable, "-m", "invoke", "conformance", "--image", image, "--args", args,
                             "--json", *flags], cwd=ROOT, capture_output=True, text=True, timeout=800)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"no JSON report (exit {result.returncode}):\n{result.stdout}\n{result.stderr}", pytrace=False)
    leftover = subprocess.run(["docker", "ps", "-aq", "--filter", "label=traderadmin.conformance"],
                              capture_output=True, text=True).stdout.split()
    assert not leftover, f"containers left behind: {leftover}"
    return result.returncode, report, result.stderr


def test_image_command_mounts_the_folder_and_maps_config_and_port() -> None:
    from traderadmin.conformance import render_command
    from traderadmin.conformance._image import image_command

    template = image_command("me/svc:1", "--config {config} --label {x}", 9000, "run1")
    argv = render_command(template, config=Path("/host/c/config/config.toml"), port=4321, folder=Path("/host/c"))
    assert argv[:2] == ["docker", "run"] and "--rm" in argv
    assert argv[argv.index("-v") + 1] == "/host/c:/conformance"
    assert argv[argv.index("-p") + 1] == "127.0.0.1:4321:9000"
    assert argv[argv.index("--label") + 1] == "traderadmin.conformance=run1"
    assert argv[argv.index("--user") + 1] == f"{os.getuid()}:{os.getgid()}"
    assert argv[argv.index("me/svc:1") + 1:] == ["--config", "/conformance/config/config.toml", "--label", "{x}"]


@pytest.mark.parametrize("flags, message", [
    (["--image", "x", "--args", "--port 8080"], "must contain {config}"),
    (["--image", "x", "--cmd", "y {config} {port}", "--args", "{config}"], "not both"),
    (["--image", "x", "--args", "{config}", "--container-port", "70000"], "not a TCP port"),
])
def test_image_form_usage_errors(flags: list[str], message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "invoke", "conformance", *flags], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr + result.stdout, result
    assert "Traceback" not in result.stderr


# A service that gets the endpoints right but breaks the reload contract in the way MODE says.
BROKEN = r'''
import hashlib, http.server, json, os, sys, threading, time, tomllib
mode, path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
state = {"service": "broken", "config_sha256": hashlib.sha256(data).hexdigest(), "loaded_at": time.time(),
         "reloads": 0, "last_error": None, "last_rejected_sha256": None, "config": tomllib.loads(data.decode())}

def watch():
    while mode == "crash-on-bad":
        time.sleep(0.05)
        new = open(path, "rb").read()
        if hashlib.sha256(new).hexdigest() != state["config_sha256"]:
            try:
                state["config"] = tomllib.loads(new.decode())
            except ValueError:
                os._exit(1)  # the bug under test: a bad file ends the process
            state.update(config_sha256=hashlib.sha256(new).hexdigest(), reloads=state["reloads"] + 1)

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = {"/healthz": {"ok": True}, "/readyz": {"ready": True}, "/status": state}.get(self.path)
        raw = json.dumps(body).encode()
        self.send_response(200 if body else 404)
        self.end_headers()
        self.wfile.write(raw)
    def log_message(self, *a):
        pass

threading.Thread(target=watch, daemon=True).start()
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
'''


@pytest.mark.parametrize("mode, check, says", [
    ("never-reload", "atomic-edits", "expected /status config_sha256"),
    ("crash-on-bad", "invalid-toml", "exited"),
], ids=["never-reloads", "crashes-on-a-bad-file"])
def test_a_broken_service_fails_with_a_clear_message(tmp_path: Path, mode: str, check: str, says: str) -> None:
    script = tmp_path / "broken.py"
    script.write_text(BROKEN)
    code, report, _ = conformance(f"{sys.executable} {script} {mode} {{config}} {{port}}",
                                  "--only", f"endpoints,{check}", "--timeout", "2", "--workdir", str(tmp_path / "runs"))
    assert code == 1
    assert report["passed"] is False and report["failed"] == [check]
    results = {c["check"]: c for c in report["checks"]}
    assert results["endpoints"]["result"] == "pass"
    detail = results[check]["detail"]
    assert says in detail and "look at " in detail, detail
    folder = Path(results[check]["folder"])
    assert folder.parent == tmp_path / "runs", folder
    assert (folder / "service.stderr").exists(), "the failed check's folder is kept"


def test_usage_errors_are_explained() -> None:
    result = subprocess.run([sys.executable, "-m", "invoke", "conformance", "--cmd", "true"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "{config}" in result.stderr, result.stderr
    result = subprocess.run([sys.executable, "-m", "invoke", "conformance", "--cmd", "x {config} {port}",
                             "--only", "nope"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "unknown check(s) nope" in result.stderr, result.stderr
