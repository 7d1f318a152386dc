"""Check this machine: toolkit packages, Docker, the cluster, and the desktop app's tools."""
from invoke import task


@task(help={"json": "print the checks as JSON"})
def doctor(c, json=False):
    """Run every check and show a table with the fix for each failing row; exit 1 if a required check fails."""
    import json as jsonlib

    from traderadmin.cluster import doctor as checks

    from ._common import project_path

    tws = checks.tws_address_check(project_path(c, "config_path"), bool(c.config.traderadmin.host_network))
    results = checks.run_checks(checks.CHECKS + [tws])
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
