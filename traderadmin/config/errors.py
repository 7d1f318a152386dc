"""The config layer's exceptions: each carries what a person needs to fix the problem.

Two kinds, told apart by the exit code a task gives them (tasks/_common.fail):

- ConfigInvalid and its subclasses (exit 2): the input is wrong and fixing the input
  fixes it: the file's content, the requested change, or the path itself (missing,
  a folder, a FIFO, a device, a link loop, too large).
- every other ConfigError (exit 1): the input may be fine but the operation cannot
  proceed here and now: the operating system refuses (permissions, a full disk, a
  read-only file system, I/O errors), another writer holds the lock, or the state
  does not allow it (a config that already exists, no backup yet).

Either way nothing was written, and the message names the file or key, the value
and the fix.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traderadmin.errors import ToolkitError

SYNTAX = "<syntax>"
"""The key reported for TOML that does not parse (shared with the services' test vectors)."""

FILE = "<file>"
"""The key reported when the path names no usable config file."""


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


class ConfigInvalid(ConfigError):
    """The config (or an edit of it) breaks the contract; nothing was written."""

    def __init__(self, issues: list[Issue], source: str = "config") -> None:
        self.issues = issues
        self.source = source
        lines = "\n".join(f"  - {i}" for i in issues)
        super().__init__(f"{source} is invalid; nothing was written:\n{lines}")


class NotAConfigFile(ConfigInvalid):
    """The path names no config file: a folder, a FIFO, a device, a link loop, a file too large."""

    def __init__(self, path: Path, what: str, fix: str) -> None:
        self.path = path
        super().__init__([Issue(FILE, what, fix, str(path))], str(path))


class ConfigNotFound(NotAConfigFile):
    """There is no config file where one was expected."""


class ConfigAccessError(ConfigError):
    """The operating system refused to read or write a config file (permissions, space, I/O)."""

    def __init__(self, message: str, path: Path, errno: int | None) -> None:
        self.path = path
        self.errno = errno
        super().__init__(message)


class BackupError(ConfigAccessError):
    """The previous config could not be backed up, so the update was aborted."""


class ConfigLocked(ConfigError):
    """Another writer held the config's lock for longer than the toolkit waits."""
