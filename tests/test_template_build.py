"""The baked app really builds: Go tests, Wails bindings, svelte-check, the front-end and Go builds.

Slow (a few minutes cold): it runs npm ci and compiles against WebKitGTK. It
needs Go, npm, the WebKitGTK development files and the pinned Wails CLI, and
installs the last two when missing (`invoke app.prereqs`); without Go or npm
it fails with the reason instead of skipping.
"""
from __future__ import annotations

import pytest

from traderadmin import appbuild, scaffold

STEPS = ["go test ./internal/...", "wails generate module", "npm ci", "svelte-check", "vite build", "go vet", "go build"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    made = scaffold.render(tmp_path_factory.mktemp("bake"), "TraderDesk")
    return made.path, appbuild.verify(made.path)


@pytest.mark.timeout(1500)
def test_every_build_step_passes(built):
    _, steps = built
    assert [s.name for s in steps] == STEPS


@pytest.mark.timeout(1500)
def test_wails_generated_typescript_models_from_the_go_structs(built):
    app, _ = built
    models = (app / "frontend" / "wailsjs" / "go" / "models.ts").read_text()
    for declaration in ("export namespace config", "export class View", "export class Section", "export class Field",
                        "export namespace main", "export class RenderReport"):
        assert declaration in models
    bound = (app / "frontend" / "wailsjs" / "go" / "main" / "App.d.ts").read_text()
    assert "export function View():Promise<config.View>;" in bound
    assert "export function Rendered(" in bound


@pytest.mark.timeout(1500)
def test_the_front_end_build_is_what_the_binary_embeds(built):
    app, _ = built
    page = (app / "frontend" / "dist" / "index.html").read_text()
    assert "<title>TraderDesk</title>" in page
    assert "/assets/" in page and "has not been built" not in page, "dist/ still holds the template's stand-in page"
