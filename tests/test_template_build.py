"""The baked app really builds (Go tests, Wails bindings, svelte-check, the front end's component
tests, the front-end and Go builds) and judges the shared config vectors like the toolkit and the services.

Slow (a few minutes cold): it runs npm ci and compiles against WebKitGTK. It
needs Go, npm, the WebKitGTK development files and the pinned Wails CLI, and
installs the last two when missing (`invoke app.prereqs`); without Go or npm
it fails with the reason instead of skipping.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from traderadmin.app import build as app_build
from traderadmin.app import scaffold

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "config" / "schema.json"
VECTORS = ROOT / "tests" / "vectors"

STEPS = ["go test ./internal/...", "go test ./console/...", "go vet ./console/...", "wails generate module", "npm ci", "svelte-check", "vitest", "vite build", "go vet", "go build"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    made = scaffold.render(tmp_path_factory.mktemp("bake"), "TraderDesk")
    return made.path, app_build.verify(made.path)


@pytest.mark.timeout(1500)
def test_every_build_step_passes(built):
    _, steps = built
    assert [s.name for s in steps] == STEPS


@pytest.mark.timeout(1500)
def test_a_name_with_dash_and_underscore_builds_too(tmp_path):
    """The name reaches the Go module path, wails.json, package.json and the window title."""
    made = scaffold.render(tmp_path, "trader_admin-2")
    assert [s.name for s in app_build.verify(made.path)] == STEPS
    assert json.loads((made.path / "wails.json").read_text())["name"] == "trader_admin-2"


@pytest.mark.timeout(1500)
def test_wails_generated_typescript_models_from_the_go_structs(built):
    app, _ = built
    models = (app / "frontend" / "wailsjs" / "go" / "models.ts").read_text()
    for declaration in ("export class View", "export class ViewSection", "export class ViewField",
                        "export namespace main", "export class RenderReport"):
        assert declaration in models
    bound = (app / "frontend" / "wailsjs" / "go" / "main" / "App.d.ts").read_text()
    assert "export function View():Promise<console.View>;" in bound
    assert "export function Rendered(" in bound
    # The admin console's back end: form and judgement (console), push and services (cluster).
    for declaration in ("export namespace console", "export class Form", "export class Field", "export class Judgement",
                        "export class UIState", "export namespace cluster", "export class PushResult",
                        "export class ServiceConfirm", "export class Service", "export class Info"):
        assert declaration in models, declaration
    for signature in ("export function Form():Promise<console.Form>;",
                      "export function Check(arg1:{[key: string]: any}):Promise<console.Judgement>;",
                      "export function Save(arg1:{[key: string]: any},arg2:string,arg3:boolean):Promise<console.SaveResult>;",
                      "export function Push(arg1:boolean):Promise<cluster.PushResult>;",
                      "export function Services():Promise<Array<cluster.Service>>;",
                      "export function ReportUI(arg1:console.UIState):Promise<void>;"):
        assert signature in bound, signature


@pytest.mark.timeout(1500)
def test_the_front_end_build_is_what_the_binary_embeds(built):
    app, _ = built
    page = (app / "frontend" / "dist" / "index.html").read_text()
    assert "<title>TraderDesk</title>" in page
    assert "/assets/" in page and "has not been built" not in page, "dist/ still holds the template's stand-in page"


@pytest.fixture(scope="module")
def configview(built, tmp_path_factory):
    """The app's own config judge (cmd/configview), built without cgo."""
    app, _ = built
    binary = tmp_path_factory.mktemp("bin") / "configview"
    subprocess.run(["go", "build", "-o", str(binary), "./cmd/configview"], cwd=app, check=True,
                   env={**os.environ, "CGO_ENABLED": "0"}, capture_output=True, text=True)
    return binary


def judge(configview: Path, vector: Path) -> tuple[int, list[str]]:
    proc = subprocess.run([str(configview), "-config", str(vector), "-schema", str(SCHEMA)], capture_output=True, text=True)
    paths = [p["path"] for p in json.loads(proc.stdout)["problems"]] if proc.returncode != 1 else ["<syntax>"]
    return proc.returncode, paths


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("vector", sorted((VECTORS / "valid").glob("*.toml")), ids=lambda p: p.stem)
def test_the_app_accepts_every_valid_shared_vector(configview, vector):
    assert judge(configview, vector) == (0, [])


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("vector", sorted((VECTORS / "invalid").glob("*.toml")), ids=lambda p: p.stem)
def test_the_app_flags_every_invalid_shared_vector_at_the_expected_key(configview, vector):
    """The desktop app judges the shared vectors like the toolkit and the services do."""
    # Some vectors are deliberately not UTF-8, or start with a byte-order mark; only their first line is read here.
    expected = vector.read_bytes().splitlines()[0].decode().removeprefix("\ufeff").removeprefix("# expect:").strip()
    code, paths = judge(configview, vector)
    assert code in (1, 2)
    assert any(p == expected or p.startswith(expected + ".") for p in paths), f"expected {expected}, the app flagged {paths}"
