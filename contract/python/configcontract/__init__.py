"""The config contract (config/CONTRACT.md) for Python: one judge for the toolkit, the
orchestrator and any service of a user's own.

  readfile  the bounded read of the config file: regular files only, MAX_BYTES, no blocking
  toml10    the walk over the text before parsing: the depth cap, TOML 1.0's structure
  parse     bytes to a document: UTF-8, the walk, tomllib, 64-bit numbers (stage 1)
  judge     stages 2 to 4: values the schema cannot judge, the schema, x-order
  patterns  JSON Schema patterns with ECMA-262 meaning
  issue     Issue (the key at fault, the message, the rule) and Refused
  hashing   the config's identity, the SHA-256 of its bytes
  live      running a service on the file: watch, poll, signal, swap, the /status fields
            (imported on its own: `from configcontract import live`; needs the `live` extra)
  testing   for services' tests: reloaders started for a test and stopped after it
            (imported on its own, like live)
"""
from .hashing import sha256
from .issue import Issue, Refused
from .judge import judge, key_part, load, order_issues, schema_issues, unjudgeable, validator, value_at
from .parse import decode, parse, parse_text
from .readfile import MAX_BYTES, FileRefused, file_kind, read_file, read_open, require_regular
from .toml10 import MAX_DEPTH, check_toml10, refusal

__all__ = [
    "MAX_BYTES", "MAX_DEPTH", "FileRefused", "Issue", "Refused", "check_toml10", "decode", "file_kind", "judge", "key_part", "load",
    "order_issues", "parse", "parse_text", "read_file", "read_open", "refusal", "require_regular",
    "schema_issues", "sha256", "unjudgeable", "validator", "value_at",
]
