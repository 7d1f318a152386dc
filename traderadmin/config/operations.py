"""What the `config.*` tasks do: each operation judges before anything is written.

The judge is TOML 1.0 and the schema, applied to the very bytes about to be written,
exactly as the services will read them; tomlkit is only the editor that keeps comments.
"""
from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import access, store
from .edit import Assignment, apply, parse_assignments
from .errors import FILE, ConfigError, ConfigInvalid, ConfigNotFound, Issue
from .render import render_defaults, schema_ref_for
from .schema import Schema, load_schema
from .validate import check_bytes, check_text, decode, encode, issues_of, load_strict, parse, shown

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


@dataclass(frozen=True)
class Backup:
    """One entry of a config's history. `id` is its UTC stamp, which never changes as later saves come;
    `number` (1 = newest) is only its place in today's list."""

    number: int
    path: Path
    sha256: str
    size: int

    @property
    def id(self) -> str:
        return store.backup_id(self.path)


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
    """Write the schema's defaults; an existing file is replaced only with `force` (and backed up).

    The only operation that may create the config's folder.
    """
    if access.existing(files.config) and not force:
        raise ConfigError(f"{files.config} already exists; keep it, or replace it (after a backup) with --force")
    text = render_defaults(files.schema, schema_ref_for(files.config, files.schema_path))
    check_text(text, files.schema, "the schema's defaults")
    access.make_folder(files.config.parent)
    return store.save(files.config, encode(text), files.keep)


def read(files: ConfigFiles) -> tuple[bytes, dict[str, Any]]:
    """The file's bytes and its validated content."""
    data = access.read_config(files.config)
    return data, check_bytes(data, files.schema, str(files.config))


def validate_file(path: Path, schema: Schema) -> str:
    """Raise ConfigInvalid for a bad file; return the good file's SHA-256."""
    data = access.read_config(path)
    check_bytes(data, schema, str(path))
    return store.sha256(data)


def get_value(files: ConfigFiles, key: str) -> Any:
    """One value, or a whole table; an unknown key gets the closest real one as its fix."""
    _, data = read(files)
    node: Any = data
    parts = key.split(".") if key else []
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            raise ConfigInvalid([_unknown_key(key, files.schema)], "the requested key")
        node = node[part]
    return node


def _unknown_key(key: str, schema: Schema) -> Issue:
    """What to say of a key the config does not have: did you mean, else where to look."""
    parent, _, leaf = key.rpartition(".")
    close = None
    if parent == "" or schema.is_table(parent):  # a typo in the last name: compare it with its neighbours
        match = difflib.get_close_matches(leaf, schema.children(parent), n=1, cutoff=0.6)
        close = f"{parent}.{match[0]}" if match and parent else (match[0] if match else None)
    if close is None:  # a typo further up: compare whole keys
        match = difflib.get_close_matches(key, [*schema.fields, *schema.sections()], n=1, cutoff=0.75)
        close = match[0] if match else None
    fix = "`invoke config.show` lists every key"
    return Issue(key, "is not a key of the config", f"did you mean `{close}`? ({fix})" if close else fix)


def _current(path: Path) -> dict[str, Any] | None:
    """The config the file holds now; None when there is none yet or it does not parse (so it can be replaced)."""
    data = access.read_existing(path)
    if data is None:
        return None
    try:
        return load_strict(decode(data, str(path)), str(path))
    except ConfigInvalid:
        return None


def _judged(files: ConfigFiles, data: bytes, confirm_live: bool) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The current config and the one `data` holds, read as the services will; refused unless it keeps the contract."""
    source = "the new config"
    if len(data) > access.MAX_BYTES:
        raise ConfigInvalid([Issue(FILE, f"would be {len(data)} bytes, more than the {access.MAX_BYTES} a config "
                                   "may have", "keep the config to its settings")], source)
    new = load_strict(decode(data, source), source)
    old = _current(files.config)
    issues = issues_of(new, files.schema)
    live = live_issue(old, new, confirm_live)
    if issues or live:
        raise ConfigInvalid(issues + ([live] if live else []), source)
    return old, new


def _judge_then_save(files: ConfigFiles, new_bytes: Callable[[], bytes],
                     confirm_live: bool) -> tuple[store.SaveResult, list[Change]]:
    """Judge the new config, then judge it again under the lock and save it.

    The first judgement comes before the lock, so refused input leaves no trace, not
    even a lock file; the second covers another writer changing the file meanwhile.
    """
    _judged(files, new_bytes(), confirm_live)
    with store.locked(files.config):
        data = new_bytes()
        old, new = _judged(files, data, confirm_live)
        result = store.save(files.config, data, files.keep)
    return result, changes(old or {}, new)


def save_text(files: ConfigFiles, text: str, confirm_live: bool = False) -> tuple[store.SaveResult, list[Change]]:
    """Validate `text` as the new config, guard LIVE, back up, and write it atomically."""
    return _judge_then_save(files, lambda: encode(text, "the new config"), confirm_live)


def _assigned(config: dict[str, Any], assignments: list[Assignment]) -> dict[str, Any]:
    out = copy.deepcopy(config)
    for a in assignments:
        *parents, leaf = a.key.split(".")
        node = out
        for p in parents:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        node[leaf] = a.value
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (Python counts 1 == 1.0 == True; TOML does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _check_reads_back(data: bytes, old: dict[str, Any], assignments: list[Assignment]) -> None:
    """Refuse an edit that TOML 1.0 readers would not read as the old config with exactly these changes."""
    source = "the edited config"
    wanted = flatten(_assigned(old, assignments))
    got = flatten(load_strict(decode(data, source), source))
    wrong = sorted(k for k in wanted.keys() | got.keys() if not _same(wanted.get(k, _MISSING), got.get(k, _MISSING)))
    if wrong:
        raise ConfigInvalid([Issue(k, f"would be read back as {shown(got.get(k))} instead of "
                                   f"{shown(wanted.get(k))}", "edit this key by hand, and report the toolkit's "
                                   "mistake") for k in wrong], source)


def _edited(files: ConfigFiles, assignments: list[Assignment]) -> bytes:
    """The config's bytes with the assignments applied, comments kept."""
    source = str(files.config)
    text = decode(access.read_config(files.config), source)
    old = load_strict(text, source)  # an edit starts from a file the services can read
    doc = parse(text)
    apply(doc, assignments)
    data = encode(doc.as_string(), "the edited config")
    _check_reads_back(data, old, assignments)
    return data


def set_values(files: ConfigFiles, pairs: list[str], confirm_live: bool = False) -> tuple[store.SaveResult, list[Change]]:
    """Apply `KEY=VALUE` edits, keeping every comment, and save (one lock around read, edit, write)."""
    assignments = parse_assignments(pairs, files.schema)
    return _judge_then_save(files, lambda: _edited(files, assignments), confirm_live)


def unified_diff(files: ConfigFiles, against: Path | None = None) -> str:
    """The file against a backup (default: config.toml.bak, the one before the last save)."""
    new = access.read_config(files.config)
    base = against or store.bak_path(files.config)
    try:
        old = access.read_config(base)
    except ConfigNotFound as e:
        raise ConfigError(f"no backup at {base} yet: one is made on every save") from e
    return "".join(difflib.unified_diff(old.decode("utf-8", "replace").splitlines(keepends=True),
                                        new.decode("utf-8", "replace").splitlines(keepends=True),
                                        str(base), str(files.config)))


def backups(files: ConfigFiles) -> list[Backup]:
    """The config's own history, newest first."""
    out = []
    for number, path in enumerate(store.list_backups(files.config), 1):
        data = access.read_config(path)
        out.append(Backup(number, path, store.sha256(data), len(data)))
    return out


def find_backup(files: ConfigFiles, name: str | None) -> Path:
    """A history entry by its id (or the start of one, as long as only one entry has it), its file name
    or path; the newest without a name.

    The old position numbers are refused: they shift with every save, so `--backup 3` would
    name another file each time. The refusal says which id that number means right now.
    """
    entries = store.list_backups(files.config)
    if not entries:
        raise ConfigError(f"no backups of {files.config.name} in {store.history_dir(files.config)} yet: "
                          "one is made on every save")
    if name is None:
        return entries[0]
    wanted = name.strip()
    for e in entries:
        if wanted in (e.name, str(e), store.backup_id(e)):
            return e
    source = "the requested backup"
    if wanted.isdigit() and len(wanted) < store.MIN_ID_PREFIX:
        where = (f"right now {wanted} is {store.backup_id(entries[int(wanted) - 1])}" if 1 <= int(wanted) <= len(entries)
                 else f"{files.config.name} has {len(entries)} backups")
        raise ConfigInvalid([Issue(wanted, "is a position number, and those shift with every save, so they are no "
                                   f"longer accepted ({where})",
                                   "give the backup's id from `invoke config.backups`, e.g. "
                                   f"--backup {store.backup_id(entries[0])}")], source)
    matches = [e for e in entries if len(wanted) >= store.MIN_ID_PREFIX and store.backup_id(e).startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigInvalid([Issue(wanted, f"is the start of {len(matches)} backup ids: "
                                   + ", ".join(store.backup_id(m) for m in matches[:5]),
                                   "give more of the id, or all of it")], source)
    raise ConfigInvalid([Issue(wanted, f"is not a backup of {files.config.name} (it has {len(entries)})",
                               "give an id (or name) that `invoke config.backups` lists, e.g. "
                               f"--backup {store.backup_id(entries[0])}")], source)


def restore(files: ConfigFiles, name: str | None = None, confirm_live: bool = False) -> tuple[store.SaveResult, list[Change], Path]:
    """Put a backup back in place; the current file is backed up first, so this is undoable."""
    entry = find_backup(files, name)
    result, diff = _judge_then_save(files, lambda: access.read_config(entry), confirm_live)
    return result, diff, entry
