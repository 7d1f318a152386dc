"""The orchestrator's config: the bundled schema, judged by the config contract package.

schema.json is a copy of the project's config/schema.json (a repository test
keeps them equal); the service ships it so it judges configs exactly like the
toolkit and the scanner do. The rules themselves (file limits, TOML 1.0,
numbers, patterns, the stages of config/CONTRACT.md) are `configcontract`'s;
this module adds only the service's wording of an unknown key.
"""
from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import configcontract
from configcontract import MAX_BYTES, FileRefused, Issue, read_file, sha256
from configcontract import Refused as ConfigError

__all__ = ["MAX_BYTES", "ConfigError", "FileRefused", "Issue", "load", "parse", "read_file", "schema",
           "schema_default", "sha256", "validate"]


@cache
def schema() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8"))


def schema_default(*path: str) -> Any:
    """The schema's default for a key, for settings needed before any config is applied."""
    node = schema()
    for part in path:
        node = node["properties"][part]
    return node["default"]


def load(data: bytes) -> dict[str, Any]:
    """Parse and validate config bytes; the returned dict is the effective config."""
    doc = parse(data)
    issues = validate(doc)
    if issues:
        raise ConfigError(issues)
    return doc


def parse(data: bytes) -> dict[str, Any]:
    """TOML 1.0 within the contract's limits; raises ConfigError (syntax)."""
    return configcontract.parse(data)


def validate(doc: dict[str, Any]) -> list[Issue]:
    """Every way `doc` breaks the contract at its first failing stage, sorted by key; empty when valid."""
    return [_worded(issue) for issue in configcontract.judge(doc, schema())]


def _worded(issue: Issue) -> Issue:
    if issue.rule != "additionalProperties" or issue.error is None:
        return issue
    known = list((issue.error.schema or {}).get("properties", {}))
    return Issue(issue.key, issue.message + _suggestion(issue.reason, known), issue.fix, issue.rule, issue.value,
                 reason=issue.reason, error=issue.error)


def _suggestion(name: str, known: list[str]) -> str:
    best, best_distance = "", len(name) // 2 + 1
    for candidate in sorted(known):
        d = _edit_distance(name, candidate)
        if d < best_distance:
            best, best_distance = candidate, d
    return f' (did you mean "{best}"?)' if best else ""


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
