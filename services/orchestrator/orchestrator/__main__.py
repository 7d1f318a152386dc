"""`python -m orchestrator`: take over SIGUSR1 first, then start."""
from orchestrator.signals import ReloadSignal

# Before any other import: until this line runs a SIGUSR1 would hit the default
# action (terminate) unless the launcher (bin/orchestrator) ignored it.
reload_signal = ReloadSignal()

from orchestrator.cli import main  # noqa: E402

raise SystemExit(main(reload_signal=reload_signal))
