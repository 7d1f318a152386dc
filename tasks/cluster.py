"""Bring the Kubernetes cluster up or down and show its state (providers: local, docker-desktop, or --context)."""

from ._common import CONTEXT_HELP, REGISTRY_HELP, cluster_choice, task

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
    from rich.console import Console

    return Console(stderr=True)


@task(
    help={
        "provider": "auto, local (build and run Kubernetes on this Linux host) or docker-desktop; default traderadmin.provider (auto)",
        "flavor": _FLAVOR_HELP,
        "context": CONTEXT_HELP + " A cluster of your own is only checked: cluster.up says how to start it when it does not answer.",
        "registry": _UP_REGISTRY_HELP,
    }
)
def up(c, provider=None, flavor=None, context=None, registry=None):
    """Start the cluster (idempotent: seconds when it already runs) and wait until its node is Ready."""
    import time

    from traderadmin.cluster import providers

    console = _console()
    started = time.monotonic()
    context, registry = cluster_choice(c, context, registry)
    try:
        chosen, why = providers.choose_provider(provider or ("local" if flavor else c.config.traderadmin.provider),
                                                flavor, context, registry)
        console.print(f"Provider [bold]{chosen.name}[/bold] ({why})")
        with console.status("starting", spinner="dots") as status:
            result = chosen.up(progress=status.update, log=console.log)
    except providers.ProviderError as exc:
        console.print(f"[red]cluster.up failed:[/red] {exc}")
        raise SystemExit(1)
    console.print(
        f"[green]Ready[/green]: {result.provider}{' (' + result.mode + ')' if result.mode else ''}, "
        f"context {result.context}, nodes {', '.join(result.nodes)} ({time.monotonic() - started:.1f} s)"
    )


@task(help={"provider": "auto, local or docker-desktop; default traderadmin.provider (auto). "
                        "`--provider local` stops the local cluster whichever flavor it runs",
            "context": CONTEXT_HELP})
def down(c, provider=None, context=None):
    """Stop the cluster: every component and pod, mounts and network rules (local provider, any flavor); a cluster of your own keeps running."""
    from traderadmin.cluster import providers

    console = _console()
    context, registry = cluster_choice(c, context)
    try:
        chosen = providers.get_provider(provider or c.config.traderadmin.provider, context=context, registry=registry)
        with console.status("stopping", spinner="dots") as status:
            message = chosen.down(progress=status.update)
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
        from rich.console import Console
        from rich.table import Table

        console = Console()
        mode = f" ({result.mode})" if result.mode else ""
        state = "[green]Ready[/green]" if result.node_ready else "[red]not Ready[/red]"
        console.print(f"{result.provider}{mode}, context {result.context}: {state} — {result.detail}")
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
