"""What every task module shares: the project's paths and how errors reach the user."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from invoke import Context, Exit

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
    from traderadmin.cluster.providers import ProviderError, get_provider
    from traderadmin.errors import ToolkitError
    from traderadmin.kube import connect

    context, registry = cluster_choice(c, context, registry)
    try:
        provider = get_provider(c.config.traderadmin.provider, context=context, registry=registry)
        status = provider.status()
        if not status.reachable:
            again = f"invoke cluster.up --context {context}" if context else "invoke cluster.up"
            raise ProviderError(f"the cluster of context {provider.context} ({provider.name} provider) does not answer: "
                                f"{status.detail}. Bring it up with `{again}`")
        return provider, status, connect(provider.context)
    except ToolkitError as e:
        fail(e, as_json)


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
