"""The config contract: schema access, validation, comment-keeping edits, safe saves."""
from .errors import SYNTAX, BackupError, ConfigError, ConfigInvalid, ConfigNotFound, Issue, SchemaError
from .operations import (
    Change,
    ConfigFiles,
    changes,
    find_backup,
    flatten,
    get_value,
    guard_live,
    init_config,
    read,
    restore,
    save_text,
    set_values,
    unified_diff,
    validate_file,
)
from .render import render_defaults
from .schema import Field, Schema, load_schema
from .store import SaveResult, atomic_write, list_backups, sha256
from .validate import check_text, issues_of

__all__ = [
    "SYNTAX", "BackupError", "Change", "ConfigError", "ConfigFiles", "ConfigInvalid", "ConfigNotFound",
    "Field", "Issue", "SaveResult", "Schema", "SchemaError", "atomic_write", "changes", "check_text",
    "find_backup", "flatten", "get_value", "guard_live", "init_config", "issues_of", "list_backups",
    "load_schema", "read", "render_defaults", "restore", "save_text", "set_values", "sha256",
    "unified_diff", "validate_file",
]
