"""Binds the step modules to the features: their fixtures, steps and hooks become this conftest's."""
import pytest

# Plain `assert`s in the step modules explain themselves like those in test modules.
pytest.register_assert_rewrite("steps")

from steps.cli_steps import *  # noqa: F401,F403
from steps.gate import *  # noqa: F401,F403
from steps.reload_steps import *  # noqa: F401,F403
from steps.stack_steps import *  # noqa: F401,F403
