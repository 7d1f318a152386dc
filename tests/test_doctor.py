"""Doctor: checks are a list of functions; failures carry a fix; only required ones fail the run."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from traderadmin import doctor
from traderadmin.doctor import DoctorCheck, Finding

ROOT = Path(__file__).resolve().parents[1]


def test_results_keep_order_and_required_failure_sets_exit_code():
    checks = [
        DoctorCheck("a", "toolkit", True, lambda: Finding(True, "fine")),
        DoctorCheck("b", "desktop app", False, lambda: Finding(False, "missing", "install b")),
    ]
    results = doctor.run_checks(checks)
    assert [r.name for r in results] == ["a", "b"]
    assert [r.status for r in results] == ["ok", "warn"]
    assert doctor.exit_code(results) == 0
    failing = doctor.run_checks([DoctorCheck("c", "cluster", True, lambda: Finding(False, "down", "invoke cluster.up"))])
    assert failing[0].status == "FAIL" and failing[0].fix == "invoke cluster.up"
    assert doctor.exit_code(failing) == 1


def test_a_crashing_check_is_a_failing_row():
    def boom() -> Finding:
        raise OSError("no such file")

    (result,) = doctor.run_checks([DoctorCheck("boom", "toolkit", True, boom)])
    assert not result.ok and "OSError" in result.detail and result.fix


def test_register_appends_to_the_list(monkeypatch):
    monkeypatch.setattr(doctor, "CHECKS", [])

    @doctor.register("extra", "desktop app", required=False)
    def extra() -> Finding:
        return Finding(True, "here")

    assert [(c.name, c.required) for c in doctor.CHECKS] == [("extra", False)]


def test_default_checks_cover_the_brief():
    names = {c.name for c in doctor.CHECKS}
    assert {"Python packages", "Docker Engine", "Kubernetes cluster", "Go", "Node.js / npm", "Wails CLI", "WebKitGTK"} <= names
    required = {c.name for c in doctor.CHECKS if c.required}
    assert "Kubernetes cluster" in required and "Wails CLI" not in required


def test_pin_pattern_reads_pyproject_style_requirements():
    match = doctor.PIN.match("pytest==9.2.0; extra == \"dev\"")
    assert match and match.group("name") == "pytest" and "extra" in match.group("marker")
    assert doctor.PIN.match("kubernetes==37.0.2").group("version") == "37.0.2"


def test_python_packages_check_passes_in_this_install():
    assert doctor.check_python_packages().ok


def test_missing_tool_gets_a_fix(monkeypatch):
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    for check in (doctor.check_go, doctor.check_node, doctor.check_wails):
        finding = check()
        assert not finding.ok and finding.fix


def test_wails_row_asks_the_toolchain_for_the_pinned_cli(monkeypatch):
    monkeypatch.setattr(doctor.toolchain, "find_wails", lambda: Path("/opt/go/bin/wails"))
    finding = doctor.check_wails()
    assert finding.ok and doctor.toolchain.WAILS_VERSION in finding.detail and "/opt/go/bin/wails" in finding.detail
    monkeypatch.setattr(doctor.toolchain, "find_wails", lambda: None)
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    finding = doctor.check_wails()
    assert not finding.ok and finding.fix == "invoke app.prereqs"


def test_webkit_row_reports_the_module_and_tag_the_build_uses(monkeypatch):
    monkeypatch.setattr(doctor.sys, "platform", "linux")
    monkeypatch.setattr(doctor.toolchain, "webkit", lambda: doctor.toolchain.WebKit("webkit2gtk-4.1", "2.48.1", ("webkit2_41",)))
    finding = doctor.check_webkitgtk()
    assert finding.ok and "webkit2gtk-4.1 2.48.1" in finding.detail and "-tags webkit2_41" in finding.detail
    monkeypatch.setattr(doctor.toolchain, "webkit", lambda: None)
    finding = doctor.check_webkitgtk()
    assert not finding.ok and finding.fix.startswith("invoke app.prereqs")


def test_desktop_app_rows_only_warn():
    rows = {c.name: c.required for c in doctor.CHECKS if c.group == "desktop app"}
    assert rows == {"Node.js / npm": False, "Wails CLI": False, "WebKitGTK": False}


def test_invoke_doctor_json_is_machine_readable():
    proc = subprocess.run([sys.executable, "-m", "invoke", "doctor", "--json"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    rows = json.loads(proc.stdout)
    assert {"name", "group", "required", "ok", "status", "detail", "fix"} <= set(rows[0])
    expected = 1 if any(r["required"] and not r["ok"] for r in rows) else 0
    assert proc.returncode == expected


@pytest.mark.parametrize("host,provider,host_network,ok,fix_words", [
    ("localhost", "docker-desktop", False, False, "host.docker.internal"),
    ("127.0.0.1", "local", False, False, "host_network"),
    ("localhost", "local", True, True, ""),
    ("host.docker.internal", "docker-desktop", False, True, ""),
    ("10.0.0.5", "local", False, True, ""),
])
def test_tws_address_inside_a_pod(host, provider, host_network, ok, fix_words):
    from traderadmin.doctor import tws_address_finding

    finding = tws_address_finding({"ibkr": {"host": host, "port": 7497}}, provider, host_network)
    assert finding.ok is ok
    assert fix_words in finding.fix


def test_doctor_aims_every_cluster_row_at_the_context_it_is_given(monkeypatch, tmp_path):
    from traderadmin.cluster import providers

    asked = []

    def refuse(name="auto", flavor=None, context=None, registry=""):
        asked.append((name, context, registry))
        raise providers.ProviderError(f"cannot reach {context}")

    monkeypatch.setattr(providers, "choose_provider", refuse)
    config = tmp_path / "config.toml"
    config.write_text('[ibkr]\nhost = "localhost"\nport = 7497\n')
    rows = {r.name: r for r in doctor.run_checks(doctor.checks_for("kind-dev", "localhost:5000/t", config, False))}
    assert rows["Kubernetes cluster"].detail == "context 'kind-dev'"
    assert rows["Kubernetes cluster"].fix == "cannot reach kind-dev"
    assert rows["TWS address"].detail == "cannot reach kind-dev"
    assert asked == [("auto", "kind-dev", "localhost:5000/t")] * 2
    assert [r.name for r in doctor.run_checks(doctor.checks_for(None, "", config, False))][:len(doctor.CHECKS)] == \
        [c.name for c in doctor.CHECKS], "aiming the rows keeps their order"


def test_cluster_row_for_a_silent_cluster_of_your_own_says_how_to_start_it(monkeypatch):
    from traderadmin.cluster import detect, probes, providers
    from traderadmin.kube.errors import KubeUnreachable

    def unreachable(context, kubeconfig=None, timeout=10.0):
        raise KubeUnreachable(f"cluster of context {context!r} is not reachable: connection refused")

    monkeypatch.setattr(providers, "linux_root_debian", lambda: False)
    monkeypatch.setattr(probes, "list_contexts", lambda kubeconfig=None: ([detect.ContextFacts("k3d-trading")], None))
    monkeypatch.setattr(probes, "list_nodes", unreachable)
    finding = doctor.check_cluster("k3d-trading")
    assert not finding.ok and "connection refused" in finding.detail
    assert finding.fix == "k3d cluster: `k3d cluster start trading`"
    missing = doctor.check_cluster("kind-gone")
    assert "no 'kind-gone' context in kubeconfig" in missing.detail and "kubectl config get-contexts" in missing.fix
