"""The config contract: schema access, validation, comment-keeping edits, safe saves."""
from traderadmin.atomicfile import atomic_write

from .access import MAX_BYTES
from .edit import split_assignments
from .errors import (
    FILE,
    SYNTAX,
    BackupError,
    ConfigAccessError,
    ConfigError,
    ConfigInvalid,
    ConfigLocked,
    ConfigNotFound,
    Issue,
    NotAConfigFile,
    SchemaError,
)
from .operations import (
    Backup,
    Change,
    ConfigFiles,
    backups,
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
from .render import render_defaults, toml_value
from .schema import Field, Schema, load_schema
from .store import SaveResult, backup_id, list_backups, sha256
from .validate import check_text, issues_of

__all__ = [
    "FILE", "MAX_BYTES", "SYNTAX", "Backup", "BackupError", "Change", "ConfigAccessError", "ConfigError",
    "ConfigFiles", "ConfigInvalid", "ConfigLocked", "ConfigNotFound", "Field", "Issue", "NotAConfigFile",
    "SaveResult", "Schema", "SchemaError", "atomic_write", "backups", "changes", "check_text", "find_backup",
    "flatten", "get_value", "guard_live", "init_config", "issues_of", "list_backups", "load_schema", "read",
    "render_defaults", "restore", "save_text", "set_values", "sha256", "split_assignments", "unified_diff",
    "validate_file", "backup_id", "toml_value",
]
