"""What every task module shares: the project's paths and how errors reach the user."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from invoke import Context, Exit

from ._cli import SAFETY_FLAGS, Task, is_duration, long_flag, task  # noqa: F401  (every task module's `task`)

ROOT = Path(__file__).resolve().parent.parent

CONTEXT_HELP = (
    "Kube context of the cluster to use: one you already run (kind-NAME, k3d-NAME, a minikube profile, "
    "rancher-desktop, orbstack), docker-desktop, or any other together with --registry. The toolkit never "
    "starts or stops a cluster it does not own. Default: traderadmin.context in invoke.yaml "
    "(INVOKE_TRADERADMIN_CONTEXT), else the provider's own context."
)
REGISTRY_HELP = (
    "HOST[:PORT]/PREFIX of a registry the cluster pulls from (e.g. localhost:5000/traderadmin): the images are "
    "pushed there and the pods run the pushed references, instead of being loaded into the cluster. Needed for a "
    "cluster the toolkit does not recognise. Default: traderadmin.registry (INVOKE_TRADERADMIN_REGISTRY)."
)


def check_names(provider: str | None = None, flavor: str | None = None) -> None:
    """A typo in --provider or --flavor is refused before anything runs: exit 2, with the name it was likely
    meant to be (UsageError, shown by the Task wrapper)."""
    from traderadmin.cli.args import choice

    if provider:
        from traderadmin.cluster.providers import PROVIDERS

        choice(provider, "--provider", ["auto", *PROVIDERS])
    if flavor:
        from traderadmin.localcluster.flavors import FLAVORS

        choice(flavor, "--flavor", list(FLAVORS))


def project_path(c: Context, key: str) -> Path:
    """A path from the `traderadmin` config section, relative paths taken from the project root."""
    p = Path(c.config.traderadmin[key])
    return p if p.is_absolute() else ROOT / p


def config_files(c: Context, path: str | None = None):
    from traderadmin.config import ConfigFiles

    cfg = Path(path) if path else project_path(c, "config_path")
    return ConfigFiles(cfg, project_path(c, "schema_path"), int(c.config.traderadmin.backups_kept))


def cluster_choice(c: Context, context: str | None = None, registry: str | None = None) -> tuple[str | None, str]:
    """--context and --registry, each defaulting to the invoke config (traderadmin.context, traderadmin.registry)."""
    settings = c.config.traderadmin
    return context or settings.context or None, registry or settings.registry or ""


def target(c: Context, as_json: bool = False, context: str | None = None, registry: str | None = None):
    """The provider, its status, and an API handle for the cluster --context names (else the configured provider's)."""
    from traderadmin.cluster.providers import get_provider, unreachable
    from traderadmin.errors import ToolkitError
    from traderadmin.kube.sdk import connect

    context, registry = cluster_choice(c, context, registry)
    try:
        provider = get_provider(c.config.traderadmin.provider, context=context, registry=registry)
        status = provider.status()
        if not status.reachable:
            raise unreachable(provider, status.detail)
        return provider, status, connect(provider.context)
    except ToolkitError as e:
        fail(e, as_json)


def seconds(c: Context, flag_value: Any, setting: str) -> float:
    """A duration from its flag (already read, in seconds), else from traderadmin.<setting> (invoke.yaml or
    INVOKE_TRADERADMIN_<SETTING>), which may carry units too; a bad setting is a UsageError naming it."""
    from traderadmin.cli.args import duration

    if flag_value is not None:
        return duration(flag_value, "--timeout")
    return duration(c.config.traderadmin[setting],
                    f"traderadmin.{setting} (invoke.yaml or INVOKE_TRADERADMIN_{setting.upper()})")


def build_reporter():
    """How image builds inside a longer task report: plain lines when stderr is no terminal (CI logs, pipes),
    nothing on a terminal, where the task's own progress lines already show each phase."""
    if sys.stderr.isatty():
        return None
    from traderadmin.images.progress import PlainReporter

    return PlainReporter()


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def fail(error: Exception, as_json: bool = False, wrote_nothing: bool = True, note: str | None = None,
         saved: Any = None) -> NoReturn:
    """Report a library error the way people (or scripts, with --json) read it, and exit non-zero.

    `note` says what the command did write before it stopped (the caller knows; the error does not), and
    `saved` is the local SaveResult of such a write.
    """
    from traderadmin.config import ConfigInvalid

    if as_json:
        issues = getattr(error, "issues", [])
        payload: dict[str, Any] = {"ok": False, "error": str(error).splitlines()[0],
                                   "issues": [{"key": i.key, "message": i.message, "fix": i.fix} for i in issues]}
        if note:
            payload["note"] = note
        if saved is not None:
            from traderadmin.config import backup_id

            payload["local_saved"] = {"path": str(saved.path), "sha256": saved.new_sha256,
                                      "backup_id": backup_id(saved.backup) if saved.backup else None}
        print_json(payload)
        raise Exit(code=_exit_code(error))
    from rich.markup import escape

    err = stderr_console()
    if isinstance(error, ConfigInvalid):
        tail = "; nothing was written" if wrote_nothing else ""
        err.print(f"[bold red]✗[/] {escape(error.source)} is invalid{tail}:")
        for i in error.issues:
            err.print(f"  [bold]{escape(i.key)}[/]: {escape(i.message)}")
            if i.fix:
                err.print(f"      fix: {escape(i.fix)}")
    else:
        err.print(f"[bold red]✗[/] {escape(str(error))}")
    if note:
        err.print(f"  [bold yellow]note[/]: {escape(note)}")
    raise Exit(code=_exit_code(error))


def _exit_code(error: Exception) -> int:
    """2 for wrong input (the config, a flag), 1 when the system is in the way."""
    from traderadmin.config import ConfigInvalid

    return 2 if isinstance(error, ConfigInvalid) else int(getattr(error, "exit_code", 1))


def stdout_console():
    """Rich output. On a terminal, its width; piped (CI logs, scripts, `| grep`), $COLUMNS when set, else as
    wide as each line needs: tables are neither squeezed to 80 columns nor padded to a fixed width."""
    return _console(sys.stdout, stderr=False)


def stderr_console():
    """Like stdout_console, for messages and progress on stderr."""
    return _console(sys.stderr, stderr=True)


def _console(stream, stderr: bool):
    from rich.console import Console

    if stream.isatty() or os.environ.get("COLUMNS", "").isdigit():
        return Console(stderr=stderr, highlight=False)
    return Console(stderr=stderr, highlight=False, width=_UNBOUNDED, soft_wrap=False)


_UNBOUNDED = 100_000  # rich needs a width; tables (expand=False) take only what their cells need
