"""How invoke reads the toolkit's command lines: one Task class for every task, and the parser's gaps filled.

Imported by every task module through `tasks._common`, so it must stay light: nothing
from `traderadmin` is imported until a value is parsed or a task runs.
"""
from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable

import invoke
from invoke import Exit
from invoke.exceptions import ParseError
from invoke.parser import Argument

SAFETY_FLAGS = frozenset({"confirm_live", "purge"})
"""Flags that trade real money or delete data: typed in full, never as a one-letter flag."""

_DURATION = re.compile(r"(^|_)(timeout|interval|since|delay|debounce)$")


def is_duration(name: str) -> bool:
    """Whether a flag is a duration by its name: every such flag takes units (30s, 5m, 1h)."""
    return _DURATION.search(name) is not None


def long_flag(arg: Argument) -> str:
    """`--app-dir`, as typed (invoke's `arg.name` is the Python name, `app_dir`)."""
    return "--" + next((n for n in arg.names if len(n) > 1), arg.names[0])


class _Read(Argument):
    """A flag whose text the toolkit reads itself (durations, counts, numbers).

    invoke would cast with int()/float() and a bad value would end in a traceback;
    here it ends in one line naming the flag, the value and the fix, with exit 2.
    """

    def __init__(self, reader: Callable[[str, str], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reader = reader

    def set_value(self, value: Any, cast: bool = True) -> None:
        if not (cast and isinstance(value, str)):
            super().set_value(value, cast)
            return
        from traderadmin.errors import ToolkitError

        try:
            converted = self.reader(value, long_flag(self))
        except ToolkitError as e:
            raise Exit(f"✗ {e}", code=2) from None
        self.raw_value = value
        self._value = converted


class _Rest(Argument):
    """The task's words after its name (`config.set a=1 b=2`): invoke has no variadic positionals."""


def _reader(name: str, kind: Any, minimum: int | None) -> Callable[[str, str], Any] | None:
    """How a flag's text becomes its value, when the toolkit reads it rather than invoke."""
    if not (is_duration(name) or kind in (int, float)):
        return None

    def read(text: str, flag: str) -> Any:
        from traderadmin.cli import args  # at parse time only: `invoke --list` stays light

        if is_duration(name):
            return args.duration(text, flag)
        if kind is int:
            return args.count(text, flag, minimum=0 if minimum is None else minimum)
        return args.number(text, flag, minimum=minimum)

    return read


class Task(invoke.Task):
    """invoke's Task with the toolkit's rules for every flag of every task.

    - Short flags are letters only, never `h` (help) and never for SAFETY_FLAGS: invoke
      would otherwise pick `-` from a dashed name (`--, --no-input`) or `-c` for
      `--confirm-live`.
    - Durations (by name: timeout, interval, since...) take units, and numbers are read
      by traderadmin.cli.args, so a bad value is a clear exit 2, never a traceback.
    - `rest=NAME` collects every further word as that list parameter.
    - Output into a closed pipe (`invoke config.diff | head`) ends quietly.
    """

    def __init__(self, body: Callable, *, rest: str | None = None, minimum: dict[str, int] | None = None,
                 **kwargs: Any) -> None:
        self.rest = rest
        self.minimum = dict(minimum or {})
        if rest:
            kwargs["iterable"] = [*kwargs.get("iterable", ()), rest]
            kwargs["positional"] = [*kwargs.get("positional", ()), rest]
        super().__init__(body, **kwargs)

    def arg_opts(self, name: str, default: Any, taken_names: set[str]) -> dict[str, Any]:
        auto, self.auto_shortflags = self.auto_shortflags, False
        try:
            opts = super().arg_opts(name, default, taken_names)
        finally:
            self.auto_shortflags = auto
        long = opts["names"][0]
        if auto and name not in SAFETY_FLAGS:
            short = next((ch for ch in long if ch.isalpha() and ch != "h" and ch != long and ch not in taken_names),
                         None)
            if short:
                opts["names"] = [long, short]
        return opts

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        saved = dict(self.help)  # invoke hands out each flag's help once; completion and help ask again
        try:
            found = super().get_arguments(ignore_unknown_help)
        finally:
            self.help = saved
        out = []
        for arg in found:
            fields = dict(names=arg.names, kind=arg.kind, default=arg.default, help=arg.help,
                          positional=arg.positional, optional=arg.optional, incrementable=arg.incrementable,
                          attr_name=arg.attr_name)
            reader = _reader(arg.attr_name or arg.name, arg.kind, self.minimum.get(arg.attr_name or arg.name))
            if self.rest and self.rest in (arg.attr_name, arg.name):
                out.append(_Rest(**fields))
            elif reader and arg.kind is not list:
                shown = int if arg.kind is int and not is_duration(arg.attr_name or arg.name) else str  # INT / DURATION
                out.append(_Read(reader, **{**fields, "kind": shown}))
            else:
                out.append(arg)
        return out

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from traderadmin.errors import ToolkitError

        try:
            result = super().__call__(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
            return result
        except BrokenPipeError:
            _silence_stdout()
            raise Exit(code=141) from None  # what a process killed by SIGPIPE reports
        except ToolkitError as e:  # the last guard: a library error reaches a person as its message
            from ._common import fail

            fail(e, bool(kwargs.get("json")))


def _silence_stdout() -> None:
    # The reader has gone (`| head`): later writes, and Python's own flush at exit, go nowhere.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def task(*args: Any, **kwargs: Any) -> Any:
    """`invoke.task` with the toolkit's Task (see Task for the rules it adds)."""
    return invoke.task(*args, klass=Task, **kwargs)


class UsageParseError(ParseError, Exit):
    """A word of the command line invoke cannot place (a task name or flag it does not know, a flag without
    its value): exit 2, a usage error, where invoke exits 1; unknown names get the one likely meant.

    Still a ParseError, carrying the context, so tab completion of a half-typed flag works as before.
    """

    def __init__(self, message: str, context: Any) -> None:
        ParseError.__init__(self, message, context)
        self.text, self.message, self._code = message, "", 2  # printed once, as the ParseError it also is

    def __str__(self) -> str:
        return self.text


def _unknown_word(token: str, machine: Any, error: ParseError) -> UsageParseError:
    import difflib

    flags = list(machine.context.flags) if machine.context else []
    known = flags if token.startswith("-") else [*machine.contexts, *flags]
    match = difflib.get_close_matches(token, known, n=1, cutoff=0.6)
    where = (f"`invoke --help {machine.context.name}` lists its flags" if token.startswith("-") and machine.context
             else "`invoke --list` lists the tasks")
    hint = f" Did you mean {match[0]}?" if match else ""
    return UsageParseError(f"✗ {error}{hint} ({where})", error.context)


def _example(flag: Argument) -> str:
    name = flag.attr_name or flag.name
    if is_duration(name):
        return "30s"
    return "50" if flag.kind is int else "VALUE"


def _install_rest_parsing() -> None:
    """Let a task with `rest=` take any number of words: `invoke config.set a=1 b=2`.

    invoke's parser takes a word it has no slot for as the next task's name and fails
    with "No idea what 'b=2' is!". Here a task's rest argument takes it instead, unless
    it is a flag, a flag's value, or (after the first word) the name of another task.
    """
    from invoke.parser.parser import ParseMachine

    if getattr(ParseMachine, "_rest_words", False):
        return
    original = ParseMachine.handle

    def handle(self: ParseMachine, token: str) -> None:
        rest = next((a for a in self.context.args.values() if isinstance(a, _Rest)), None) if self.context else None
        if (rest is not None and self.current_state != "unknown" and not self.waiting_for_flag_value
                and not token.startswith("-") and not (rest.value and token in self.contexts)):
            rest.value = token
            return
        if (self.context and token.startswith("--") and self.current_state != "unknown"
                and not self.waiting_for_flag_value and token not in self.context.flags
                and token not in self.context.inverse_flags and not (self.initial and token in self.initial.flags)):
            # invoke would take a mistyped flag as a task's missing positional value (`config.get --keyy`).
            raise _unknown_word(token, self, ParseError(f"No idea what {token!r} is!", self.context))
        try:
            original(self, token)
        except ParseError as e:
            if not str(e).startswith("No idea what"):
                raise
            raise _unknown_word(token, self, e) from None

    def complete_flag(self: ParseMachine) -> None:
        flag = self.flag
        try:
            finish_flag(self)
        except UsageParseError:
            raise
        except ParseError as e:
            text = (f"✗ {long_flag(flag)} needs a value, e.g. {long_flag(flag)} {_example(flag)} (`invoke --help "
                    f"{self.context.name}` explains it)" if flag is not None and "needed value" in str(e) and self.context
                    else f"✗ {e}")
            raise UsageParseError(text, e.context) from None

    def complete_context(self: ParseMachine) -> None:
        try:
            finish_context(self)
        except UsageParseError:
            raise
        except ParseError as e:  # a task without a required word, e.g. `invoke config.get`
            where = f" (`invoke --help {self.context.name}` shows how to call it)" if self.context else ""
            raise UsageParseError(f"✗ {e}{where}", e.context) from None

    finish_flag, finish_context = ParseMachine.complete_flag, ParseMachine.complete_context
    ParseMachine.handle = handle
    ParseMachine.complete_flag = complete_flag
    ParseMachine.complete_context = complete_context
    ParseMachine._rest_words = True


_install_rest_parsing()


def _install_list_help() -> None:
    """Help shows a repeatable flag as taking a value (`-s VALUE, --set=VALUE`), not as a switch (invoke
    names only str and int values), and a duration as `--timeout=DURATION`."""
    from invoke.parser.context import ParserContext

    if getattr(ParserContext, "_list_values", False):
        return
    original = ParserContext.help_for

    def help_for(self: ParserContext, flag: str) -> tuple[str, str]:
        names, text = original(self, flag)
        arg = self.flags[flag]
        if isinstance(arg, _Read) and is_duration(arg.attr_name or arg.name):
            names = names.replace("STRING", "DURATION")
        if arg.kind is list:
            names = ", ".join(n + (" VALUE" if len(n) == 2 else "=VALUE") if "=" not in n and " " not in n else n
                              for n in names.split(", "))
        return names, text

    ParserContext.help_for = help_for
    ParserContext._list_values = True


_install_list_help()


def _quiet_broken_pipe() -> None:
    """Output of invoke itself (`invoke --list | head`) into a closed pipe ends quietly too, as a task's does."""
    previous = sys.excepthook

    def hook(kind, value, traceback):  # noqa: ANN001 (sys.excepthook's signature)
        if issubclass(kind, BrokenPipeError):
            _silence_stdout()
            os._exit(141)
        previous(kind, value, traceback)

    if not getattr(sys.excepthook, "_quiet_pipe", False):
        hook._quiet_pipe = True  # type: ignore[attr-defined]
        sys.excepthook = hook


_quiet_broken_pipe()
