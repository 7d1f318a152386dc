"""The console's bad states in the real window (issue 11, Build 5): each is said plainly and
nothing is lost. Driven with real X input under Xvfb like the end-to-end test; screenshots in
reports/app-bad-states/.

No stack is needed: the cluster is either a context that does not exist or a namespace with
nothing deployed (never the default one), so a push here can only fail, and must say why.
"""
from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest

from apphelpers import APP, REPORTS, ROOT
from traderadmin.app import build as app_build
from traderadmin.app import drive
from traderadmin.config import ConfigFiles, init_config, read, set_values

REPORT = REPORTS / "app-bad-states"


@pytest.fixture(scope="module", autouse=True)
def fresh_report_folder():
    shutil.rmtree(REPORT, ignore_errors=True)


def config(tmp_path: Path) -> ConfigFiles:
    files = ConfigFiles(tmp_path / "config" / "config.toml", ROOT / "config" / "schema.json")
    files.config.parent.mkdir(parents=True)
    init_config(files)
    return files


def launch(binary: app_build.BuildResult, files: ConfigFiles, tmp_path: Path, name: str, **env: str):
    # A namespace nobody deployed to: Services() finds nothing there and a push is refused.
    env = {"INVOKE_TRADERADMIN_NAMESPACE": f"ta-app-nostack-{secrets.token_hex(3)}", **env}
    return drive.launch(binary.binary, ["-config", str(files.config), "-schema", str(files.schema_path)],
                           APP, tmp_path, REPORT / name, env)


def test_an_unreachable_cluster_is_a_banner_with_the_fix_and_the_form_still_edits(binary, tmp_path):
    files = config(tmp_path)
    with launch(binary, files, tmp_path, "unreachable", INVOKE_TRADERADMIN_CONTEXT="ta-no-such-context") as w:
        state = w.wait("the cluster banner", lambda s: s["banner"].startswith("cluster:") and "banner-cluster" in s["rects"])
        assert "ta-no-such-context" in state["banner"], state["banner"]
        w.click("tab-scanner")
        w.replace_text("field-scanner.workers", "6")
        w.wait("the edit judged valid without a cluster", lambda s: {"edits-1", "judge-valid"} <= set(s["rects"]))
        w.screenshot("cluster-unreachable")


def test_an_invalid_file_shows_its_problem_and_the_form_still_fixes_it(binary, tmp_path):
    files = config(tmp_path)
    data, _ = read(files)
    assert b"workers = 4" in data
    files.config.write_bytes(data.replace(b"workers = 4", b"workers = 0"))
    with launch(binary, files, tmp_path, "invalid-file") as w:
        state = w.wait("the file's problem on its field", lambda s: "scanner.workers" in s["errors"])
        assert "scanner.workers" in state["errors"]["scanner.workers"]
        w.click("tab-scanner")
        w.wait("the error next to the field", lambda s: "error-scanner.workers" in s["rects"])
        w.screenshot("invalid-file")
        w.replace_text("field-scanner.workers", "5")
        w.wait("the problem gone once the value is put right", lambda s: not s["errors"] and "judge-valid" in s["rects"])
        w.screenshot("invalid-file-fixed")


def test_a_change_on_disk_while_editing_is_a_banner_and_reload_keeps_the_edit(binary, tmp_path):
    files = config(tmp_path)
    with launch(binary, files, tmp_path, "changed-on-disk") as w:
        w.click("tab-scanner")
        w.replace_text("field-scanner.workers", "9")
        w.wait("the edit counted", lambda s: {"edits-1", "judge-valid"} <= set(s["rects"]))
        set_values(files, ["scanner.max_results=77"])  # someone else saves meanwhile
        w.wait("the changed-on-disk banner", lambda s: s["banner"].startswith("changed:") and "reload" in s["rects"])
        w.screenshot("changed-on-disk")
        w.click("reload")
        w.wait("reloaded, the edit kept", lambda s: "banner-changed" not in s["rects"] and "edits-1" in s["rects"])
        w.click("save")
        w.wait("the diff", lambda s: s["dialog"] == "diff" and "diff-confirm" in s["rects"])
        w.screenshot("diff-after-reload")
        w.click("diff-confirm")
        # Saved on top of the other change; the push has no stack to go to and says so.
        state = w.wait("the push refused with the fix", lambda s: s["banner"].startswith("error: push"), 60)
        assert "invoke deploy" in state["banner"], state["banner"]
        w.screenshot("saved-push-refused")
    data, _ = read(files)
    assert b"workers = 9" in data and b"max_results = 77" in data, "both the edit and the change on disk are kept"
