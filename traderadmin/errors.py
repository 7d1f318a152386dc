"""The root of the toolkit's own errors.

Every family (config, cluster, images, deploy, reload, app) derives from
ToolkitError, and each message says what failed and what to do next, so the
task layer can show any of them to a person as they are, without a traceback.
"""


class ToolkitError(RuntimeError):
    """An error the toolkit raises on purpose; its message is meant for a person."""
