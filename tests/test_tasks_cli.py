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


# --- every flag of every task, as a new user types it ------------------------------------------------

import inspect  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402

from tasks._common import SAFETY_FLAGS, is_duration, long_flag  # noqa: E402

TASKS = dict(_tasks(ns))


def _cli(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), *argv], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "COLUMNS": "200", **(env or {})})


def _flags(task) -> list:
    return [a for a in task.get_arguments(ignore_unknown_help=True)]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_short_flag_is_one_letter_and_safety_flags_have_none(name):
    """invoke picks a dashed name's `-` as its short flag (`--, --no-input`) unless told otherwise, and gave
    --confirm-live `-c`: a real-money switch, or one that deletes data, is typed in full."""
    for arg in _flags(TASKS[name]):
        shorts = [n for n in arg.names if len(n) == 1]
        assert all(n.isalpha() and n != "h" for n in shorts), f"{name} --{arg.name}: short flag {shorts}"
        if (arg.attr_name or arg.name) in SAFETY_FLAGS:
            assert shorts == [], f"{name} --{arg.name} must have no short flag, has {shorts}"


def test_help_never_shows_a_bare_dash_as_a_flag():
    r = _cli("--help", "bootstrap")
    assert r.returncode == 0 and "--, " not in r.stdout and "--no-input" in r.stdout, r.stdout


@pytest.mark.parametrize("name", sorted(TASKS))
def test_help_of_every_task_runs_without_a_traceback(name):
    r = _cli("--help", name)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "Options:" in r.stdout or "none" in r.stdout.lower()


def _typed_flags():
    """(task, flag, kind) for every flag the toolkit reads itself: durations by name, numbers by default."""
    for name, task in sorted(TASKS.items()):
        params = inspect.signature(task.body).parameters
        for pname, param in params.items():
            if pname == "c":
                continue
            flag = "--" + pname.replace("_", "-")
            if is_duration(pname):
                yield name, flag, "duration"
            elif type(param.default) in (int, float) and not isinstance(param.default, bool):
                yield name, flag, "number"


TYPED = list(_typed_flags())


def test_the_class_of_typed_flags_is_found():
    found = {(t, f) for t, f, _ in TYPED}
    assert {("deploy", "--timeout"), ("reload", "--timeout"), ("logs", "--tail"), ("logs", "--since"),
            ("up", "--timeout"), ("app.smoke", "--timeout"), ("conformance.run", "--timeout")} <= found, found


@pytest.mark.parametrize("name,flag,kind", TYPED)
@pytest.mark.parametrize("bad", ["abc", "5x", "-3", "1e999"])
def test_a_bad_number_or_duration_is_a_clear_exit_2_before_anything_runs(name, flag, kind, bad):
    r = _cli(name, f"{flag}={bad}", env={"INVOKE_TRADERADMIN_CONTEXT": "no-such-context-for-tests"})
    assert r.returncode == 2, f"{name} {flag}={bad}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stderr and flag in r.stderr and repr(bad) in r.stderr, r.stderr
    assert r.stdout == "", "nothing ran"


@pytest.mark.parametrize("text,seconds", [("90", 90), ("1.5", 1.5), ("30s", 30), ("5m", 300), ("1h30m", 5400),
                                          ("500ms", 0.5), ("2d", 172800), (" 5m ", 300)])
def test_durations_take_units(text, seconds):
    from traderadmin.cli.args import duration

    assert duration(text, "--timeout") == seconds


@pytest.mark.parametrize("name,flag", [(t, f) for t, f, k in TYPED if k == "duration"])
def test_every_duration_flag_takes_units(name, flag):
    """The parsed value reaches the body in seconds, whatever the unit."""
    task = TASKS[name]
    arg = next(a for a in _flags(task) if long_flag(a) == flag)
    arg.value = "2m"
    assert arg.value == 120.0


def test_a_duration_from_invoke_yaml_takes_units_too_and_a_bad_one_names_the_setting():
    from invoke import Config, Context

    from tasks._common import seconds
    from traderadmin.cli.args import UsageError

    config = Config()
    config.load_collection(ns.configuration())
    c = Context(config)
    assert seconds(c, None, "reload_timeout") == 30
    c.config.traderadmin.reload_timeout = "2m"
    assert seconds(c, None, "reload_timeout") == 120
    assert seconds(c, 5.0, "reload_timeout") == 5, "the flag wins"
    c.config.traderadmin.reload_timeout = "soon"
    with pytest.raises(UsageError, match="traderadmin.reload_timeout"):
        seconds(c, None, "reload_timeout")


def test_tasks_that_can_start_live_trading_take_confirm_live_and_scripts_get_json():
    """Errors tell people to repeat a command with --confirm-live or to use --json: those commands take them."""
    can_go_live = ["up", "deploy", "reload", "config.set", "config.restore"]
    change_things = ["up", "deploy", "reload", "down", "status", "config.set", "config.restore", "cluster.up",
                     "cluster.status", "doctor"]
    params = {name: set(inspect.signature(TASKS[name].body).parameters) for name in TASKS}
    assert [t for t in can_go_live if "confirm_live" not in params[t]] == []
    assert [t for t in change_things if "json" not in params[t]] == []


def test_logs_takes_since_and_previous():
    flags = set(inspect.signature(TASKS["logs"].body).parameters)
    assert {"since", "previous", "follow", "tail", "service"} <= flags


@pytest.mark.parametrize("typo,meant", [("orchestrater", "orchestrator"), ("scaner", "scanner"),
                                         ("config-writr", "config-writer")])
def test_logs_service_typo_is_exit_2_with_did_you_mean_before_the_cluster_is_asked(typo, meant):
    r = _cli("logs", "--service", typo, env={"INVOKE_TRADERADMIN_CONTEXT": "no-such-context-for-tests"})
    assert r.returncode == 2, r.stderr
    assert typo in r.stderr and f"did you mean {meant}" in r.stderr and "Traceback" not in r.stderr


def test_several_words_reach_a_rest_argument_and_flags_still_parse():
    from invoke.parser import Parser

    parser = Parser(contexts=ns.to_contexts())
    result = parser.parse_argv(["config.set", "a=1", "--json", "b=2", "c=[1, 2]", "config.show"])
    first, second = result
    assert first.name == "config.set" and first.args["assignments"].value == ["a=1", "b=2", "c=[1, 2]"]
    assert first.args["json"].value is True
    assert second.name == "config.show", "a task name after the words still starts that task"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_readme_explains_shell_completion_and_the_script_works(shell):
    readme = (ROOT / "README.md").read_text()
    assert f"invoke --print-completion-script {shell}" in readme
    r = _cli("--print-completion-script", shell)
    assert r.returncode == 0 and "invoke" in r.stdout


def test_completion_offers_tasks_and_their_flags():
    tasks_offered = _cli("--complete", "--", "invoke").stdout.split()
    assert {"config.set", "logs", "up", "down"} <= set(tasks_offered)
    flags = _cli("--complete", "--", "invoke", "logs", "--").stdout.split()
    assert {"--since", "--previous", "--follow", "--service", "--tail"} <= set(flags)
    assert "--confirm-live" in _cli("--complete", "--", "invoke", "up", "--").stdout.split()


@pytest.mark.parametrize("name,flag", [(t, f) for t, f, k in TYPED if k == "duration"])
def test_every_duration_flag_shows_it_takes_units(name, flag):
    import re

    out = _cli("--help", name).stdout
    assert f"{flag}=DURATION" in out
    block = out.split(f"{flag}=DURATION", 1)[1].split("\n  -", 1)[0]  # its help, up to the next flag
    assert re.search(r"\b\d+(s|m|h)\b", block), f"{name} {flag}: help gives no example with a unit: {block}"


def test_a_repeatable_flag_shows_it_takes_a_value():
    out = _cli("--help", "reload").stdout
    assert "--set=VALUE" in out


def _named_flags():
    """(task, flag, typo, meant) for every flag that takes one of a known set of names."""
    typos = {"provider": ("lcoal", "local"), "flavor": ("kubadm", "kubeadm"), "flavors": ("plian", "plain"),
             "service": ("scaner", "scanner")}
    for name, task in sorted(TASKS.items()):
        for pname in inspect.signature(task.body).parameters:
            if pname in typos:
                yield name, f"--{pname}", *typos[pname]


NAMED = list(_named_flags())


def test_the_class_of_named_flags_is_found():
    assert {("logs", "--service"), ("images.build", "--service"), ("cluster.up", "--provider"),
            ("cluster.status", "--flavor"), ("up", "--provider"), ("test.all", "--flavors")} <= \
        {(t, f) for t, f, *_ in NAMED}


@pytest.mark.parametrize("name,flag,typo,meant", NAMED)
def test_a_typo_in_a_name_is_exit_2_with_did_you_mean_before_anything_runs(name, flag, typo, meant):
    # A context no cluster has: even if the check regressed, no command could reach the shared cluster.
    r = _cli(name, flag, typo, env={"INVOKE_TRADERADMIN_CONTEXT": "no-such-context-for-tests"})
    assert r.returncode == 2, f"{name} {flag} {typo}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert f"did you mean {meant}" in r.stderr + r.stdout and "Traceback" not in r.stderr


def _every_flag():
    for name, task in sorted(TASKS.items()):
        for arg in _flags(task):
            yield name, long_flag(arg), arg.takes_value and arg.kind is not list


EVERY_FLAG = list(_every_flag())
SAFE = {"INVOKE_TRADERADMIN_CONTEXT": "no-such-context-for-tests"}


@pytest.mark.parametrize("name", sorted(TASKS))
def test_a_typo_in_a_task_name_is_exit_2_with_did_you_mean(name):
    typo = name[:-1] + name[-1] * 2  # e.g. config.showw
    r = _cli(typo, env=SAFE)
    assert r.returncode == 2 and "Did you mean" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("name,flag,_", EVERY_FLAG)
def test_a_typo_in_any_flag_is_exit_2_naming_the_flag_meant(name, flag, _):
    r = _cli(name, flag + flag[-1], env=SAFE)
    assert r.returncode == 2, f"{name} {flag}{flag[-1]}: exit {r.returncode}\n{r.stderr}"
    assert f"Did you mean {flag}?" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("name,flag", [(n, f) for n, f, takes in EVERY_FLAG if takes])
def test_a_flag_without_its_value_is_exit_2_with_an_example(name, flag):
    r = _cli(name, flag, env=SAFE)
    assert r.returncode == 2 and f"{flag} needs a value, e.g. {flag} " in r.stderr, r.stderr


def test_a_missing_required_word_is_exit_2():
    r = _cli("config.get", env=SAFE)
    assert r.returncode == 2 and "key" in r.stderr and "invoke --help config.get" in r.stderr
