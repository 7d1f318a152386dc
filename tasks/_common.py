"""What every task module shares: the project's paths and how errors reach the user."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from invoke import Context, Exit

ROOT = Path(__file__).resolve().parent.parent


def project_path(c: Context, key: str) -> Path:
    """A path from the `traderadmin` config section, relative paths taken from the project root."""
    p = Path(c.config.traderadmin[key])
    return p if p.is_absolute() else ROOT / p


def config_files(c: Context, path: str | None = None):
    from traderadmin.config import ConfigFiles

    cfg = Path(path) if path else project_path(c, "config_path")
    return ConfigFiles(cfg, project_path(c, "schema_path"), int(c.config.traderadmin.backups_kept))


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def fail(error: Exception, as_json: bool = False, wrote_nothing: bool = True) -> NoReturn:
    """Report a library error the way people (or scripts, with --json) read it, and exit non-zero."""
    from traderadmin.config import ConfigInvalid

    if as_json:
        issues = getattr(error, "issues", [])
        print_json({"ok": False, "error": str(error).splitlines()[0],
                    "issues": [{"key": i.key, "message": i.message, "fix": i.fix} for i in issues]})
        raise Exit(code=2 if isinstance(error, ConfigInvalid) else 1)
    from rich.console import Console
    from rich.markup import escape

    err = Console(stderr=True, highlight=False)
    if isinstance(error, ConfigInvalid):
        tail = "; nothing was written" if wrote_nothing else ""
        err.print(f"[bold red]✗[/] {escape(error.source)} is invalid{tail}:")
        for i in error.issues:
            err.print(f"  [bold]{escape(i.key)}[/]: {escape(i.message)}")
            if i.fix:
                err.print(f"      fix: {escape(i.fix)}")
        raise Exit(code=2)
    err.print(f"[bold red]✗[/] {escape(str(error))}")
    raise Exit(code=1)


def stdout_console():
    """Rich output; when piped (CI logs, scripts) tables get room instead of an 80-column squeeze."""
    from rich.console import Console

    tty = sys.stdout.isatty()
    return Console(highlight=False, width=None if tty else 160)
