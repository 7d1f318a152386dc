"""Write the default config.toml from the schema, every description as a comment."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import tomlkit

from .schema import Field, Schema

_WIDTH = 88


def toml_value(value: Any) -> str:
    """A value as it is written in config.toml (`"localhost"`, `true`, `["SPY", "QQQ"]`), not as Python shows it.

    A key that is missing on one side of a change is shown as `(none)`.
    """
    if value is None or not isinstance(value, (str, int, float, bool, list, dict)):
        return "(none)"
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update(value)
        return table.as_string()
    return tomlkit.item(value).as_string()


def _comment(text: str) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, _WIDTH - 2)] if text else []


def _field_lines(f: Field) -> list[str]:
    detail = f.allowed()
    lines = _comment(f"{f.description} [{detail}]" if detail != "a string" else f.description)
    lines.append(f"{f.key.rsplit('.', 1)[1]} = {tomlkit.item(f.default).as_string()}")
    return lines


def _table(spec: dict[str, Any], path: tuple[str, ...], schema: Schema) -> list[str]:
    props = spec.get("properties", {})
    leaves = [n for n, s in props.items() if s.get("type") != "object"]
    tables = [n for n, s in props.items() if s.get("type") == "object"]
    out: list[str] = []
    if path:
        out += ["", f"[{'.'.join(path)}]"] + _comment(spec.get("description", ""))
    for name in leaves:
        out += [""] + _field_lines(schema.fields[".".join(path + (name,))])
    for name in tables:
        out += _table(props[name], path + (name,), schema)
    return out


def render_defaults(schema: Schema, schema_ref: str = "./schema.json") -> str:
    """The default config as TOML text.

    The first line is a Taplo `#:schema` directive so editors validate and complete keys.
    """
    doc = schema.document
    head = [f"#:schema {schema_ref}", "# TraderAdmin configuration: generated from the schema by `invoke config.init`."]
    head += _comment(doc.get("description", ""))
    head += ["# Edit with `invoke config.set KEY=VALUE` (validated, backed up) or by hand, then `invoke reload`."]
    return "\n".join(head + _table(doc, (), schema)) + "\n"


def schema_ref_for(config_path: Path, schema_path: Path) -> str:
    """The schema's path as seen from the config's folder (what Taplo resolves against)."""
    rel = os.path.relpath(schema_path.resolve(), config_path.resolve().parent)
    ref = Path(rel).as_posix()
    return ref if ref.startswith(".") or ref.startswith("/") else "./" + ref
