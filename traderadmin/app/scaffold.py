"""Render template/ (a cookiecutter template) into a TraderAdmin desktop app.

The name rule below is also enforced by the template's own pre_gen_project
hook, for people who run cookiecutter on the template directly; checking it
here first turns a bad name into one clear error instead of a hook failure.

The app judges its config with the repository's Go config contract
(contract/go), the module the scanner builds with. A rendered app lives
outside the repository, so render() copies the module, byte for byte, into
the app's third_party/configcontract, where the app's go.mod `replace` finds it.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from traderadmin.errors import ToolkitError

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "template"
CONTRACT_DIR = Path(__file__).resolve().parents[2] / "contract" / "go"
# Where the app's go.mod replaces traderadmin.local/configcontract.
CONTRACT_IN_APP = Path("third_party") / "configcontract"
DEFAULT_NAME = "TraderAdmin"
GIT_BRANCH = "feature/backend-setup"

NAME_RULE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
NAME_HELP = "start with a letter, then up to 63 ASCII letters, digits, '-' or '_' (no spaces, dots or slashes), e.g. TraderAdmin"


class ScaffoldError(ToolkitError):
    """The app could not be rendered; the message says why and what to do."""


@dataclass(frozen=True)
class Scaffolded:
    name: str
    path: Path
    git_initialised: bool


def check_name(name: str) -> None:
    """Raise ScaffoldError unless `name` can be the folder, binary, window title and Go module of the app."""
    if not NAME_RULE.fullmatch(name):
        raise ScaffoldError(f"app name {name!r} is not usable: {NAME_HELP}")


def render(
    output_dir: Path,
    name: str = DEFAULT_NAME,
    no_input: bool = True,
    git_init: bool = False,
    overwrite: bool = False,
) -> Scaffolded:
    """Render the template into output_dir/<name>; with no_input=False cookiecutter prompts for the rest."""
    from cookiecutter.exceptions import (
        CookiecutterException,
        FailedHookException,
        OutputDirExistsException,
    )
    from cookiecutter.main import cookiecutter

    check_name(name)
    target = output_dir / name
    if target.exists() and not overwrite:
        raise ScaffoldError(f"{target} already exists: pick another --output-dir or --name, or remove it first")
    context = {"app_name": name, "git_init": git_init}
    try:
        path = cookiecutter(
            str(TEMPLATE_DIR),
            no_input=no_input,
            extra_context=context,
            output_dir=str(output_dir),
            overwrite_if_exists=overwrite,
            accept_hooks=True,
        )
    except OutputDirExistsException as exc:
        raise ScaffoldError(f"{target} already exists: pick another --output-dir or --name, or remove it first") from exc
    except FailedHookException as exc:
        raise ScaffoldError(f"the template refused the input (its hook printed why, above): {exc}") from exc
    except CookiecutterException as exc:
        raise ScaffoldError(f"rendering {TEMPLATE_DIR} failed: {exc}") from exc
    made = Path(path)
    copy_contract(made)
    return Scaffolded(name=made.name, path=made, git_initialised=(made / ".git").is_dir())


def copy_contract(app: Path) -> Path:
    """Put an exact copy of contract/go at the app's third_party/configcontract, replacing any older one."""
    if not (CONTRACT_DIR / "go.mod").is_file():
        raise ScaffoldError(f"{CONTRACT_DIR} holds no Go module: the app needs the config contract from this repository")
    dest = app / CONTRACT_IN_APP
    try:
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(CONTRACT_DIR, dest)
    except OSError as exc:
        raise ScaffoldError(f"copying the config contract {CONTRACT_DIR} into {dest} failed: {exc}") from exc
    return dest
