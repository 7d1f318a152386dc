"""The stack's own failure: deploying, waiting or writing the config did not work out."""
from __future__ import annotations

from traderadmin.errors import ToolkitError


class DeployError(ToolkitError):
    """The stack could not be deployed; the message says why and what to do."""
