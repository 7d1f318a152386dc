"""Baking template/: good names give a complete app, bad names are refused before anything is written."""
from __future__ import annotations

import json
import re
import subprocess

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from traderadmin.app import scaffold

TEMPLATE = scaffold.TEMPLATE_DIR
PROJECT = TEMPLATE / "{{cookiecutter.app_name}}"
GOOD_NAMES = ["TraderAdmin", "DeskTwo", "trader_admin-2"]
BAD_NAMES = ["", "1Trader", "Trader Admin", "../evil", "Träder", "a" * 65, "Trader.Admin", "Trader/Admin",
             '"; import os #', "{{ 7*7 }}"]
# Files whose braces belong to Svelte, TypeScript or Go, not to Jinja.
VERBATIM = [p.relative_to(PROJECT) for p in sorted((PROJECT / "frontend" / "src").rglob("*")) if p.is_file()] + [
    p.relative_to(PROJECT) for p in sorted((PROJECT / "internal").rglob("*")) if p.is_file()
] + [p.relative_to(PROJECT) for p in sorted((PROJECT / "console").rglob("*")) if p.is_file()]


@pytest.fixture(params=GOOD_NAMES)
def baked(request, tmp_path) -> scaffold.Scaffolded:
    return scaffold.render(tmp_path, request.param)


def test_the_app_is_named_everywhere(baked):
    app = baked.path
    wails = json.loads((app / "wails.json").read_text())
    assert (wails["name"], wails["outputfilename"]) == (baked.name, baked.name)
    assert f'Title:       "{baked.name}"' in (app / "main.go").read_text()
    assert (app / "go.mod").read_text().startswith(f"module {baked.name.lower()}\n")
    assert f'"{baked.name.lower()}/internal/config"' in (app / "main.go").read_text()
    assert f"<title>{baked.name}</title>" in (app / "frontend" / "index.html").read_text()


def test_no_jinja_is_left_and_no_template_tooling_is_copied(baked):
    for path in baked.path.rglob("*"):
        if path.is_file():
            assert "cookiecutter" not in path.read_text(encoding="utf-8"), path
    assert not (baked.path / "hooks").exists()
    assert not (baked.path / "wails-cli").exists()


def test_svelte_typescript_and_go_braces_survive(baked):
    for rel in VERBATIM:
        assert (baked.path / rel).read_bytes() == (PROJECT / rel).read_bytes(), f"{rel} was changed by rendering"
    app_svelte = (baked.path / "frontend" / "src" / "App.svelte").read_text()
    for svelte_syntax in ("{#each form.tabs ?? [] as t (t.name)}", "{/each}", "{#if form}", "{/if}", "{#snippet actions()}",
                          "{/snippet}"):
        assert svelte_syntax in app_svelte
    assert "{@render children()}" in (baked.path / "frontend" / "src" / "lib" / "Dialog.svelte").read_text()
    # Rendered by Jinja (outside _copy_without_render) yet it must come out unchanged.
    for rel in ("frontend/vitest.config.ts", "frontend/package.json"):
        assert (baked.path / rel).read_bytes() == (PROJECT / rel).read_bytes(), f"{rel} was changed by rendering"
    assert "[]ViewProblem{{Path:" in (baked.path / "console" / "view_test.go").read_text()


def test_the_console_tests_judge_the_repositorys_schema():
    """The back end's Go tests run in a rendered app, away from config/; their copy must not drift."""
    assert (PROJECT / "console" / "testdata" / "schema.json").read_bytes() == (scaffold.CONTRACT_DIR.parent.parent / "config" / "schema.json").read_bytes()


def test_the_app_gets_an_exact_copy_of_the_config_contract(baked):
    """The app judges its config with contract/go, the scanner's module, copied in byte for byte."""
    source = scaffold.CONTRACT_DIR
    copy = baked.path / scaffold.CONTRACT_IN_APP
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    assert (source / "go.mod").is_file() and files
    assert sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file()) == files
    for rel in files:
        assert (copy / rel).read_bytes() == (source / rel).read_bytes(), f"{rel} differs from contract/go"
    assert "replace traderadmin.local/configcontract => ./third_party/configcontract" in (baked.path / "go.mod").read_text()


def test_a_rerender_replaces_the_copy_of_the_config_contract(tmp_path):
    first = scaffold.render(tmp_path, "TraderAdmin")
    stale = first.path / scaffold.CONTRACT_IN_APP / "stale.go"
    stale.write_text("package configcontract\n")
    again = scaffold.render(tmp_path, "TraderAdmin", overwrite=True)
    assert not (again.path / scaffold.CONTRACT_IN_APP / "stale.go").exists()


def test_git_init_starts_the_plan_branch(tmp_path):
    made = scaffold.render(tmp_path, "TraderAdmin", git_init=True)
    branch = subprocess.run(["git", "symbolic-ref", "--short", "HEAD"], cwd=made.path, capture_output=True, text=True, check=True)
    assert made.git_initialised
    assert branch.stdout.strip() == scaffold.GIT_BRANCH


def test_no_git_repository_unless_asked(tmp_path):
    made = scaffold.render(tmp_path, "TraderAdmin")
    assert not made.git_initialised
    assert not (made.path / ".git").exists()


@pytest.mark.parametrize("name", BAD_NAMES)
def test_scaffold_refuses_a_bad_name_clearly(tmp_path, name):
    with pytest.raises(scaffold.ScaffoldError, match="start with a letter"):
        scaffold.render(tmp_path / "out", name)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("name", ["1Trader", "Trader Admin", "Träder", "Trader.Admin", "a" * 65, "Trader$Admin"])
def test_the_template_hook_refuses_a_bad_name_on_its_own(tmp_path, capfd, name):
    """People who run cookiecutter on template/ directly get the same rule from pre_gen_project."""
    out = tmp_path / "out"
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context={"app_name": name}, output_dir=str(out))
    assert "is not usable: start with a letter" in capfd.readouterr().err
    assert not out.exists() or not any(out.iterdir()), "the half-made app was left behind"


def test_the_hook_refuses_a_bad_module_path(tmp_path, capfd):
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path),
                     extra_context={"module_path": "Example.com/Trader Admin"})
    assert "is not a Go module path" in capfd.readouterr().err


def test_hook_and_library_share_one_name_rule():
    hook = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text()
    assert f're.compile(r"{scaffold.NAME_RULE.pattern}")' in hook


def test_an_existing_app_is_not_overwritten(tmp_path):
    scaffold.render(tmp_path, "TraderAdmin")
    with pytest.raises(scaffold.ScaffoldError, match="already exists"):
        scaffold.render(tmp_path, "TraderAdmin")


def test_template_pins_its_front_end_dependencies():
    package = json.loads((PROJECT / "frontend" / "package.json").read_text())
    lock = json.loads((PROJECT / "frontend" / "package-lock.json").read_text())
    for name, version in package["devDependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not an exact version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
