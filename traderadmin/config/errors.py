"""The config layer's exceptions: each carries what a person needs to fix the problem."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from traderadmin.errors import ToolkitError

SYNTAX = "<syntax>"
"""The key reported for TOML that does not parse (shared with the services' test vectors)."""


@dataclass(frozen=True)
class Issue:
    """One reason a config is refused."""

    key: str
    message: str
    fix: str = ""
    value: Any = None

    def __str__(self) -> str:
        text = f"{self.key}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


class ConfigError(ToolkitError):
    """Base of every error the config layer raises."""


class SchemaError(ConfigError):
    """The schema itself is missing or broken."""


class ConfigNotFound(ConfigError):
    """There is no config file where one was expected."""


class ConfigInvalid(ConfigError):
    """The config (or an edit of it) breaks the contract; nothing was written."""

    def __init__(self, issues: list[Issue], source: str = "config") -> None:
        self.issues = issues
        self.source = source
        lines = "\n".join(f"  - {i}" for i in issues)
        super().__init__(f"{source} is invalid; nothing was written:\n{lines}")


class BackupError(ConfigError):
    """The previous config could not be backed up, so the update was aborted."""
