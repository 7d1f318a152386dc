"""The reload contract, one check per behaviour; each runs against a fresh process in its own folder.

A check gets a `Run` whose service already serves the default config (the poll
off), does what it tests, and returns a one-line detail, or raises CheckFailed
saying what it expected and what it saw. Rejections are recognised by
`last_error` turning non-null: that and `last_rejected_sha256` are the contract's
report, so a service need not count rejections the way ours do.
"""
from __future__ import annotations

import os
import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._files import Configs, Hostile, hostile_files, put_bytes, remove, sha256
from ._process import CheckFailed, Service

STATUS_FIELDS = ("service", "config_sha256", "loaded_at", "reloads", "last_error", "last_rejected_sha256", "config")


@dataclass
class Run:
    """What a check works with: the service, its config path, and the deadlines."""

    service: Service
    path: Path
    configs: Configs
    timeout: float
    use_signal: bool
    good: bytes  # the config the service was started on

    # --- waits on /status -------------------------------------------------------------

    def status(self) -> dict:
        return self.service.status()

    def reported(self, name: str) -> Any:
        status = self.status()
        if name not in status:
            raise CheckFailed(f"/status to have the field {name!r}", f"fields {sorted(status)}")
        return status[name]

    def wait_hash(self, data: bytes, what: str = "", timeout: float | None = None) -> float:
        sha = sha256(data)
        return self.service.wait_for(
            lambda: self.reported("config_sha256") == sha, timeout or self.timeout,
            f"/status config_sha256 {sha[:12]}… ({what or 'the config just written'})",
            lambda: f"config_sha256 {str(self.reported('config_sha256'))[:12]}…, "
                    f"last_error {self.reported('last_error')!r}")

    def wait_rejection(self, what: str) -> dict:
        self.service.wait_for(lambda: self.reported("last_error"), self.timeout,
                              f"a rejection of {what} reported in /status last_error",
                              lambda: f"last_error null, config_sha256 {str(self.reported('config_sha256'))[:12]}…")
        return self.status()

    def write(self, data: bytes) -> str:
        put_bytes(self.path, data)
        return sha256(data)

    # --- assertions ------------------------------------------------------------------

    def expect(self, what: str, seen: Any, ok: bool) -> None:
        if not ok:
            raise CheckFailed(what, repr(seen) if not isinstance(seen, str) else seen)

    def expect_equal(self, what: str, seen: Any, wanted: Any) -> None:
        self.expect(f"{what} = {wanted!r}", f"{seen!r}", seen == wanted)

    def expect_serving(self, data: bytes) -> dict:
        """Alive, /healthz within 1 s, /readyz 200, and `data` still the config in effect."""
        self.service.healthz_seconds(1.0)
        code, body = self.service.get("/readyz")
        self.expect(f"/readyz 200 while the last good config {sha256(data)[:12]}… runs", f"{code} {body}",
                    code == 200)
        status = self.status()
        self.expect_equal("config_sha256 (the last good config kept)", status.get("config_sha256"), sha256(data))
        mismatch = effective_mismatch(status.get("config"), data)
        self.expect("/status config to be the effective config of the last good file", mismatch, mismatch is None)
        return status

    def expect_rejected(self, data_judged: bytes | None, what: str, mentions: str | None = None) -> dict:
        status = self.wait_rejection(what)
        wanted = sha256(data_judged) if data_judged is not None else None
        self.expect_equal("last_rejected_sha256", status.get("last_rejected_sha256"), wanted)
        if mentions:
            self.expect(f"last_error to mention {mentions!r}", status["last_error"],
                        mentions.lower() in str(status["last_error"]).lower())
        self.expect_serving(self.good)
        return status

    def expect_recovers(self, **changes: Any) -> bytes:
        """Not wedged: a new good file replacing whatever is there is applied and clears last_error."""
        if self.path.is_dir() and not self.path.is_symlink():
            remove(self.path)
        new = self.configs.make(**changes)
        self.write(new)
        self.wait_hash(new, "a good config after the bad one")
        self.expect_equal("last_error after a good config", self.reported("last_error"), None)
        return new


def effective_mismatch(config: Any, data: bytes) -> str | None:
    """None when every key of the file has its value in /status config; else the first difference."""
    if not isinstance(config, dict):
        return f"config is {type(config).__name__}, not an object"
    wanted = tomllib.loads(data.decode())

    def walk(want: dict, have: Any, prefix: str) -> str | None:
        for key, value in want.items():
            dotted = f"{prefix}{key}"
            if not isinstance(have, dict) or key not in have:
                return f"{dotted} missing"
            if isinstance(value, dict):
                if (found := walk(value, have[key], dotted + ".")) is not None:
                    return found
            elif have[key] != value:
                return f"{dotted} = {have[key]!r}, the file says {value!r}"
        return None

    return walk(wanted, config, "")


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    run: Callable[[Run], str]
    needs_signal: bool = False
    # Changes to the default config the service starts on (the in-place check needs a long debounce).
    start_with: dict[str, Any] = field(default_factory=dict, compare=False)
    # Put something other than the good config in place before the start (None: the good config).
    before_start: Callable[[Path], None] | None = field(default=None, compare=False)


# --- the checks ---------------------------------------------------------------------------


def _endpoints(r: Run) -> str:
    took = r.service.healthz_seconds(1.0)
    code, body = r.service.get("/readyz")
    r.expect("/readyz 200 once the config is loaded", f"{code} {body}", code == 200)
    return f"/healthz in {took * 1000:.0f} ms, /readyz 200"


def _status_fields(r: Run) -> str:
    status = r.status()
    missing = [f for f in STATUS_FIELDS if f not in status]
    r.expect(f"/status fields {', '.join(STATUS_FIELDS)}", f"missing {missing}", not missing)
    r.expect("service: a non-empty string", status["service"], isinstance(status["service"], str) and status["service"])
    r.expect_equal("config_sha256 (SHA-256 of the file's bytes)", status["config_sha256"], sha256(r.good))
    r.expect("loaded_at set once a config is loaded", status["loaded_at"], bool(status["loaded_at"]))
    r.expect_equal("reloads at start", status["reloads"], 0)
    r.expect_equal("last_error at start", status["last_error"], None)
    r.expect_equal("last_rejected_sha256 at start", status["last_rejected_sha256"], None)
    mismatch = effective_mismatch(status["config"], r.good)
    r.expect("config: every key of the file with its value", mismatch, mismatch is None)
    return f"service {status['service']!r}, loaded_at {status['loaded_at']}"


def _atomic_edits(r: Run) -> str:
    latencies = []
    for n in range(6, 11):
        data = r.configs.make(trading__max_positions=n)
        r.write(data)
        latencies.append(r.wait_hash(data, f"atomic edit max_positions={n}"))
    status = r.status()
    r.expect_equal("reloads after 5 atomic-rename edits (each applied once)", status["reloads"], 5)
    r.expect_equal("config.trading.max_positions", status["config"]["trading"]["max_positions"], 10)
    r.expect_equal("last_error", status["last_error"], None)
    return f"5 edits, slowest applied in {max(latencies) * 1000:.0f} ms"


def _trading_last(data: bytes) -> bytes:
    """The same config with [trading] moved to the end, max_positions its last line."""
    head, *tables = re.split(r"(?m)^(?=\[)", data.decode())
    trading = next(t for t in tables if t.startswith("[trading]"))
    line = next(x for x in trading.splitlines(keepends=True) if x.startswith("max_positions = "))
    tables.remove(trading)
    return (head + "".join(tables) + "\n" + trading.rstrip("\n").replace(line, "") + "\n" + line).encode()


def _in_place(r: Run) -> str:
    final = _trading_last(r.configs.make(reload__debounce_ms=500, trading__max_positions=50))
    r.expect("the service started with reload.debounce_ms = 500", "another config", b"debounce_ms = 500" in r.good)
    torn = final[:-2]  # ends "max_positions = 5": valid, but never meant
    with open(r.path, "r+b") as f:
        f.truncate(0)
        f.write(torn)
        f.flush()
        os.fsync(f.fileno())
        time.sleep(0.05)  # the writer stalls mid-write, well inside the 500 ms debounce
        f.write(final[-2:])
        f.flush()
        os.fsync(f.fileno())
    r.wait_hash(final, "the in-place rewrite")
    status = r.status()
    r.expect_equal("reloads after one in-place rewrite (no torn read applied)", status["reloads"], 1)
    r.expect_equal("config.trading.max_positions", status["config"]["trading"]["max_positions"], 50)
    return "truncate + write with a 50 ms stall: one reload, the final bytes"


def _rejected(bad: Callable[[Run], bytes], what: str, mentions: str | None) -> Callable[[Run], str]:
    def run(r: Run) -> str:
        data = bad(r)
        r.write(data)
        status = r.expect_rejected(data, what, mentions)
        r.expect_equal("reloads after a rejection", status["reloads"], 0)
        r.expect_recovers(trading__max_positions=7)
        return f"last_error {str(status['last_error'])[:80]!r}"
    return run


def _bad_then_good(r: Run) -> str:
    r.write(r.configs.make(trading__max_positions=0))
    r.wait_rejection("max_positions = 0")
    good = r.configs.make(trading__max_positions=7)
    start = time.monotonic()
    r.write(good)
    r.wait_hash(good, "the good config right after the bad one")
    took = time.monotonic() - start
    status = r.status()
    r.expect_equal("(reloads, last_error) after bad then good", (status["reloads"], status["last_error"]), (1, None))
    return f"good one applied {took * 1000:.0f} ms after it was written"


def _delete_recreate(r: Run) -> str:
    r.path.unlink()
    status = r.expect_rejected(None, "the deleted file")
    new = r.configs.make(trading__max_positions=8)
    r.path.write_bytes(new)  # recreated by a plain write, as `cp` would
    r.wait_hash(new, "the recreated file")
    r.expect_equal("last_error after the file came back", r.reported("last_error"), None)
    return f"while missing: last_error {str(status['last_error'])[:60]!r}"


def _burst(r: Run) -> str:
    contents = [r.configs.make(trading__max_positions=n) for n in range(11, 21)]
    start = time.monotonic()
    for i, data in enumerate(contents):
        r.write(data)
        time.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))
    r.wait_hash(contents[-1], "the last of 10 writes in 200 ms")
    time.sleep(0.3)  # a late reload of an earlier write would show here
    status = r.status()
    r.expect_equal("config_sha256 after the burst settles (the last write wins)", status["config_sha256"],
                   sha256(contents[-1]))
    r.expect("at most 3 reloads for 10 writes in 200 ms", f"{status['reloads']} reloads", 1 <= status["reloads"] <= 3)
    return f"{status['reloads']} reload(s) for 10 writes"


def _unchanged(r: Run) -> str:
    loaded_at = r.reported("loaded_at")
    r.write(r.good)  # same bytes, a new inode
    os.utime(r.path)
    if r.use_signal:
        r.service.signal()
    time.sleep(0.5)
    status = r.status()
    r.expect_equal("reloads after rewriting the same bytes", status["reloads"], 0)
    r.expect_equal("loaded_at after rewriting the same bytes", status["loaded_at"], loaded_at)
    barrier = r.configs.make(trading__max_positions=7)
    r.write(barrier)
    r.wait_hash(barrier, "a real change after the unchanged ones")
    r.expect_equal("reloads: only the real change counts", r.reported("reloads"), 1)
    return "same bytes rewritten" + (" and signalled" if r.use_signal else "") + ": no reload"


def _sigusr1(r: Run) -> str:
    first = r.configs.make(trading__max_positions=6)
    r.write(first)
    r.service.signal()
    r.wait_hash(first, "a change followed by SIGUSR1")
    for _ in range(200):
        r.service.signal()
    time.sleep(0.3)
    r.service.healthz_seconds(1.0)
    r.expect_equal("reloads after 200 SIGUSR1 with unchanged bytes", r.reported("reloads"), 1)
    second = r.configs.make(trading__max_positions=7)
    r.write(second)
    r.service.signal()
    r.wait_hash(second, "the next change after the burst (the reloader is not stuck)")
    r.expect_equal("reloads", r.reported("reloads"), 2)
    return "change + signal applied once; 200 signals on unchanged bytes: no reload, no wedge"


def _hostile_running(h: Hostile) -> Callable[[Run], str]:
    def run(r: Run) -> str:
        h.put(r.path)
        status = r.expect_rejected(h.judged, h.description)
        r.expect_recovers(trading__max_positions=6)
        return f"last_error {str(status['last_error'])[:80]!r}"
    return run


def _hostile_at_start(r: Run) -> str:
    status = r.status()
    r.expect_equal("config_sha256 when started on a FIFO", status.get("config_sha256"), None)
    r.expect("last_error reporting the FIFO at start", status.get("last_error"), bool(status.get("last_error")))
    code, body = r.service.get("/readyz")
    r.expect("/readyz 503 with no config loaded", f"{code} {body}", code == 503)
    r.expect_recovers()
    code, body = r.service.get("/readyz")
    r.expect("/readyz 200 once a good config came", f"{code} {body}", code == 200)
    return "served /healthz on a FIFO, not ready; ready once a good file came"


def all_checks(configs: Configs) -> list[Check]:
    checks = [
        Check("endpoints", "/healthz and /readyz answer 200 once the config is loaded", _endpoints),
        Check("status-fields", "/status has service, config_sha256, loaded_at, reloads, last_error, "
              "last_rejected_sha256 and the effective config", _status_fields),
        Check("atomic-edits", "5 atomic-rename edits in a row are each applied once", _atomic_edits),
        Check("in-place-write", "a truncate-and-write with a stall applies the final bytes, no torn read",
              _in_place, start_with={"reload__debounce_ms": 500}),
        Check("invalid-toml", "invalid TOML is rejected and reported; the last good config is kept",
              _rejected(lambda r: b"[trading\nmax_positions = 6\n", "invalid TOML", "toml")),
        Check("out-of-range", "an out-of-range value is rejected naming the key; the last good config is kept",
              _rejected(lambda r: r.configs.make(trading__max_positions=0), "max_positions = 0",
                        "trading.max_positions")),
        Check("unknown-key", "an unknown key is rejected naming it; the last good config is kept",
              _rejected(lambda r: r.configs.make(trading__max_positons=6), "an unknown key",
                        "trading.max_positons")),
        Check("bad-then-good", "a good config right after a bad one is applied", _bad_then_good),
        Check("delete-recreate", "a deleted config keeps the last good one running; the recreated file is applied",
              _delete_recreate),
        Check("burst", "10 writes within 200 ms give at most 3 reloads and the last write wins", _burst),
        Check("unchanged-hash", "rewriting the same bytes (new inode, new mtime) does nothing", _unchanged),
        Check("sigusr1", "SIGUSR1 after a change applies it once; a burst of 200 neither kills nor wedges",
              _sigusr1, needs_signal=True),
    ]
    for h in hostile_files(configs.make()):
        checks.append(Check(f"hostile-{h.name}", f"{h.description}: rejected and reported, /healthz within 1 s, "
                            "last good kept, the next good file applied", _hostile_running(h)))
    checks.append(Check("hostile-at-start", "started on a FIFO: serves /healthz, not ready, applies the next good "
                        "file", _hostile_at_start, before_start=lambda p: os.mkfifo(p)))
    return checks
