"""When and how a new config is applied.

Three triggers ask for a reload: a file-system watch on the config's
directory, a periodic hash check, and SIGUSR1. All of them only put a request
on one queue; a single worker thread serves the queue, so reloads never run
concurrently and a burst of requests collapses into few reads.

The directory is watched, not the file: editors and atomic writers replace the
file by a rename, and a watch on the old inode would go silent. Events for any
other name in the directory (the writers' temp files) are dropped, except for
a name the config's symlink passes through: a ConfigMap volume mounts
config.toml -> ..data/config.toml and swaps ..data in one rename. Events are
debounced (reload.debounce_ms of quiet before reading), unless the file's
writer vouched for it (its hash recorded beside it, `_reload_vouched`), and the periodic check
(reload.poll_interval_s) catches whatever the watch missed, for example on
file systems that deliver no events. When the directory itself goes away the
watch is set up again as soon as it is back.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import config as configfile
from .logs import ServiceLog, rfc3339
from .signals import ReloadSignal

# Returned by _read_settled when the path does not exist.
_MISSING = None

# How often a watch that is down is tried again: soon enough that a recreated
# directory is watched well before the next poll, cheap while it stays away.
_WATCH_RETRY_S = 0.1


@dataclass(frozen=True)
class Applied:
    """A config the service runs on. Replaced as a whole, never changed in place."""

    config: dict[str, Any]
    sha256: str
    loaded_at: datetime


class Reloader:
    """Holds the running config and reloads it on request.

    `lock` guards the state below; it is held only to read or swap it, never
    during I/O or validation.
    """

    def __init__(self, path: Path, log: ServiceLog, reload_signal: ReloadSignal | None = None, *, watch: bool = True) -> None:
        self.path = path
        self.log = log
        self.lock = threading.Lock()
        self._reload_signal = reload_signal
        self._watch = watch
        self._applied: Applied | None = None
        self._rejected_identity: str | None = None
        self._reloads = 0
        self._rejected = 0
        self._last_error: str | None = None
        # The hash of the bytes last refused, so the toolkit can tell "rejected my config"
        # from "has not seen it yet".
        self._last_rejected_sha: str | None = None
        self._requests: queue.Queue[str] = queue.Queue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- state -------------------------------------------------------------

    @property
    def applied(self) -> Applied | None:
        """The running config (one reference read: always a whole config)."""
        return self._applied

    def setting(self, section: str, key: str) -> Any:
        """A value of the running config, or the schema's default while none is applied."""
        applied = self._applied
        if applied is None:
            return configfile.schema_default(section, key)
        return applied.config[section][key]

    def status(self) -> dict[str, Any]:
        with self.lock:
            applied = self._applied
            return {
                "config_path": str(self.path),
                "config_sha256": applied.sha256 if applied else None,
                "loaded_at": rfc3339(applied.loaded_at) if applied else None,
                "reloads": self._reloads,
                "rejected": self._rejected,
                "last_error": self._last_error,
                "last_rejected_sha256": self._last_rejected_sha,
                "config": applied.config if applied else None,
            }

    # --- one reload --------------------------------------------------------

    def reload(self, trigger: str, vouched: bytes | None = None) -> None:
        """Read the file; apply it if it is new and valid, else keep the running config.

        `vouched`: bytes already read whose writer vouched for them (see
        _reload_vouched); they are taken as they are, without the settle wait.
        """
        try:
            data = vouched if vouched is not None else self._read_settled()
            problem = f"config file missing: {self.path}" if data is _MISSING else None
        except OSError as e:
            data, problem = _MISSING, f"cannot read config file {self.path}: {e.strerror or e}"
        sha = None if data is _MISSING else configfile.sha256(data)
        # What a rejection remembers: the bytes, or why there were none.
        identity = sha if sha is not None else problem
        with self.lock:
            if sha is not None and self._applied is not None and sha == self._applied.sha256:
                if self._rejected_identity is not None:
                    # The file is back to what runs: the earlier rejection no longer describes it.
                    self._rejected_identity = None
                    self._last_error = None
                    self._last_rejected_sha = None
                return
            if identity == self._rejected_identity:
                return
        if problem is not None:
            self._reject(identity, None, problem, trigger)
            return
        try:
            new = configfile.load(data)
        except configfile.ConfigError as e:
            self._reject(identity, sha, str(e), trigger)
            return
        except Exception as e:  # noqa: BLE001
            # No file may stop the service or leave a reload unanswered: a bug met
            # while judging one is reported like any other rejection.
            self._reject(identity, sha, f"internal error while checking the config: {type(e).__name__}: {e}", trigger)
            return
        self._apply(new, sha, trigger)

    def _apply(self, new: dict[str, Any], sha: str, trigger: str) -> None:
        with self.lock:
            first = self._applied is None
            self._applied = Applied(new, sha, datetime.now(timezone.utc))
            if not first:
                self._reloads += 1
            self._last_error = None
            self._last_rejected_sha = None
            # A later return of once-rejected bytes is a change again and must be judged again.
            self._rejected_identity = None
        self.log.info("Config loaded" if first else "Config reloaded", config_sha256=sha, trigger=trigger)
        # Level and format apply after the line that reports the load.
        self.log.set_level(new["logging"]["level"])
        self.log.set_format(new["logging"]["format"])

    def _reject(self, identity: str, sha: str | None, error: str, trigger: str) -> None:
        with self.lock:
            self._rejected_identity = identity
            self._rejected += 1
            self._last_error = error
            self._last_rejected_sha = sha
        self.log.error("Config reload rejected", config_sha256=sha, error=error, trigger=trigger)

    def _reload_vouched(self, trigger: str) -> bool:
        """Apply the file at once when its writer vouched for it; report whether it did.

        An atomic writer (the toolkit's config writer) records the hash of a
        complete file in `.NAME.sha256` beside it before renaming it into place.
        Bytes whose hash equals that record are complete by construction (a torn
        read cannot match), so they skip the debounce and the settle wait.
        Anything else (no record, a stale one, a file still being written)
        reports False and takes the debounced path.
        """
        try:
            data = configfile.read_file(self.path)
            record = self.path.with_name(f".{self.path.name}.sha256")
            if not record.is_file() or record.is_symlink() or record.stat().st_size > 128:
                return False
            if record.read_text().strip() != configfile.sha256(data):
                return False
        except Exception:  # noqa: BLE001  (unreadable now: the careful path will say why)
            return False
        self._reload_logged(trigger, data)
        return True

    def _read_settled(self) -> bytes | None:
        """The file's bytes once nobody has written it for the debounce time.

        Guards triggers that are not debounced (poll, signal) against reading a
        file that an in-place writer is still filling. Bounded: a file that never
        settles is read anyway, and validation judges what was read. Anything but
        a regular file within the size cap raises configfile.FileRefused.
        """
        quiet = self.setting("reload", "debounce_ms") / 1000
        for _ in range(3):
            try:
                before = os.stat(self.path)
            except FileNotFoundError:
                return _MISSING
            age = time.time() - before.st_mtime
            if 0 <= age < quiet:
                time.sleep(quiet - age)
                continue
            try:
                data = configfile.read_file(self.path)
            except FileNotFoundError:
                return _MISSING
            after = os.stat(self.path)
            if (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns):
                return data
        try:
            return configfile.read_file(self.path)
        except FileNotFoundError:
            return _MISSING

    # --- triggers ----------------------------------------------------------

    def start(self) -> None:
        """Start the worker and the triggers (the first load is the caller's `reload("start")`)."""
        targets = [self._work]
        if self._reload_signal is not None:
            targets.append(self._relay_signals)
        if self._watch:
            targets.append(self._watch_directory)
        for target in targets:
            thread = threading.Thread(target=target, name=target.__name__.strip("_"), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker and the watch; the signal relay ends when its ReloadSignal is closed."""
        self._stopping.set()
        self._requests.put("stop")
        for thread in self._threads:
            if thread.name != "relay_signals":
                thread.join(timeout)

    def _relay_signals(self) -> None:
        assert self._reload_signal is not None
        while self._reload_signal.wait():
            self._requests.put("signal")

    def _watch_directory(self) -> None:
        import watchfiles

        directory = os.path.abspath(self.path.parent)
        down: str | None = None  # why the watch is down, logged once per reason

        def ours(change: watchfiles.Change, path: str) -> bool:
            return path == directory or os.path.basename(path) in self._watched_names()

        while not self._stopping.is_set():
            try:
                if not os.path.isdir(directory):
                    raise FileNotFoundError(f"no directory {directory}")
                watch = watchfiles.watch(
                    directory,
                    watch_filter=ours,
                    stop_event=self._stopping,
                    recursive=False,
                    raise_interrupt=False,
                    # watchfiles yields a batch one to two steps after its last event: at 5 ms a
                    # vouched write is applied within ~10 ms (20 ms made it the slower service).
                    # Our own debounce still groups the events of a save.
                    step=5,
                )
                with closing(watch):
                    # A change made while no watch was running is found by this first check.
                    self._requests.put("watch")
                    if down is not None:
                        down = None
                        self.log.info("Config watch restored", directory=directory)
                    for changes in watch:
                        self._requests.put("watch")
                        if any(path == directory for _, path in changes):
                            # The directory was removed or renamed: this watch would see nothing more.
                            raise FileNotFoundError(f"directory {directory} removed or renamed")
            except (OSError, RuntimeError) as e:
                # Meanwhile the poll keeps working; the watch comes back with the directory.
                if str(e) != down:
                    down = str(e)
                    self.log.error("Config watch failed", directory=directory, error=down)
                    # What took the watch may have taken the file: look now, not at the next poll.
                    self._requests.put("watch")
            self._stopping.wait(_WATCH_RETRY_S)

    def _watched_names(self) -> set[str]:
        """The config's name and the names in its directory its symlinks pass through (a ConfigMap's ..data)."""
        names, path = {self.path.name}, self.path
        for _ in range(8):  # a link to a link, within reason
            try:
                target = os.readlink(path)
            except OSError:  # not a symlink (or gone)
                break
            first = Path(target).parts[0] if target else ""
            if os.path.isabs(target) or first in ("", ".", ".."):
                break
            names.add(first)
            path = path.parent / target
        return names

    def _work(self) -> None:
        now = time.monotonic()
        next_poll = now + self.setting("reload", "poll_interval_s")
        watch_due: float | None = None
        while True:
            deadline = next_poll if watch_due is None else min(next_poll, watch_due)
            try:
                request = self._requests.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                request = None
            if request == "stop":
                return
            now = time.monotonic()
            if request == "signal":
                self._reload_logged("signal")
            elif request == "watch" and not self._reload_vouched("watch"):
                # Debounce: wait for this much quiet after the latest event.
                watch_due = now + self.setting("reload", "debounce_ms") / 1000
            if watch_due is not None and time.monotonic() >= watch_due:
                watch_due = None
                self._reload_logged("watch")
            if time.monotonic() >= next_poll:
                self._reload_logged("poll")
                next_poll = time.monotonic() + self.setting("reload", "poll_interval_s")
            # A reload may have shortened the poll interval.
            next_poll = min(next_poll, time.monotonic() + self.setting("reload", "poll_interval_s"))

    def _reload_logged(self, trigger: str, vouched: bytes | None = None) -> None:
        # The worker must outlive any bug in one reload, or reloading stops for good.
        try:
            self.reload(trigger, vouched)
        except Exception as e:  # noqa: BLE001
            self.log.error("Config reload failed", trigger=trigger, error=f"{type(e).__name__}: {e}")
