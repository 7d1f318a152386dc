"""When and how a new config is applied: the contract's reloader (configcontract.live), wired to
the orchestrator's judge, its reload settings and its log."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from configcontract.live import Applied, Reloader as _LiveReloader, ReloadSignal, Timing

from . import config as configfile
from .logs import ServiceLog

__all__ = ["Applied", "Reloader"]


class Reloader(_LiveReloader):
    """Holds the running config and reloads it on request (see configcontract.live)."""

    def __init__(self, path: Path, log: ServiceLog, reload_signal: ReloadSignal | None = None, *,
                 watch: bool = True) -> None:
        super().__init__(path, judge=_judge, timing=_timing, log=log, reload_signal=reload_signal,
                         watch=watch, on_applied=lambda config: _apply_logging(log, config))

    def setting(self, section: str, key: str) -> Any:
        """A value of the running config, or the schema's default while none is applied."""
        applied = self.applied
        if applied is None:
            return configfile.schema_default(section, key)
        return applied.config[section][key]


def _judge(data: bytes) -> dict[str, Any]:
    return configfile.load(data)


def _timing(config: dict[str, Any] | None) -> Timing:
    reload = config["reload"] if config is not None else {
        k: configfile.schema_default("reload", k) for k in ("debounce_ms", "poll_interval_s")}
    return Timing(reload["debounce_ms"] / 1000, reload["poll_interval_s"])


def _apply_logging(log: ServiceLog, config: dict[str, Any]) -> None:
    log.set_level(config["logging"]["level"])
    log.set_format(config["logging"]["format"])
