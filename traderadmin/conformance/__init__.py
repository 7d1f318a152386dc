"""A conformance suite for the config reload contract, runnable against any service.

Give it the command that starts a service (`{config}` and `{port}` are filled in);
it starts a fresh process per check in a temp folder and checks what the project
promises of a reload (DESIGN.md "Reload semantics", config/CONTRACT.md): the
endpoints and /status fields, edits applied once each, rejections reported with the
last good config kept, bursts, unchanged hashes, SIGUSR1, and hostile files that
must never crash or wedge it.

Layers: `_process` starts and probes one process; `_files` makes the configs and
the hostile files; `_checks` holds the checks; `_suite` runs them, one folder and
process each; `_report` renders the results. `tasks/conformance.py` is the CLI.
"""
from ._checks import Check, all_checks
from ._files import Configs, hostile_files
from ._process import CheckFailed, Service, free_port, render_command, start
from ._report import as_json, summary, table
from ._suite import Result, exit_code, run_suite, select

__all__ = [
    "Check",
    "CheckFailed",
    "Configs",
    "Result",
    "Service",
    "all_checks",
    "as_json",
    "exit_code",
    "free_port",
    "hostile_files",
    "render_command",
    "run_suite",
    "select",
    "start",
    "summary",
    "table",
]
