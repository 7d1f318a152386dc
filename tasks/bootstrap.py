"""`invoke bootstrap`: scaffold the desktop app, create the config, check the machine."""
from __future__ import annotations

from ._common import config_files, fail, stdout_console, task
from .app import project_relative, setting


@task(
    help={
        "name": "the app's name: folder, binary and window title (default: app.name, TraderAdmin)",
        "output-dir": "folder the app is created in (default: app.output_dir, app/ in the project)",
        "no-input": "take every template value from flags and defaults instead of prompting",
        "git-init": "make the app its own git repository on branch feature/backend-setup",
    }
)
def bootstrap(c, name=None, output_dir=None, no_input=False, git_init=False):
    """Render the TraderAdmin app from template/, create config/config.toml from the schema if missing, run doctor."""
    from traderadmin.app import scaffold
    from traderadmin.config import ConfigError, init_config

    out = project_relative(output_dir or setting(c, "output_dir"))
    app_name = name or setting(c, "name")
    console = stdout_console()
    try:
        scaffold.check_name(app_name)
        if (out / app_name).exists():
            console.print(f"[green]✓[/] app {out / app_name} exists: kept as it is")
        else:
            made = scaffold.render(out, app_name, no_input=no_input, git_init=git_init)
            branch = f" (git repository on {scaffold.GIT_BRANCH})" if made.git_initialised else ""
            console.print(f"[green]✓[/] rendered {made.path}{branch}")
    except scaffold.ScaffoldError as exc:
        fail(exc)

    files = config_files(c)
    if files.config.exists():
        console.print(f"[green]✓[/] config {files.config} exists: kept as it is")
    else:
        try:
            result = init_config(files)
        except ConfigError as exc:
            fail(exc)
        console.print(f"[green]✓[/] wrote {result.path} from the schema's defaults (sha256 {result.new_sha256[:12]})")

    from .doctor import doctor

    try:
        doctor(c)
    except SystemExit as verdict:
        # Right after bootstrap the cluster is often not up yet; doctor's
        # table says what to fix, and bootstrap itself has succeeded.
        if verdict.code:
            console.print("[yellow]![/] doctor found required checks failing (see the table): fix them, then run `invoke doctor`")
    console.print(f"next: invoke app.build --app-dir {out / app_name}")
