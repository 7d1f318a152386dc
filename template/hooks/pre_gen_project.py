"""Refuse a name before anything is written.

The app name becomes the folder, the binary, the window title and (lower
case) the Go module path, so it must be safe in all four. Cookiecutter
removes the half-made output when this script exits non-zero.
"""
import re
import sys

NAME = {{ cookiecutter.app_name | tojson }}
MODULE = {{ cookiecutter.module_path | tojson }}

NAME_RULE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
MODULE_RULE = re.compile(r"[a-z0-9][a-z0-9._~-]*(/[a-z0-9._~-]+)*")

problems = []
if not NAME_RULE.fullmatch(NAME):
    problems.append(
        f"app_name {NAME!r} is not usable: start with a letter, then up to 63 ASCII "
        "letters, digits, '-' or '_' (no spaces, dots or slashes), e.g. TraderAdmin"
    )
if not MODULE_RULE.fullmatch(MODULE):
    problems.append(
        f"module_path {MODULE!r} is not a Go module path: lower-case letters, digits "
        "and ._~- in '/'-separated parts, e.g. example.com/traderadmin"
    )
for problem in problems:
    print(f"ERROR: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
