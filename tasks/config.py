"""Create, read, edit, check, back up and restore config/config.toml.

A refused command writes nothing and exits 2 when the input is wrong (the file's
content, the change, the path), 1 when the system is in the way (permissions, a
full disk, another writer's lock); see traderadmin/config/errors.py.
"""
from __future__ import annotations



from ._common import config_files, fail, print_json, stdout_console, task

_LIVE_HELP = "Allow switching trading.mode to LIVE (real money)."
_JSON_HELP = "Print JSON for scripts instead of a table."


def _report_save(result, diff, as_json: bool) -> None:
    from traderadmin.config import backup_id

    if as_json:
        print_json({"ok": True, "changed": result.changed, "path": str(result.path),
                    "old_sha256": result.old_sha256, "new_sha256": result.new_sha256,
                    "backup": str(result.backup) if result.backup else None,
                    "backup_id": backup_id(result.backup) if result.backup else None,
                    "changes": [{"key": d.key, "old": d.old, "new": d.new} for d in diff]})
        return
    out = stdout_console()
    if not result.changed:
        out.print(f"{result.path} already holds that; nothing written (sha256 {result.new_sha256[:12]})")
        return
    from traderadmin.config import backup_id, toml_value

    for d in diff:
        out.print(f"  {d.key}: {toml_value(d.old)} → {toml_value(d.new)}", markup=False)
    out.print(f"[green]✓[/] saved {result.path} (sha256 {result.new_sha256[:12]}); "
              f"previous file in {result.path.name}.bak"
              + (f" and backup {backup_id(result.backup)}" if result.backup else ""))


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

    from traderadmin.config import ConfigError, flatten, read, toml_value

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
        table.add_row(key, toml_value(value), (field.unit or "") if field else "", field.description if field else "")
    stdout_console().print(table)


@task(help={"key": "Dotted key such as trading.max_positions, or a table such as ibkr.", "json": _JSON_HELP})
def get(c, key, json=False):
    """Print one value (or a whole table) of the config."""
    from traderadmin.config import ConfigError, get_value

    try:
        value = get_value(config_files(c), key)
    except ConfigError as e:
        fail(e, json, wrote_nothing=False)  # a read: nothing to write in the first place
    if json or isinstance(value, (dict, list)):
        print_json(value)
    else:
        print(str(value).lower() if isinstance(value, bool) else value)


@task(name="set", help={
    "assignments": "KEY=VALUE, as many as you like, each its own word: config.set trading.max_positions=6 "
                   "scanner.workers=8. Lists as TOML: 'scanner.universe=[\"SPY\", \"QQQ\"]' (or SPY,QQQ).",
    "confirm_live": _LIVE_HELP, "json": _JSON_HELP}, rest="assignments")
def set_(c, assignments=None, confirm_live=False, json=False):
    """Change values, keeping every comment; validated and backed up before it is written.

    invoke config.set KEY=VALUE [KEY=VALUE ...]   e.g. invoke config.set trading.max_positions=6 scanner.workers=8
    """
    from traderadmin.cli.args import UsageError
    from traderadmin.config import ConfigError, set_values, split_assignments

    words = list(assignments or []) or _after_double_dash()
    if not words:
        fail(UsageError("config.set needs at least one KEY=VALUE, e.g. invoke config.set trading.max_positions=6"),
             json)
    try:
        pairs = [pair for word in words for pair in split_assignments(word)]
        result, diff = set_values(config_files(c), pairs, confirm_live)
    except ConfigError as e:
        fail(e, json)
    _report_save(result, diff, json)


def _after_double_dash() -> list[str]:
    """`invoke config.set -- a=1 b=2`: invoke keeps the words after `--` for itself; take them as typed."""
    import sys

    return sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []


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


@task(help={"against": "A backup from `invoke config.backups`: its id (or the start of it) or file name; "
                       "default config.toml.bak, the file before the last save."})
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
    """List the config's own timestamped backups, newest first, each with the id `config.restore --backup` takes.

    An id is the backup's UTC time stamp: it never changes as later saves come.
    """
    from traderadmin.config import ConfigError, backups as history

    try:
        entries = [{"id": b.id, "number": b.number, "name": b.path.name, "sha256": b.sha256, "bytes": b.size}
                   for b in history(config_files(c))]
    except ConfigError as e:
        fail(e, json)
    if json:
        print_json(entries)
        return
    if not entries:
        print("no backups yet: one is made on every save")
    print(f"{'id':<22}  {'saved (UTC)':<19}  {'sha256':<12}  {'bytes':>6}")
    for e in entries:
        when = f"{e['id'][0:4]}-{e['id'][4:6]}-{e['id'][6:8]} {e['id'][9:11]}:{e['id'][11:13]}:{e['id'][13:15]}"
        print(f"{e['id']:<22}  {when:<19}  {e['sha256'][:12]}  {e['bytes']:>6}")


@task(help={"backup": "Id from `invoke config.backups` (or the start of one), or the file name; default: the newest.",
            "confirm_live": _LIVE_HELP, "json": _JSON_HELP})
def restore(c, backup=None, confirm_live=False, json=False):
    """Put a backup back in place (validated; the current file is backed up first)."""
    from traderadmin.config import ConfigError, restore as restore_backup

    try:
        result, diff_, entry = restore_backup(config_files(c), backup, confirm_live)
    except ConfigError as e:
        fail(e, json)
    if not json:
        from traderadmin.config import backup_id

        stdout_console().print(f"restoring backup {backup_id(entry)} ({entry.name})")
    _report_save(result, diff_, json)
