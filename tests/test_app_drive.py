"""The window driver of the console's end-to-end test, without a display: it says what is
missing instead of skipping, waits on the app's UI report, and clicks where the report says."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from steps import gate
from traderadmin.app import drive, xdisplay


class Running:
    """Stands in for the app's process."""

    def __init__(self, code: int | None = None) -> None:
        self.returncode = code

    def poll(self) -> int | None:
        return self.returncode


def window(tmp_path: Path, state: dict | None, code: int | None = None) -> drive.Window:
    state_file = tmp_path / "ui-state.json"
    if state is not None:
        state_file.write_text(json.dumps(state))
    return drive.Window(Running(code), ":99", "4242", state_file, tmp_path, tmp_path / "app.log", 1.0, 0.5)  # type: ignore[arg-type]


def test_a_missing_display_tool_fails_with_the_fix(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda tool: None if tool in ("Xvfb", "import") else f"/usr/bin/{tool}")
    with pytest.raises(drive.DriveError) as err:
        drive.require_display_tools()
    assert "Xvfb, import not found" in str(err.value)
    assert "invoke app.prereqs --smoke" in str(err.value)


def test_wait_returns_the_report_once_the_check_holds(tmp_path):
    w = window(tmp_path, {"tab": "scanner", "errors": {}, "rects": {"save": {"x": 1, "y": 2, "w": 3, "h": 4}}})
    assert w.wait("scanner tab", lambda s: s["tab"] == "scanner", timeout=1)["tab"] == "scanner"


def test_wait_names_what_it_waited_for_and_what_the_window_showed(tmp_path):
    w = window(tmp_path, {"tab": "trading", "errors": {"trading.mode": "bad"}, "rects": {"save": {}}})
    with pytest.raises(drive.DriveError) as err:
        w.wait("the services tab", lambda s: s["tab"] == "services", timeout=0.2)
    text = str(err.value)
    assert text.startswith("the services tab: not seen within 0 s")
    assert '"tab": "trading"' in text and "trading.mode" in text and "['save']" in text


def test_wait_stops_when_the_app_exits(tmp_path):
    w = window(tmp_path, None, code=3)
    with pytest.raises(drive.DriveError, match="the app exited with code 3"):
        w.wait("anything", lambda s: True, timeout=5)


def test_a_half_written_report_reads_as_none_yet(tmp_path):
    w = window(tmp_path, None)
    w.state_file.write_text('{"tab": "sca')
    assert w.state() == {}


def test_click_goes_to_the_middle_of_the_reported_rect_relative_to_the_window(tmp_path, monkeypatch):
    calls: list[list[str]] = []

    def fake_x(cmd: list[str], display: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        calls.append(cmd[1:])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(xdisplay, "run_x", fake_x)
    monkeypatch.setattr(xdisplay, "require_tool", lambda name: name)
    w = window(tmp_path, {"rects": {"restart-scanner": {"x": 100, "y": 40, "w": 80, "h": 30}}})
    w.click("restart-scanner")
    assert calls == [["mousemove", "--window", "4242", "140", "55"], ["click", "1"]]


def test_the_gate_code_says_why_there_is_no_cluster(monkeypatch, tmp_path):
    from traderadmin.cluster import providers

    def no_cluster(name: str):
        raise providers.ProviderError("no kubeconfig context traderadmin-local")

    monkeypatch.setattr(providers, "get_provider", no_cluster)
    with pytest.raises(gate.GateUnavailable) as err:
        gate.open_gate("auto", tmp_path, prefix="ta-app-e2e")
    assert "no kubeconfig context traderadmin-local" in str(err.value)
    assert "invoke cluster.up" in str(err.value)
