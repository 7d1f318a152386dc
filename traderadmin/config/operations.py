"""What the `config.*` tasks do: each operation validates before anything is written."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import store
from .edit import apply, parse_assignments
from .errors import ConfigError, ConfigInvalid, Issue
from .render import render_defaults, schema_ref_for
from .schema import Schema, load_schema
from .validate import check_text, issues_of, parse

_MISSING = object()


@dataclass(frozen=True)
class ConfigFiles:
    """Where the config, its schema and its history live."""

    config: Path
    schema_path: Path
    keep: int = store.DEFAULT_HISTORY

    @property
    def schema(self) -> Schema:
        return load_schema(self.schema_path)


@dataclass(frozen=True)
class Change:
    key: str
    old: Any
    new: Any


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Key-level differences between two configs, in key order."""
    a, b = flatten(old), flatten(new)
    return [Change(k, a.get(k, _MISSING), b.get(k, _MISSING)) for k in sorted(a.keys() | b.keys())
            if a.get(k, _MISSING) != b.get(k, _MISSING)]


def live_issue(old: dict[str, Any] | None, new: dict[str, Any], confirm_live: bool) -> Issue | None:
    """The issue of a switch to LIVE trading the user did not confirm, if this is one."""
    was = (old or {}).get("trading", {}).get("mode")
    now = new.get("trading", {}).get("mode")
    if now == "LIVE" and was != "LIVE" and not confirm_live:
        return Issue("trading.mode", f"switching from {was or 'no running config'} to LIVE trades real money",
                     "repeat the command with --confirm-live if that is what you want", "LIVE")
    return None


def guard_live(old: dict[str, Any] | None, new: dict[str, Any], confirm_live: bool) -> None:
    """Refuse a switch to LIVE trading unless the user said so explicitly."""
    issue = live_issue(old, new, confirm_live)
    if issue:
        raise ConfigInvalid([issue], "the requested change")


def init_config(files: ConfigFiles, force: bool = False) -> store.SaveResult:
    """Write the schema's defaults; an existing file is replaced only with `force` (and backed up)."""
    if files.config.exists() and not force:
        raise ConfigError(f"{files.config} already exists; keep it, or replace it (after a backup) with --force")
    text = render_defaults(files.schema, schema_ref_for(files.config, files.schema_path))
    check_text(text, files.schema, "the schema's defaults")
    return store.save(files.config, text.encode(), files.keep)


def read(files: ConfigFiles) -> tuple[bytes, dict[str, Any]]:
    """The file's bytes and its validated content."""
    data = store.read_bytes(files.config)
    doc = check_text(_decode(data, files.config), files.schema, str(files.config))
    return data, doc.unwrap()


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigInvalid([Issue("<syntax>", f"not UTF-8 text (byte {e.start})", "save the file as UTF-8")], str(path)) from e


def validate_file(path: Path, schema: Schema) -> str:
    """Raise ConfigInvalid for a bad file; return the good file's SHA-256."""
    data = store.read_bytes(path)
    check_text(_decode(data, path), schema, str(path))
    return store.sha256(data)


def get_value(files: ConfigFiles, key: str) -> Any:
    _, data = read(files)
    node: Any = data
    for part in key.split(".") if key else []:
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"{key!r} is not a key of the config; `invoke config.show` lists them")
        node = node[part]
    return node


def current(path: Path) -> dict[str, Any] | None:
    """The file's content as it is now; None when it is missing or does not parse (so it can be replaced)."""
    try:
        return parse(_decode(path.read_bytes(), path)).unwrap()
    except (FileNotFoundError, ConfigInvalid):
        return None


def save_text(files: ConfigFiles, text: str, confirm_live: bool = False) -> tuple[store.SaveResult, list[Change]]:
    """Validate `text` as the new config, guard LIVE, back up, and write it atomically."""
    with store.lock_for(files.config):
        new = parse(text).unwrap()
        old = current(files.config)
        issues = issues_of(new, files.schema)
        live = live_issue(old, new, confirm_live)
        if issues or live:
            raise ConfigInvalid(issues + ([live] if live else []), "the new config")
        result = store.save(files.config, text.encode(), files.keep)
    return result, changes(old or {}, new)


def set_values(files: ConfigFiles, pairs: list[str], confirm_live: bool = False) -> tuple[store.SaveResult, list[Change]]:
    """Apply `KEY=VALUE` edits, keeping every comment, and save (one lock around read, edit, write)."""
    assignments = parse_assignments(pairs, files.schema)
    with store.lock_for(files.config):
        doc = parse(_decode(store.read_bytes(files.config), files.config))
        apply(doc, assignments)
        return save_text(files, doc.as_string(), confirm_live)


def unified_diff(files: ConfigFiles, against: Path | None = None) -> str:
    """The file against a backup (default: config.toml.bak, the one before the last save)."""
    base = against or store.bak_path(files.config)
    if not base.exists():
        raise ConfigError(f"no backup at {base} yet: one is made on every save")
    old = base.read_bytes().decode("utf-8", "replace").splitlines(keepends=True)
    new = store.read_bytes(files.config).decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, str(base), str(files.config)))


def find_backup(files: ConfigFiles, name: str | None) -> Path:
    """A history entry by file name, by position (1 = newest), or the newest."""
    entries = store.list_backups(files.config)
    if not entries:
        raise ConfigError(f"no backups in {store.history_dir(files.config)} yet: one is made on every save")
    if name is None:
        return entries[0]
    if name.isdigit() and 1 <= int(name) <= len(entries):
        return entries[int(name) - 1]
    for e in entries:
        if e.name == name or str(e) == name:
            return e
    raise ConfigError(f"no backup named {name!r}; `invoke config.backups` lists them")


def restore(files: ConfigFiles, name: str | None = None, confirm_live: bool = False) -> tuple[store.SaveResult, list[Change], Path]:
    """Put a backup back in place; the current file is backed up first, so this is undoable."""
    entry = find_backup(files, name)
    result, diff = save_text(files, _decode(entry.read_bytes(), entry), confirm_live)
    return result, diff, entry
