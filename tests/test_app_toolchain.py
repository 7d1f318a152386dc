"""Which WebKitGTK the app is built against, and how the smoke test judges a render report."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from traderadmin.app import smoke, toolchain


def fake_pkg_config(bin_dir: Path, installed: dict[str, str]) -> None:
    """A pkg-config that knows only `installed` (module -> version)."""
    cases = "\n".join(f'  "{m}") echo "{v}"; exit 0 ;;' for m, v in installed.items())
    script = bin_dir / "pkg-config"
    script.write_text(f'#!/bin/sh\ncase "$2" in\n{cases}\nesac\nexit 1\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def bin_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(toolchain.sys, "platform", "linux")
    return tmp_path


def test_webkit_41_gets_the_wails_build_tag(bin_dir):
    fake_pkg_config(bin_dir, {"webkit2gtk-4.1": "2.50.6"})
    assert toolchain.webkit() == toolchain.WebKit("webkit2gtk-4.1", "2.50.6", ("webkit2_41",))
    assert toolchain.build_tags() == ("webkit2_41",)


def test_webkit_40_alone_needs_no_tag(bin_dir):
    fake_pkg_config(bin_dir, {"webkit2gtk-4.0": "2.50.6"})
    assert toolchain.build_tags() == ()


def test_with_both_installed_41_is_used(bin_dir):
    fake_pkg_config(bin_dir, {"webkit2gtk-4.0": "2.50.6", "webkit2gtk-4.1": "2.50.6"})
    assert toolchain.build_tags() == ("webkit2_41",)


def test_no_webkit_says_how_to_install_it(bin_dir):
    fake_pkg_config(bin_dir, {})
    with pytest.raises(toolchain.AppEnvError, match="invoke app.prereqs"):
        toolchain.build_tags()


def test_the_wails_cli_module_pins_the_templates_wails_version():
    go_mod = (toolchain.WAILS_CLI_MODULE / "go.mod").read_text()
    app_go_mod = (toolchain.WAILS_CLI_MODULE.parent / "{{cookiecutter.app_name}}" / "go.mod").read_text()
    assert "tool github.com/wailsapp/wails/v2/cmd/wails" in go_mod
    assert f"github.com/wailsapp/wails/v2 {toolchain.WAILS_VERSION}" in go_mod
    assert f"github.com/wailsapp/wails/v2 {toolchain.WAILS_VERSION}" in app_go_mod


def judged(report: dict) -> list[str]:
    result = smoke.SmokeResult(app="TraderAdmin", rendered=report, expected_tabs=10, config_sha256="abc")
    smoke._judge_report(result)
    return result.problems


def test_a_full_render_report_passes():
    assert judged({"tabs": 10, "fields": 59, "sha256": "abc", "error": ""}) == []


@pytest.mark.parametrize(
    ("report", "problem"),
    [
        ({"tabs": 0, "fields": 0, "sha256": "", "error": "config.toml does not exist"}, "could not show the config"),
        ({"tabs": 9, "fields": 50, "sha256": "abc", "error": ""}, "drew 9 tabs"),
        ({"tabs": 10, "fields": 0, "sha256": "abc", "error": ""}, "no fields"),
        ({"tabs": 10, "fields": 59, "sha256": "old", "error": ""}, "sha256 old"),
    ],
)
def test_a_partial_render_report_fails_with_the_reason(report, problem):
    assert any(problem in p for p in judged(report))
