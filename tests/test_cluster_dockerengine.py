"""ensure_docker decides between 'already fine', 'install/start it' and 'tell the user'."""
from __future__ import annotations

import pytest

from traderadmin import dockerengine
from traderadmin.dockerengine import DockerEngineError, DockerStatus


def test_running_engine_is_returned_untouched(monkeypatch):
    monkeypatch.setattr(dockerengine, "docker_status", lambda timeout=15.0: DockerStatus(True, "20.10.24"))
    monkeypatch.setattr(dockerengine, "start_dockerd", lambda *a: pytest.fail("must not start dockerd"))
    assert dockerengine.ensure_docker().server_version == "20.10.24"


def test_not_managed_machine_gets_the_fix(monkeypatch):
    monkeypatch.setattr(dockerengine, "docker_status", lambda timeout=15.0: DockerStatus(True, None, error="cannot connect"))
    monkeypatch.setattr(dockerengine, "linux_root_debian", lambda: False)
    monkeypatch.setattr(dockerengine.shutil, "which", lambda name: "/usr/bin/" + name)
    with pytest.raises(DockerEngineError, match="not running.*Fix"):
        dockerengine.ensure_docker()


def test_missing_cli_is_installed_then_started(monkeypatch, tmp_path):
    calls: list[str] = []
    states = iter([DockerStatus(False, None, error="docker CLI not found"), DockerStatus(True, None, error="down")])
    monkeypatch.setattr(dockerengine, "docker_status", lambda timeout=15.0: next(states))
    monkeypatch.setattr(dockerengine, "linux_root_debian", lambda: True)
    monkeypatch.setattr(dockerengine.shutil, "which", lambda name: None)
    monkeypatch.setattr(dockerengine, "install_docker_package", lambda log: calls.append("install"))
    monkeypatch.setattr(dockerengine, "start_dockerd", lambda path: calls.append("start") or 4242)
    monkeypatch.setattr(
        dockerengine, "wait_for_docker", lambda timeout, pid, log_path: DockerStatus(True, "20.10.24")
    )
    monkeypatch.setenv("TRADERADMIN_STATE_DIR", str(tmp_path))
    status = dockerengine.ensure_docker(log=lambda msg: None)
    assert calls == ["install", "start"]
    assert status.installed and status.started and status.server_version == "20.10.24"


def test_dockerd_that_dies_reports_its_log(monkeypatch, tmp_path):
    log = tmp_path / "dockerd.log"
    log.write_text("failed to start daemon: pid file found\n")
    monkeypatch.setattr(dockerengine, "docker_status", lambda timeout=15.0: DockerStatus(True, None, error="down"))
    monkeypatch.setattr(dockerengine.processes, "exited", lambda pid: True)
    with pytest.raises(DockerEngineError, match="pid file found"):
        dockerengine.wait_for_docker(5, pid=1, log_path=log)

