"""The command line as users type it: parsing only, nothing runs."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks import ns  # noqa: E402


def _tasks(collection, prefix=""):
    for name, task in collection.tasks.items():
        yield f"{prefix}{name}", task
    for name, sub in collection.collections.items():
        yield from _tasks(sub, f"{prefix}{name}.")


@pytest.mark.parametrize("name,task", list(_tasks(ns)), ids=lambda v: v if isinstance(v, str) else "")
def test_help_works_and_explains_every_flag(name, task):
    """`invoke TASK -h` must show help (a flag whose short form is -h would run the task instead),
    and that help must explain the task and each of its flags."""
    assert task.__doc__ and task.__doc__.strip(), f"{name} has no docstring for --help"
    args = task.get_arguments()  # invoke hands each flag its help text once, on this call
    stealing = [a.name for a in args if "h" in a.names]
    assert not stealing, f"{name}: -h is taken by --{stealing}"
    undocumented = [a.name for a in args if not a.help]
    assert not undocumented, f"{name}: flags without help: {undocumented}"
