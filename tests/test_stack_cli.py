"""The daily commands' messages and flags, with a fake cluster: what reload says it wrote, logs followed
together, one fix for a cluster that does not answer, progress where no terminal is (issue 12)."""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from invoke import Config, Context, Exit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fake_kube import FakeKube, pod  # noqa: E402
from tasks import ns, stack  # noqa: E402
from traderadmin.config import ConfigFiles, init_config, set_values  # noqa: E402


@pytest.fixture
def ctx(tmp_path, monkeypatch):
    config = Config()
    config.load_collection(ns.configuration())
    c = Context(config)
    c.config.traderadmin.config_path = str(tmp_path / "config.toml")
    init_config(ConfigFiles(tmp_path / "config.toml", ROOT / "config" / "schema.json"))
    return c


def _cluster_running(mode: str) -> FakeKube:
    kube = FakeKube()
    kube.pod_objects = [pod("orch-1", "orchestrator"), pod("scan-1", "scanner")]
    kube.status = {"orch-1": {"config": {"trading": {"mode": mode}}, "config_sha256": "old"},
                   "scan-1": {"config": {"trading": {"mode": mode}}, "config_sha256": "old"}}
    return kube


def test_reload_refused_by_the_cluster_after_a_local_save_says_what_was_written(ctx, monkeypatch, capsys):
    files = ConfigFiles(Path(ctx.config.traderadmin.config_path), ROOT / "config" / "schema.json")
    set_values(files, ["trading.mode=LIVE", "ibkr.port=7496"], confirm_live=True)  # the local file is LIVE
    kube = _cluster_running("PAPER")  # the cluster trades on paper
    monkeypatch.setattr(stack, "_cluster", lambda *a, **k: kube)
    before = files.config.read_bytes()
    with pytest.raises(Exit) as stop:
        stack.reload(ctx, set_=["scanner.workers=5"], namespace="ns")
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert "nothing was written" not in err, "something was: the local file"
    assert "WAS saved" in err and "cluster (namespace ns) was left untouched" in err
    from traderadmin.config import backups

    newest = backups(files)[0]
    assert newest.id in err and newest.path.read_bytes() == before, "the backup it names holds the file before"
    assert f"config.restore --backup {newest.id}" in err
    assert kube.execs == [], "the cluster was not touched"


def test_reload_refused_without_a_local_change_says_neither_was_written(ctx, monkeypatch, capsys):
    files = ConfigFiles(Path(ctx.config.traderadmin.config_path), ROOT / "config" / "schema.json")
    set_values(files, ["trading.mode=LIVE", "ibkr.port=7496"], confirm_live=True)
    kube = _cluster_running("PAPER")
    monkeypatch.setattr(stack, "_cluster", lambda *a, **k: kube)
    with pytest.raises(Exit):
        stack.reload(ctx, namespace="ns")
    err = capsys.readouterr().err
    assert "nothing was written" in err and "WAS saved" not in err and kube.execs == []


def test_reload_refusal_as_json_reports_the_local_save(ctx, monkeypatch, capsys):
    files = ConfigFiles(Path(ctx.config.traderadmin.config_path), ROOT / "config" / "schema.json")
    set_values(files, ["trading.mode=LIVE", "ibkr.port=7496"], confirm_live=True)
    monkeypatch.setattr(stack, "_cluster", lambda *a, **k: _cluster_running("PAPER"))
    with pytest.raises(Exit):
        stack.reload(ctx, set_=["scanner.workers=5"], namespace="ns", json=True)
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["local_saved"]["backup_id"] and "WAS saved" in out["note"]


def test_logs_follow_every_service_with_a_prefix_each(ctx, monkeypatch, capsys):
    kube = _cluster_running("PAPER")
    kube.logs_by_pod = {"orch-1": "o one\no two", "scan-1": "s one"}
    monkeypatch.setattr(stack, "_cluster", lambda *a, **k: kube)
    stack.logs(ctx, follow=True, namespace="ns")
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == sorted(["orchestrator | o one", "orchestrator | o two", "scanner      | s one"])


def test_logs_since_and_previous_reach_the_api(ctx, monkeypatch, capsys):
    kube = _cluster_running("PAPER")
    monkeypatch.setattr(stack, "_cluster", lambda *a, **k: kube)
    stack.logs(ctx, service="scanner", since=90.5, previous=True, namespace="ns")
    assert kube.logs_read == [("scan-1", "scanner", True)] and kube.logs_since == 91


def test_logs_with_no_pods_says_so_and_fails(ctx, monkeypatch):
    kube = FakeKube()
    monkeypatch.setattr(stack, "_cluster", lambda *a, **k: kube)
    with pytest.raises(Exit) as stop:
        stack.logs(ctx, namespace="ns")
    assert stop.value.code == 1 and "invoke deploy" in str(stop.value.message)


def test_two_pods_of_one_service_are_told_apart():
    from traderadmin.stack import logs as podlogs

    found = [podlogs.Source("orchestrator", "o-1"), podlogs.Source("orchestrator", "o-2"),
             podlogs.Source("scanner", "s-1")]
    labels = podlogs.labels(found)
    assert labels[found[0]].startswith("orchestrator/o-1") and labels[found[2]].startswith("scanner ")
    assert len({len(v) for v in labels.values()}) == 1, "aligned"


# --- one fix for a cluster that does not answer ----------------------------------------------------

def test_docker_desktop_not_enabled_gets_the_enable_steps_not_cluster_up(monkeypatch):
    from traderadmin.cluster import detect, providers

    monkeypatch.setattr(providers, "_has_context", lambda context: False)
    fix = providers.reach_fix(providers.DockerDesktopProvider())
    assert fix == detect.ENABLE_KUBERNETES_FIX and "cluster.up" not in fix
    error = str(providers.unreachable(providers.DockerDesktopProvider(),
                                      "no usable kubeconfig; bring a cluster up with `invoke cluster.up`"))
    assert "cluster.up" not in error and detect.ENABLE_KUBERNETES_FIX in error


def test_a_cluster_of_your_own_gets_its_start_hint_and_the_local_one_cluster_up(monkeypatch):
    from traderadmin.cluster import providers

    monkeypatch.setattr(providers, "_has_context", lambda context: True)
    fix = providers.reach_fix(providers.ContextProvider("kind-dev"))
    assert "docker start dev-control-plane" in fix and "cluster.up" not in fix
    monkeypatch.setattr(providers, "_has_context", lambda context: False)
    assert providers.reach_fix(providers.ContextProvider("kind-dev")) == providers.CHOOSE_CONTEXT_FIX
    local = providers.reach_fix(providers.LocalProvider("plain"))
    assert local == "invoke cluster.up --provider local --flavor plain"


def test_every_unreachable_message_has_exactly_one_fix(monkeypatch):
    from traderadmin.cluster import providers

    monkeypatch.setattr(providers, "_has_context", lambda context: True)
    for provider in (providers.DockerDesktopProvider(), providers.ContextProvider("k3d-x"),
                     providers.LocalProvider("plain")):
        text = str(providers.unreachable(provider, "connection refused; bring a cluster up with `invoke cluster.up`"))
        assert text.count("Fix:") == 1 and text.lower().count("bring") == 0, text


# --- progress where no terminal is ------------------------------------------------------------------

def test_plain_progress_prints_each_new_step_once_with_its_time_and_a_heartbeat():
    from traderadmin.cli.progress import PlainProgress

    now = [0.0]
    out = io.StringIO()
    lines = PlainProgress(out, heartbeat=30, clock=lambda: now[0])
    lines("building etcd")
    lines("building etcd")
    now[0] = 31
    lines.beat()
    now[0] = 75
    lines("building kubelet")
    text = out.getvalue().splitlines()
    assert text == ["[    0s] building etcd", "[   31s] ... still building etcd (31s)", "[ 1m15s] building kubelet"]


def test_image_builds_off_a_terminal_report_plain_lines():
    from traderadmin.images.progress import PlainReporter, RichReporter, reporter_for

    out = io.StringIO()
    assert isinstance(reporter_for(out), PlainReporter)
    with PlainReporter(out) as reporter:
        reporter.phase("scanner", "staging")
        reporter.step("scanner", 3, 9, "RUN go build")
    assert "scanner: staging" in out.getvalue() and "scanner: step 3/9 RUN go build" in out.getvalue()

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True
    assert isinstance(reporter_for(Tty()), RichReporter)


def test_cluster_up_off_a_terminal_prints_lines_not_a_silent_spinner(monkeypatch, capsys):
    from tasks import cluster as cluster_tasks

    class Console:
        is_terminal = False

    with cluster_tasks._activity(Console(), "starting") as (progress, log):
        progress("building kube-apiserver")
        log("containerd ready")
    err = capsys.readouterr().err
    assert "starting" in err and "building kube-apiserver" in err and "containerd ready" in err


def test_deploy_off_a_terminal_gets_a_line_reporter_for_its_image_builds(monkeypatch):
    from tasks._common import build_reporter
    from traderadmin.images.progress import PlainReporter

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert isinstance(build_reporter(), PlainReporter)


# --- up and down for scripts --------------------------------------------------------------------------

def test_up_json_is_one_document_and_passes_confirm_live_on(ctx, monkeypatch, capsys):
    from tasks import cluster as cluster_tasks

    seen = {}

    def fake_cluster_up(c, **kw):
        seen["cluster"] = kw
        print(json.dumps({"ok": True, "provider": "local", "context": "traderadmin-local"}))

    def fake_deploy(c, **kw):
        seen["deploy"] = kw
        print(json.dumps({"changed": False, "namespace": kw.get("namespace") or "traderadmin"}))

    monkeypatch.setattr(cluster_tasks, "up", fake_cluster_up)
    monkeypatch.setattr(stack, "deploy", fake_deploy)
    stack.up(ctx, confirm_live=True, json=True, timeout=120.0)
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["cluster"]["provider"] == "local" and out["deploy"]["changed"] is False
    assert seen["deploy"]["confirm_live"] is True and seen["deploy"]["json"] is True
    assert seen["deploy"]["timeout"] == 120.0 and seen["cluster"]["json"] is True


def test_up_json_failure_prints_the_failing_steps_document_and_its_code(ctx, monkeypatch, capsys):
    from tasks import cluster as cluster_tasks

    def failing_cluster_up(c, **kw):
        print(json.dumps({"ok": False, "error": "cluster.up failed: no"}))
        raise Exit(code=1)

    monkeypatch.setattr(cluster_tasks, "up", failing_cluster_up)
    with pytest.raises(Exit) as stop:
        stack.up(ctx, json=True)
    assert stop.value.code == 1 and json.loads(capsys.readouterr().out)["ok"] is False


def test_down_json_lists_what_was_removed(ctx, monkeypatch, capsys):
    from traderadmin.stack import apply

    monkeypatch.setattr(stack, "target", lambda *a, **k: (None, None, FakeKube()))
    monkeypatch.setattr(apply, "remove", lambda kube, ns, purge: ["Deployment/orchestrator", "Deployment/scanner"])
    stack.down(ctx, namespace="ns", json=True)
    out = json.loads(capsys.readouterr().out)
    assert out == {"ok": True, "namespace": "ns", "removed": ["Deployment/orchestrator", "Deployment/scanner"],
                   "purged": False, "config_volume_kept": True}
