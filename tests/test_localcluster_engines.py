"""Which Docker Engine a flavor runs on: switching between the classic and the containerd
image store, and never stopping an engine this toolkit did not start."""
from __future__ import annotations

from pathlib import Path

import pytest

from traderadmin import dockerengine
from traderadmin.localcluster import engines, flavors
from traderadmin.system import processes

DOCKERD = Path("/cache/bin/dockerd-29/dockerd")


@pytest.fixture
def world(monkeypatch, tmp_path):
    """A fake host: which engine runs, and a record of what was stopped and started."""
    monkeypatch.setenv("TRADERADMIN_STATE_DIR", str(tmp_path))
    state = {"ours": None, "classic": False, "classic_ours": False, "argv": None, "events": []}

    def running_pid(pid_file, executable):
        return 4242 if state["ours"] and pid_file == engines._pid_file() else None

    monkeypatch.setattr(processes, "running_pid", running_pid)
    monkeypatch.setattr(processes, "recorded_argv", lambda pid_file: state["argv"])
    monkeypatch.setattr(processes, "stop", lambda pid_file, exe, timeout=20.0: state["events"].append(("stop", pid_file.name)))
    monkeypatch.setattr(dockerengine, "docker_status",
                        lambda timeout=15.0: dockerengine.DockerStatus(True, "20.10" if state["classic"] else None))
    monkeypatch.setattr(dockerengine, "started_dockerd_pid", lambda: 77 if state["classic_ours"] else None)
    monkeypatch.setattr(dockerengine, "ensure_docker", lambda log=print: state["events"].append(("ensure_docker",)))
    monkeypatch.setattr(engines, "_start", lambda dockerd, log: state["events"].append(("start", dockerd)))
    return state


def test_kind_replaces_the_classic_engine_this_toolkit_started(world):
    world.update(classic=True, classic_ours=True)
    engines.ensure(engines.CONTAINERD_STORE, DOCKERD, log=lambda m: None)
    assert world["events"] == [("stop", "dockerd.pid"), ("start", DOCKERD)]


def test_kind_never_stops_an_engine_someone_else_started(world):
    world.update(classic=True, classic_ours=False)
    with pytest.raises(engines.EngineError, match="did not start.*systemctl stop docker"):
        engines.ensure(engines.CONTAINERD_STORE, DOCKERD, log=lambda m: None)
    assert world["events"] == []


def test_a_running_containerd_store_engine_with_the_same_flags_is_left_alone(world):
    world.update(ours=True, argv=engines.containerd_store_argv(DOCKERD))
    engines.ensure(engines.CONTAINERD_STORE, DOCKERD, log=lambda m: None)
    assert world["events"] == []


def test_a_rebuilt_engine_is_restarted(world):
    world.update(ours=True, argv=engines.containerd_store_argv(Path("/old/dockerd")))
    engines.ensure(engines.CONTAINERD_STORE, DOCKERD, log=lambda m: None)
    assert world["events"] == [("stop", "dockerd.pid"), ("start", DOCKERD)]


def test_the_other_flavors_get_the_classic_engine_back(world):
    world.update(ours=True)
    engines.ensure(engines.CLASSIC, None, log=lambda m: None)
    assert world["events"] == [("stop", "dockerd.pid"), ("ensure_docker",)]


def test_the_containerd_store_engine_keeps_its_data_apart_and_skips_time_namespaces(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADERADMIN_STATE_DIR", str(tmp_path))
    argv = engines.containerd_store_argv(DOCKERD)
    assert argv[0] == str(DOCKERD)
    assert f"--data-root={tmp_path}/engines/containerd-store/data" in argv
    assert engines.daemon_config()["features"] == {"containerd-snapshotter": True, "time-namespaces": False}


def test_every_flavor_names_a_known_engine():
    assert {f.engine for f in flavors.FLAVORS.values()} == {engines.CLASSIC, engines.CONTAINERD_STORE}
    assert flavors.KIND.engine == engines.CONTAINERD_STORE and "dockerd" in flavors.KIND.extra_builds
