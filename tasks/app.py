"""Build, run and check the TraderAdmin desktop app (Wails) that `invoke bootstrap` scaffolds."""
from __future__ import annotations

from pathlib import Path

from invoke import Collection, Context

from ._common import ROOT, fail, print_json, task


# Defaults of the `app` config section; override them in invoke.yaml
# (app: {name: ..., output_dir: ...}) or with INVOKE_APP_* variables.
DEFAULTS = {"name": "TraderAdmin", "output_dir": "app", "smoke_dir": "reports/app-smoke"}


def setting(c: Context, key: str) -> str:
    """An `app` setting: the project config's if set, else the default (also for top-level tasks such as bootstrap)."""
    section = c.config.get("app") or {}
    return str(section.get(key, DEFAULTS[key]))


def project_relative(value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else ROOT / p


def resolve_app_dir(c: Context, path: str | None) -> Path:
    """--app-dir, else <app.output_dir>/<app.name> from the project config."""
    if path:
        return Path(path).resolve()
    return project_relative(setting(c, "output_dir")) / setting(c, "name")


@task(help={"smoke": "also install what `app.smoke` needs (Xvfb, xdotool, ImageMagick)"})
def prereqs(c, smoke=False):
    """Install what building the app needs when missing: GTK/WebKitGTK dev packages (Debian) and the Wails CLI."""
    from traderadmin.app import toolchain

    try:
        installed = toolchain.install_packages(toolchain.BUILD_PACKAGES) if toolchain.is_debian() else []
        if smoke:
            installed += toolchain.ensure_smoke_prerequisites()
        wails = toolchain.install_wails()
        tags = toolchain.build_tags()
    except toolchain.AppEnvError as exc:
        fail(exc)
    print(f"installed: {' '.join(installed) or 'nothing (all present)'}")
    print(f"wails {toolchain.WAILS_VERSION}: {wails}")
    print(f"build tags: {','.join(tags) or '(none)'}")


@task(
    default=True,
    help={
        "app-dir": "the scaffolded app (default: <app.output_dir>/<app.name>)",
        "clean": "wipe build/bin first",
        "json": "print the result as JSON",
    },
)
def build(c, app_dir=None, clean=False, json=False):
    """`wails build` the app with this machine's WebKitGTK build tag."""
    from traderadmin.app import build as app_build
    from traderadmin.app import toolchain

    try:
        result = app_build.build(resolve_app_dir(c, app_dir), clean=clean)
    except (app_build.AppBuildError, toolchain.AppEnvError) as exc:
        fail(exc, as_json=json)
    summary = {"binary": str(result.binary), "seconds": round(result.seconds, 1),
               "size_bytes": result.size_bytes, "tags": list(result.tags)}
    if json:
        print_json(summary)
    else:
        print(f"built {result.binary} in {result.seconds:.1f} s ({result.size_bytes / 1e6:.1f} MB, tags: {','.join(result.tags) or 'none'})")


@task(help={"app-dir": "the scaffolded app (default: <app.output_dir>/<app.name>)"})
def dev(c, app_dir=None):
    """`wails dev`: run the app with live reload of the front end."""
    from traderadmin.app import build as app_build
    from traderadmin.app import toolchain

    where = resolve_app_dir(c, app_dir)
    try:
        cmd, env = app_build.dev_command(where)
    except (app_build.AppBuildError, toolchain.AppEnvError) as exc:
        fail(exc)
    import subprocess

    from invoke import Exit

    # An argv, not a shell line: paths with spaces stay whole on every platform.
    code = subprocess.run(cmd, cwd=where, env=env).returncode
    if code:
        raise Exit(code=code)


@task(help={"app-dir": "the scaffolded app (default: <app.output_dir>/<app.name>)", "json": "print the steps as JSON"})
def check(c, app_dir=None, json=False):
    """Go tests, bindings, svelte-check, component tests (vitest) and both builds of the app, short of packaging."""
    from traderadmin.app import build as app_build
    from traderadmin.app import toolchain

    try:
        steps = app_build.verify(resolve_app_dir(c, app_dir))
    except (app_build.AppBuildError, toolchain.AppEnvError) as exc:
        fail(exc, as_json=json)
    if json:
        print_json([{"step": s.name, "seconds": s.seconds} for s in steps])
    else:
        for s in steps:
            print(f"ok  {s.name:<24} {s.seconds:6.1f} s")


@task(
    help={
        "app-dir": "the scaffolded app (default: <app.output_dir>/<app.name>)",
        "out-dir": "where the screenshot, app log and result.json go (default: app.smoke_dir)",
        "no-build": "use the binary already in build/bin",
        "timeout": "how long to wait for the window to render: 90, 90s, 2m (default 90 s)",
        "json": "print the result as JSON",
    }
)
def smoke(c, app_dir=None, out_dir=None, no_build=False, timeout=90, json=False):
    """Build the app, open it under Xvfb, screenshot it, and check it drew the config tabs."""
    from traderadmin.app import build as app_build
    from traderadmin.app import smoke as app_smoke
    from traderadmin.app import toolchain, xdisplay

    out = project_relative(out_dir or setting(c, "smoke_dir"))
    schema = Path(c.config.traderadmin.schema_path)
    schema = schema if schema.is_absolute() else ROOT / schema
    try:
        result = app_smoke.run(resolve_app_dir(c, app_dir), schema, out, build=not no_build, timeout=float(timeout))
    except (app_build.AppBuildError, toolchain.AppEnvError, app_smoke.SmokeError, xdisplay.DisplayError) as exc:
        fail(exc, as_json=json)
    if json:
        print_json(result.as_dict())
    else:
        print(f"window {result.window_title!r} {result.window_size}, {result.rendered.get('tabs')} tabs, "
              f"{result.rendered.get('fields')} fields, {result.colours} colours, rendered in {result.seconds_to_render} s")
        if result.build_seconds is not None:
            print(f"build {result.build_seconds} s, binary {result.binary_bytes / 1e6:.1f} MB")
        print(f"screenshot: {result.screenshot or '(none)'}")
        for problem in result.problems:
            print(f"FAIL: {problem}")
    if not result.ok:
        from invoke import Exit

        raise Exit(code=1)


ns = Collection("app", prereqs, build, dev, check, smoke)
ns.configure({"app": DEFAULTS})
