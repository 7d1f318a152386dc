"""Bring the Kubernetes cluster up or down and show its state (providers: local, docker-desktop)."""
from invoke import task


def _console():
    from rich.console import Console

    return Console(stderr=True)


@task(
    help={
        "provider": "auto, local (build and run Kubernetes on this Linux host) or docker-desktop; default traderadmin.provider (auto)",
    }
)
def up(c, provider=None):
    """Start the cluster (idempotent: seconds when it already runs) and wait until its node is Ready."""
    import time

    from traderadmin.cluster import providers

    console = _console()
    started = time.monotonic()
    try:
        name, why = providers.resolve_provider_name(provider or c.config.traderadmin.provider)
        console.print(f"Provider [bold]{name}[/bold] ({why})")
        chosen = providers.get_provider(name)
        with console.status("starting", spinner="dots") as status:
            result = chosen.up(progress=status.update, log=console.log)
    except providers.ProviderError as exc:
        console.print(f"[red]cluster.up failed:[/red] {exc}")
        raise SystemExit(1)
    console.print(
        f"[green]Ready[/green]: {result.provider}{' (' + result.mode + ')' if result.mode else ''}, "
        f"context {result.context}, nodes {', '.join(result.nodes)} ({time.monotonic() - started:.1f} s)"
    )


@task(help={"provider": "auto, local or docker-desktop; default traderadmin.provider (auto)"})
def down(c, provider=None):
    """Stop the cluster: every component and pod, mounts and network rules (local provider)."""
    from traderadmin.cluster import providers

    console = _console()
    try:
        chosen = providers.get_provider(provider or c.config.traderadmin.provider)
        with console.status("stopping", spinner="dots") as status:
            message = chosen.down(progress=status.update)
    except (providers.ProviderError, RuntimeError) as exc:
        console.print(f"[red]cluster.down failed:[/red] {exc}")
        raise SystemExit(1)
    console.print(message)


@task(help={"provider": "auto, local or docker-desktop; default traderadmin.provider (auto)", "json": "print the status as JSON"})
def status(c, provider=None, json=False):
    """Show the provider, node readiness and (local) each component with its memory; exit 1 if not Ready."""
    import json as jsonlib

    from traderadmin.cluster import providers

    try:
        result = providers.get_provider(provider or c.config.traderadmin.provider).status()
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
