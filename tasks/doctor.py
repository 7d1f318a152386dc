"""Check this machine: toolkit packages, Docker, the cluster, and the desktop app's tools."""

from ._common import CONTEXT_HELP, task


@task(help={"context": CONTEXT_HELP + " doctor checks that cluster instead of the one --provider auto picks.",
            "json": "print the checks as JSON"})
def doctor(c, context=None, json=False):
    """Run every check and show a table with the fix for each failing row; exit 1 if a required check fails."""
    import json as jsonlib

    from traderadmin import doctor as checks

    from ._common import cluster_choice, project_path

    context, registry = cluster_choice(c, context)
    results = checks.run_checks(checks.checks_for(context, registry, project_path(c, "config_path"),
                                                  bool(c.config.traderadmin.host_network)))
    if json:
        print(jsonlib.dumps([r.as_dict() for r in results], indent=2))
    else:
        from rich.table import Table

        from ._common import stdout_console

        colour = {"ok": "green", "warn": "yellow", "FAIL": "red"}
        table = Table("check", "for", "status", "detail", "fix")
        for r in results:
            table.add_row(r.name, r.group, f"[{colour[r.status]}]{r.status}[/]", r.detail, r.fix)
        stdout_console().print(table)
    raise SystemExit(checks.exit_code(results))
