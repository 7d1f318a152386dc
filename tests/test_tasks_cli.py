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


# Every task that reaches a cluster; those that deliver images also take a registry.
REACHES_A_CLUSTER = ["cluster.up", "cluster.down", "cluster.status", "deploy", "reload", "status", "logs", "down",
                     "up", "doctor", "images.deliver"]
DELIVERS_IMAGES = ["deploy", "up", "images.deliver"]


def test_tasks_that_reach_a_cluster_take_a_context_and_those_that_deliver_a_registry():
    import inspect

    tasks = dict(_tasks(ns))
    # The signature, not get_arguments(): that call hands out each flag's help once.
    flags = {name: set(inspect.signature(tasks[name].body).parameters) for name in REACHES_A_CLUSTER}
    assert [name for name in REACHES_A_CLUSTER if "context" not in flags[name]] == []
    assert [name for name in DELIVERS_IMAGES if "registry" not in flags[name]] == []


def test_context_and_registry_defaults_come_from_the_invoke_config(monkeypatch):
    from invoke import Config, Context

    from tasks._common import cluster_choice

    monkeypatch.setenv("INVOKE_TRADERADMIN_CONTEXT", "kind-dev")
    monkeypatch.setenv("INVOKE_TRADERADMIN_REGISTRY", "localhost:5000/traderadmin")
    config = Config()
    config.load_collection(ns.configuration())
    config.load_shell_env()
    c = Context(config)
    assert cluster_choice(c) == ("kind-dev", "localhost:5000/traderadmin")
    assert cluster_choice(c, "k3d-trading", "ghcr.io/me") == ("k3d-trading", "ghcr.io/me"), "flags win"
    monkeypatch.delenv("INVOKE_TRADERADMIN_CONTEXT")
    monkeypatch.delenv("INVOKE_TRADERADMIN_REGISTRY")
    fresh = Config()
    fresh.load_collection(ns.configuration())
    fresh.load_shell_env()
    assert cluster_choice(Context(fresh)) == (None, ""), "no context: each provider's own"
