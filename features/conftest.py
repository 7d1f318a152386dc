"""Binds the step modules to the features: their fixtures, steps and hooks become this conftest's."""
from steps.gate import *  # noqa: F401,F403
from steps.reload_steps import *  # noqa: F401,F403
from steps.stack_steps import *  # noqa: F401,F403
