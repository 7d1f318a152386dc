"""Bring the Kubernetes cluster up or down and show its state (providers: local, docker-desktop, or --context)."""
import contextlib
from typing import Callable, Iterator

from ._common import CONTEXT_HELP, REGISTRY_HELP, check_names, cluster_choice, task

_FLAVOR_HELP = (
    "Local provider only: which cluster the local one stands in for. plain: our own containerd, node named after "
    "the host, context traderadmin-local. kubeadm: Docker Desktop's kubeadm mode (Docker Engine + cri-dockerd, "
    "node and context docker-desktop, root-owned 0755 hostpath volumes under /var/lib/k8s-pvs). kind: Docker "
    "Desktop's kind mode (containerd node desktop-control-plane pulling through a mirror of the Docker Engine, "
    "which is switched to the containerd image store; local-path classes standard and hostpath). With kubeadm "
    "and kind the toolkit sees Docker Desktop. Default: the flavor this host ran last (plain the first time)."
)
_UP_REGISTRY_HELP = REGISTRY_HELP + " With it, cluster.up accepts a cluster the toolkit does not recognise."


def _console():
    from ._common import stderr_console

    return stderr_console()


@contextlib.contextmanager
def _activity(console, first: str) -> Iterator[tuple[Callable[[str], None], Callable[[str], None]]]:
    """(progress, log) callbacks for long work: a spinner on a terminal; in CI logs and pipes, where a spinner
    prints nothing, one plain timestamped line per step and a heartbeat while a step runs long."""
    if console.is_terminal:
        with console.status(first, spinner="dots") as status:
            yield status.update, console.log
        return
    from traderadmin.cli.progress import PlainProgress

    with PlainProgress() as lines:
        lines(first)
        yield lines, lines


@task(
    help={
        "provider": "auto, local (build and run Kubernetes on this Linux host) or docker-desktop; default traderadmin.provider (auto)",
        "flavor": _FLAVOR_HELP,
        "context": CONTEXT_HELP + " A cluster of your own is only checked: cluster.up says how to start it when it does not answer.",
        "registry": _UP_REGISTRY_HELP,
        "json": "print the cluster's status as JSON when it is Ready (progress still goes to stderr)",
    }
)
def up(c, provider=None, flavor=None, context=None, registry=None, json=False):
    """Start the cluster (idempotent: seconds when it already runs) and wait until its node is Ready."""
    import time

    from traderadmin.cluster import providers

    from ._common import fail, print_json

    check_names(provider, flavor)
    console = _console()
    started = time.monotonic()
    context, registry = cluster_choice(c, context, registry)
    try:
        chosen, why = providers.choose_provider(provider or ("local" if flavor else c.config.traderadmin.provider),
                                                flavor, context, registry)
        console.print(f"Provider [bold]{chosen.name}[/bold] ({why})")
        with _activity(console, "starting") as (progress, log):
            result = chosen.up(progress=progress, log=log)
    except providers.ProviderError as exc:
        fail(providers.ProviderError(f"cluster.up failed: {exc}"), json)
    seconds = time.monotonic() - started
    if json:
        print_json({"ok": True, **result.as_dict(), "seconds": round(seconds, 1)})
        return result.as_dict()
    console.print(
        f"[green]Ready[/green]: {result.provider}{' (' + result.mode + ')' if result.mode else ''}, "
        f"context {result.context}, nodes {', '.join(result.nodes)} ({seconds:.1f} s)"
    )
    return result.as_dict()


@task(help={"provider": "auto, local or docker-desktop; default traderadmin.provider (auto). "
                        "`--provider local` stops the local cluster whichever flavor it runs",
            "context": CONTEXT_HELP})
def down(c, provider=None, context=None):
    """Stop the cluster: every component and pod, mounts and network rules (local provider, any flavor); a cluster of your own keeps running."""
    from traderadmin.cluster import providers

    check_names(provider)
    console = _console()
    context, registry = cluster_choice(c, context)
    try:
        chosen = providers.get_provider(provider or c.config.traderadmin.provider, context=context, registry=registry)
        with _activity(console, "stopping") as (progress, _):
            message = chosen.down(progress=progress)
    except (providers.ProviderError, RuntimeError) as exc:
        console.print(f"[red]cluster.down failed:[/red] {exc}")
        raise SystemExit(1)
    console.print(message)


@task(help={"provider": "auto, local or docker-desktop; default traderadmin.provider (auto)",
            "flavor": "local provider only: the flavor to report on (default: the one running)",
            "context": CONTEXT_HELP,
            "json": "print the status as JSON"})
def status(c, provider=None, flavor=None, context=None, json=False):
    """Show the provider (as the cluster is recognised), its mode, node readiness and (local) each component; exit 1 if not Ready."""
    import json as jsonlib

    from traderadmin.cluster import providers

    check_names(provider, flavor)
    context, registry = cluster_choice(c, context)
    try:
        result = providers.get_provider(provider or ("local" if flavor else c.config.traderadmin.provider), flavor,
                                        context, registry).status()
    except providers.ProviderError as exc:
        _console().print(f"[red]{exc}[/red]")
        raise SystemExit(1)
    if json:
        print(jsonlib.dumps(result.as_dict(), indent=2))
    else:
        from rich.markup import escape
        from rich.table import Table

        from ._common import stdout_console

        console = stdout_console()
        mode = f" ({result.mode})" if result.mode else ""
        state = "[green]Ready[/green]" if result.node_ready else "[red]not Ready[/red]"
        console.print(f"{result.provider}{mode}, context {result.context}: {state} — {escape(result.detail)}")
        if result.fix:
            console.print(f"  fix: {escape(result.fix)}")
        for problem in result.problems:
            console.print(f"[yellow]! {problem}[/yellow]")
        components = result.extra.get("components") or []
        if components:
            table = Table("component", "pid", "healthy", "RSS MiB", "log")
            for row in components:
                table.add_row(row["name"], str(row["pid"] or "-"), "yes" if row["healthy"] else "[red]no[/red]",
                              f"{row['rss_mib']:.0f}", row["log"])
            console.print(table)
            console.print(f"Cluster processes together: {result.extra['rss_mib_total']:.0f} MiB resident")
    if not result.node_ready:
        raise SystemExit(1)
