"""What a judge answers: the issues of a refused config, each naming the key at fault."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One reason a config is refused.

    `key` is the dotted key at fault, None when the refusal names no key (the file,
    its encoding, TOML syntax, the limits). `rule` names the rule broken, so that a
    consumer can word the issue its own way: "size", "utf8", "bom", "toml", "depth",
    "int64", "float-range" (no key); "control", "not-finite", "date" (stage 2); the
    JSON Schema keyword that failed (stage 3, with `error`); "order" (stage 4).
    """

    key: str | None
    message: str
    fix: str = ""
    rule: str = ""
    value: Any = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)
    column: int | None = field(default=None, compare=False)
    reason: str = field(default="", compare=False)
    error: Any = field(default=None, compare=False, repr=False)
    """The jsonschema ValidationError behind a stage-3 issue."""

    def __str__(self) -> str:
        return self.message if self.key is None else f"{self.key}: {self.message}"


class Refused(Exception):
    """A config that must not be applied, with every issue found at the first stage that found any."""

    def __init__(self, issues: list[Issue], syntax: bool = False) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues
        self.syntax = syntax

    @property
    def keys(self) -> list[str]:
        return [i.key for i in self.issues if i.key is not None]
