"""`invoke watch`: every save of config.toml is validated, pushed into the cluster and confirmed.

The config's directory is watched, not the file: editors save by renaming a
temp file over it (most IDEs), by writing in place (nano, `>`), or, like vim,
by renaming the old file to a backup and writing a new one. Events for any
other name (the editor's swap and backup files, vim's `4913` probe) are
dropped. A save is handled once the file has been quiet for `quiet_ms`, so a
save made of several events is one push. Saves that arrive while a push is in
flight are gathered by the watch and handled next, one at a time.

A save the contract refuses (or a switch to LIVE without --confirm-live, the
same rule as `invoke reload`) is reported with its keys, values and fixes, and
nothing reaches the cluster. Content equal to what was last pushed is not
pushed again (an editor that saves without changes).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from traderadmin.config import ConfigError, ConfigFiles, ConfigInvalid, read, sha256
from traderadmin.errors import ToolkitError

from traderadmin.kube.protocol import ClusterApi
from traderadmin.stack import reload as reloading

# Editors finish a save within a few ms; vim's rename-and-rewrite takes a few more.
QUIET_MS = 50

CONFIRMED, REFUSED, FAILED, UNCHANGED, MISSING = "confirmed", "refused", "failed", "unchanged", "missing"


@dataclass
class SaveResult:
    """What became of one save: one line of `invoke watch`."""

    at: datetime
    result: str  # confirmed | refused | failed | unchanged | missing
    sha256: str | None = None
    keys: list[str] = field(default_factory=list)
    seconds: float = 0.0
    message: str = ""
    issues: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result in (CONFIRMED, UNCHANGED)

    def as_dict(self) -> dict[str, Any]:
        return {"time": self.at.isoformat(timespec="seconds"), "result": self.result, "ok": self.ok,
                "sha256": self.sha256, "keys": self.keys, "seconds": round(self.seconds, 3),
                "message": self.message, "issues": self.issues}

    def line(self) -> str:
        """`HH:MM:SS  sha12  keys  result (seconds)`: what a person reads per save."""
        shown = self.keys if len(self.keys) <= 6 else self.keys[:5] + [f"… (+{len(self.keys) - 5})"]
        keys = ", ".join(shown) if shown else "-"
        sha = (self.sha256 or "-" * 12)[:12]
        verdict = {CONFIRMED: f"✓ confirmed in {self.seconds:.2f} s",
                   UNCHANGED: "= unchanged, nothing pushed",
                   REFUSED: "✗ refused, cluster untouched",
                   FAILED: f"✗ not confirmed after {self.seconds:.2f} s",
                   MISSING: "✗ the file is gone, cluster untouched"}[self.result]
        text = f"{self.at:%H:%M:%S}  {sha}  {keys}  {verdict}"
        return text + (f"\n{self.message}" if self.message else "")


def changed_keys(old: dict[str, Any] | None, new: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted keys whose values differ between two configs (all of `new`'s without `old`)."""
    out: list[str] = []
    for key in sorted(set(new) | set(old or {})):
        a, b = (old or {}).get(key), new.get(key)
        path = f"{prefix}{key}"
        if isinstance(a, dict) or isinstance(b, dict):
            out += changed_keys(a if isinstance(a, dict) else {}, b if isinstance(b, dict) else {}, path + ".")
        elif a != b:
            out.append(path)
    return out


class ConfigPusher:
    """Judges and pushes saves of one config file into one namespace, remembering what it last pushed."""

    def __init__(self, kube: ClusterApi, namespace: str, files: ConfigFiles, confirm_live: bool = False,
                 timeout: float = 30, clock: Callable[[], datetime] = datetime.now) -> None:
        self.kube, self.namespace, self.files = kube, namespace, files
        self.confirm_live, self.timeout, self.clock = confirm_live, timeout, clock
        self.last_sha: str | None = None
        self.last_config: dict[str, Any] | None = None

    def start(self) -> str | None:
        """Take the file as it is now as the baseline (nothing is pushed); its hash, None when invalid."""
        try:
            data, config = read(self.files)
        except ConfigError:
            return None
        self.last_sha, self.last_config = sha256(data), config
        return self.last_sha

    def handle_save(self) -> SaveResult:
        at = self.clock()
        started = time.monotonic()
        if not self.files.config.exists():
            return SaveResult(at, MISSING, message=f"  {self.files.config} does not exist (yet); waiting for the next save")
        try:
            data, config = read(self.files)
        except ConfigInvalid as e:
            return SaveResult(at, REFUSED, _sha_of(self.files.config), self._keys_of_refused(),
                              message=_issues_text(e), issues=_issues(e))
        except ToolkitError as e:
            return SaveResult(at, REFUSED, message=f"  {e}")
        digest = sha256(data)
        keys = changed_keys(self.last_config, config)
        if digest == self.last_sha:
            return SaveResult(at, UNCHANGED, digest)
        try:
            pods = self.kube.pods(self.namespace)
            reloading.guard_live_in_cluster(self.kube, self.namespace, config, self.confirm_live, pods)
        except ConfigInvalid as e:
            return SaveResult(at, REFUSED, digest, keys, message=_issues_text(e), issues=_issues(e))
        except ToolkitError as e:
            return SaveResult(at, FAILED, digest, keys, time.monotonic() - started, f"  {e}")
        try:
            outcome = reloading.push(self.kube, self.namespace, data, digest, timeout=self.timeout, pods=pods)
        except ToolkitError as e:
            return SaveResult(at, FAILED, digest, keys, time.monotonic() - started, f"  {e}")
        if not outcome.ok:
            report = reloading.failure_report(self.kube, self.namespace, outcome)
            return SaveResult(at, FAILED, digest, keys, outcome.seconds, _indent(report))
        self.last_sha, self.last_config = digest, config
        return SaveResult(at, CONFIRMED, digest, keys, outcome.seconds)


    def _keys_of_refused(self) -> list[str]:
        """The keys a refused save changed, as far as it parses as TOML at all (else none)."""
        import tomllib

        try:
            return changed_keys(self.last_config, tomllib.loads(self.files.config.read_text()))
        except (OSError, ValueError):
            return []


def _sha_of(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except OSError:
        return None


def _issues(e: ConfigInvalid) -> list[dict[str, str]]:
    return [{"key": i.key, "message": i.message, "fix": i.fix} for i in e.issues]


def _issues_text(e: ConfigInvalid) -> str:
    lines = []
    for i in e.issues:
        lines.append(f"  {i.key}: {i.message}")
        if i.fix:
            lines.append(f"      fix: {i.fix}")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def saves(config: Path, stop: threading.Event, quiet_ms: int = QUIET_MS) -> Iterable[None]:
    """One item per save of `config`, once it has been quiet for `quiet_ms`, until `stop` is set.

    A KeyboardInterrupt (Ctrl-C) in the main thread ends the iteration by raising it.
    """
    import watchfiles

    directory = config.resolve().parent
    name = config.name

    def ours(change: watchfiles.Change, path: str) -> bool:
        return Path(path).name == name

    for _ in watchfiles.watch(directory, watch_filter=ours, stop_event=stop, recursive=False,
                              step=quiet_ms, debounce=max(1600, quiet_ms * 4), raise_interrupt=True):
        yield None


def watch(pusher: ConfigPusher, stop: threading.Event, on_result: Callable[[SaveResult], None],
          quiet_ms: int = QUIET_MS) -> None:
    """Handle every save until `stop` is set (or Ctrl-C, which propagates)."""
    for _ in saves(pusher.files.config, stop, quiet_ms):
        on_result(pusher.handle_save())
