"""Read access to config/schema.json: the single source of truth for every tunable."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from .errors import SchemaError


@dataclass(frozen=True)
class Field:
    """One settable key of the config: a leaf of the schema (never a table)."""

    key: str
    spec: dict[str, Any]

    @property
    def type(self) -> str:
        return self.spec["type"]

    @property
    def default(self) -> Any:
        return self.spec.get("default")

    @property
    def description(self) -> str:
        return self.spec.get("description", "")

    @property
    def unit(self) -> str | None:
        return self.spec.get("x-unit")

    def allowed(self) -> str:
        """The allowed values in words, for help texts and error fixes."""
        s = self.spec
        if "enum" in s:
            return "one of " + ", ".join(json.dumps(v) for v in s["enum"])
        if self.type == "array":
            items = s.get("items", {})
            if "enum" in items:
                inner = "one of " + ", ".join(items["enum"])
            elif "pattern" in items:
                inner = f"{items.get('type', 'value')}s matching {items['pattern']}"
            else:
                inner = items.get("type", "value") + "s"
            return f"a list of {inner}"
        if self.type in ("integer", "number"):
            lo, hi = s.get("minimum"), s.get("maximum")
            unit = f" {self.unit}" if self.unit else ""
            kind = "a whole number" if self.type == "integer" else "a number"
            if lo is not None and hi is not None:
                return f"{kind} from {lo} to {hi}{unit}"
            if lo is not None:
                return f"{kind} of at least {lo}{unit}"
            return kind
        if self.type == "boolean":
            return "true or false"
        if "pattern" in s:
            return f"a string matching {s['pattern']}"
        return "a string"


class Schema:
    """The parsed schema with lookups by dotted key."""

    def __init__(self, document: dict[str, Any], path: Path | None = None) -> None:
        self.document = document
        self.path = path
        self._fields = {f.key: f for f in _walk(document, ())}
        self._tables = set(_tables(document, ()))

    @property
    def fields(self) -> dict[str, Field]:
        return self._fields

    def is_table(self, key: str) -> bool:
        return key in self._tables

    def field(self, key: str) -> Field | None:
        return self._fields.get(key)

    def sections(self) -> list[str]:
        return list(self.document["properties"])

    def children(self, table: str) -> list[str]:
        """Names directly inside `table` ("" is the top level); [] when it is no table."""
        node = self.document
        for part in table.split(".") if table else []:
            node = node.get("properties", {}).get(part, {})
        return list(node.get("properties", {}))

    def defaults(self) -> dict[str, Any]:
        """The whole config as the schema's defaults, nested like the TOML."""
        out: dict[str, Any] = {}
        for f in self._fields.values():
            node = out
            *parents, leaf = f.key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = f.default
        return out


def _walk(spec: dict[str, Any], prefix: tuple[str, ...]) -> Iterator[Field]:
    for name, sub in spec.get("properties", {}).items():
        path = prefix + (name,)
        if sub.get("type") == "object":
            yield from _walk(sub, path)
        else:
            yield Field(".".join(path), sub)


def _tables(spec: dict[str, Any], prefix: tuple[str, ...]) -> Iterator[str]:
    for name, sub in spec.get("properties", {}).items():
        if sub.get("type") == "object":
            path = prefix + (name,)
            yield ".".join(path)
            yield from _tables(sub, path)


_SCHEMA_FIX = "it ships with the project as config/schema.json (traderadmin.schema_path in invoke.yaml)"


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int) -> Schema:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SchemaError(f"{path}: not valid JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
    except UnicodeDecodeError as e:
        raise SchemaError(f"{path}: not UTF-8 text (byte {e.start}); {_SCHEMA_FIX}") from e
    except OSError as e:
        raise SchemaError(f"cannot read the schema {path}: {e.strerror or e}; {_SCHEMA_FIX}") from e
    return Schema(document, path)


def load_schema(path: str | Path) -> Schema:
    """Load (and cache until the file changes) the schema at `path`."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime_ns
    except FileNotFoundError as e:
        raise SchemaError(f"schema not found: {p}; {_SCHEMA_FIX}") from e
    except OSError as e:
        raise SchemaError(f"cannot read the schema {p}: {e.strerror or e}; {_SCHEMA_FIX}") from e
    return _load_cached(p.resolve(), mtime)
