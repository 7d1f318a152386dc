"""Create, read, edit, check, back up and restore config/config.toml.

A refused command writes nothing and exits 2 when the input is wrong (the file's
content, the change, the path), 1 when the system is in the way (permissions, a
full disk, another writer's lock); see traderadmin/config/errors.py.
"""
from __future__ import annotations

from invoke import task

from ._common import config_files, fail, print_json, stdout_console

_LIVE_HELP = "Allow switching trading.mode to LIVE (real money)."
_JSON_HELP = "Print JSON for scripts instead of a table."


def _report_save(result, diff, as_json: bool) -> None:
    if as_json:
        print_json({"ok": True, "changed": result.changed, "path": str(result.path),
                    "old_sha256": result.old_sha256, "new_sha256": result.new_sha256,
                    "backup": str(result.backup) if result.backup else None,
                    "changes": [{"key": d.key, "old": d.old, "new": d.new} for d in diff]})
        return
    out = stdout_console()
    if not result.changed:
        out.print(f"{result.path} already holds that; nothing written (sha256 {result.new_sha256[:12]})")
        return
    for d in diff:
        out.print(f"  {d.key}: {d.old!r} → {d.new!r}")
    out.print(f"[green]✓[/] saved {result.path} (sha256 {result.new_sha256[:12]}); "
              f"previous file in {result.path.name}.bak" + (f" and {result.backup.name}" if result.backup else ""))


@task(help={"force": "Replace an existing config (it is backed up first)."})
def init(c, force=False):
    """Write config/config.toml from the schema's defaults, each description as a comment."""
    from traderadmin.config import ConfigError, init_config

    try:
        result = init_config(config_files(c), force=force)
    except ConfigError as e:
        fail(e)
    stdout_console().print(f"[green]✓[/] wrote {result.path} from the schema's defaults (sha256 {result.new_sha256[:12]})")


@task(help={"json": "Print the effective config as JSON."})
def show(c, json=False):
    """Show every key with its value, unit and description."""
    from rich.table import Table

    from traderadmin.config import ConfigError, flatten, read

    files = config_files(c)
    try:
        raw, data = read(files)
    except ConfigError as e:
        fail(e, json)
    if json:
        print_json(data)
        return
    from traderadmin.config import sha256

    table = Table(title=f"{files.config} (sha256 {sha256(raw)[:12]})", title_justify="left")
    for col in ("key", "value", "unit", "description"):
        table.add_column(col, overflow="fold")
    for key, value in flatten(data).items():
        field = files.schema.field(key)
        table.add_row(key, repr(value), (field.unit or "") if field else "", field.description if field else "")
    stdout_console().print(table)


@task(help={"key": "Dotted key such as trading.max_positions, or a table such as ibkr.", "json": _JSON_HELP})
def get(c, key, json=False):
    """Print one value (or a whole table) of the config."""
    from traderadmin.config import ConfigError, get_value

    try:
        value = get_value(config_files(c), key)
    except ConfigError as e:
        fail(e, json)
    if json or isinstance(value, (dict, list)):
        print_json(value)
    else:
        print(str(value).lower() if isinstance(value, bool) else value)


@task(name="set", help={
    "assignments": "KEY=VALUE, or several in one quoted word: \"trading.max_positions=6 scanner.workers=8\".",
    "confirm_live": _LIVE_HELP, "json": _JSON_HELP})
def set_(c, assignments, confirm_live=False, json=False):
    """Change values, keeping every comment; validated and backed up before it is written."""
    from traderadmin.config import ConfigError, set_values, split_assignments

    try:
        result, diff = set_values(config_files(c), split_assignments(assignments), confirm_live)
    except ConfigError as e:
        fail(e, json)
    _report_save(result, diff, json)


@task(help={"path": "Config file to check (default: the project's config/config.toml).", "json": _JSON_HELP})
def validate(c, path=None, json=False):
    """Check a config file against the schema; exit 2 and name every bad key if it fails."""
    from traderadmin.config import ConfigError, validate_file

    files = config_files(c, path)
    try:
        digest = validate_file(files.config, files.schema)
    except ConfigError as e:
        fail(e, json, wrote_nothing=False)
    if json:
        print_json({"ok": True, "path": str(files.config), "sha256": digest})
    else:
        stdout_console().print(f"[green]✓[/] {files.config} is valid (sha256 {digest[:12]})")


@task(help={"against": "A backup from `invoke config.backups` (name or number); default config.toml.bak."})
def diff(c, against=None):
    """Show what changed since the last save (or since a given backup)."""
    from traderadmin.config import ConfigError, find_backup, unified_diff

    files = config_files(c)
    try:
        text = unified_diff(files, find_backup(files, against) if against else None)
    except ConfigError as e:
        fail(e)
    print(text or "no differences")


@task(help={"json": _JSON_HELP})
def backups(c, json=False):
    """List the config's own timestamped backups, newest first (numbered for `config.restore`)."""
    from traderadmin.config import ConfigError, backups as history

    try:
        entries = [{"number": b.number, "name": b.path.name, "sha256": b.sha256, "bytes": b.size}
                   for b in history(config_files(c))]
    except ConfigError as e:
        fail(e, json)
    if json:
        print_json(entries)
        return
    if not entries:
        print("no backups yet: one is made on every save")
    for e in entries:
        print(f"{e['number']:>3}  {e['name']}  sha256 {e['sha256'][:12]}")


@task(help={"backup": "Name or number from `invoke config.backups` (default: the newest).",
            "confirm_live": _LIVE_HELP, "json": _JSON_HELP})
def restore(c, backup=None, confirm_live=False, json=False):
    """Put a backup back in place (validated; the current file is backed up first)."""
    from traderadmin.config import ConfigError, restore as restore_backup

    try:
        result, diff_, entry = restore_backup(config_files(c), backup, confirm_live)
    except ConfigError as e:
        fail(e, json)
    if not json:
        stdout_console().print(f"restoring {entry.name}")
    _report_save(result, diff_, json)
