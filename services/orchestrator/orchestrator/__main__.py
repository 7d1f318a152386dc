"""`python -m orchestrator`: install the SIGUSR1 handler first, then start."""
from orchestrator.signals import install_reload_signal

# Before any other import: until this line runs a SIGUSR1 would hit the default
# action (terminate) unless the launcher (bin/orchestrator) ignored it.
reload_requested = install_reload_signal()

from orchestrator.cli import main  # noqa: E402

raise SystemExit(main(reload_requested=reload_requested))
