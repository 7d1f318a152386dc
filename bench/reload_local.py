"""Reload latency of both services as local processes: atomic write -> both /status show the new hash.

  watch     the services as they run by default: directory watch, reload.debounce_ms of quiet
  baseline  the fallback alone: --no-watch, only the periodic hash check (reload.poll_interval_s);
            each write waits a random part of the poll interval first, so writes do not
            fall in step with the checks (without it every write would just miss one)

Both services run on one temporary config directory with the default config
(`invoke config.init`); each reload changes one value. Time runs from just
before the atomic write (temp file, fsync, rename, fsync dir) until a service's
/status shows the new config_sha256 (polled every 2 ms); "both" is the later
of the two.

Run: python bench/reload_local.py [--reloads 50] [--baseline-reloads 50]
Prints a table (p50, p95, max per service; baseline as a ratio) and writes
bench/out/reload_local.png. Needs Go (the scanner is built with `go build`).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from traderadmin.atomicfile import atomic_write
from traderadmin.config import sha256

ROOT = Path(__file__).resolve().parent.parent
# The bench drives the services exactly like the reload scenario tests do.
sys.path.insert(0, str(ROOT / "tests"))

from servicehelpers import (  # noqa: E402
    SERVICES,
    ServiceProcess,
    build_scanner,
    config_bytes,
    default_config,
    start_service,
)

POLL_EVERY = 0.002


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def wait_for_hash(svc: ServiceProcess, sha: str, start: float, timeout: float, out: dict[str, float]) -> None:
    """Record when `svc` first shows `sha`, counted from `start` (taken just before the write)."""
    svc.wait_hash(sha, timeout, interval=POLL_EVERY)
    out[svc.kind] = time.perf_counter() - start


def run_mode(
    workdir: Path, scanner: Path, doc, *, watch: bool, reloads: int, timeout: float, jitter: float = 0.0
) -> dict[str, list[float]]:
    config_dir = workdir / ("watch" if watch else "baseline") / "config"
    config_dir.mkdir(parents=True)
    path = config_dir / "config.toml"
    atomic_write(path, config_bytes(doc))
    services = [
        start_service(kind, path, config_dir.parent / "run", scanner_binary=scanner, watch=watch) for kind in SERVICES
    ]
    try:
        for svc in services:
            svc.wait_healthy()
            svc.wait_hash(sha256(path.read_bytes()))
        times: dict[str, list[float]] = {kind: [] for kind in (*SERVICES, "both")}
        rng = random.Random(0)
        for i in range(reloads):
            time.sleep(rng.uniform(0, jitter))
            data = config_bytes(doc, scanner__max_results=100 + i)
            sha = sha256(data)
            seen: dict[str, float] = {}
            start = time.perf_counter()
            atomic_write(path, data)
            waiters = [threading.Thread(target=wait_for_hash, args=(s, sha, start, timeout, seen)) for s in services]
            for t in waiters:
                t.start()
            for t in waiters:
                t.join()
            if set(seen) != set(SERVICES):
                raise RuntimeError(f"reload {i}: only {sorted(seen)} showed the new hash")
            for kind in SERVICES:
                times[kind].append(seen[kind])
            times["both"].append(max(seen.values()))
            print(f"\r{'watch' if watch else 'baseline'}: {i + 1}/{reloads}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        for svc in services:
            status = svc.status()
            if status["reloads"] != reloads or status["rejected"] != 0:
                raise RuntimeError(f"{svc.kind}: {status['reloads']} reloads, {status['rejected']} rejected; "
                                   f"expected {reloads} and 0")
        return times
    finally:
        for svc in services:
            svc.stop()


def table(watch: dict[str, list[float]], baseline: dict[str, list[float]], poll_s: float, debounce_ms: int) -> str:
    rows = [f"{'mode':<34} {'service':<13} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p50 / watch':>11}"]
    for label, data in ((f"watch (debounce {debounce_ms} ms)", watch),
                        (f"baseline: --no-watch, poll {poll_s:g} s", baseline)):
        for kind, xs in data.items():
            ratio = statistics.median(xs) / statistics.median(watch[kind])
            rows.append(f"{label:<34} {kind:<13} {len(xs):>3} {statistics.median(xs) * 1000:>8.0f} "
                        f"{pct(xs, 95) * 1000:>8.0f} {max(xs) * 1000:>8.0f} {ratio:>10.1f}×")
    return "\n".join(rows)


def plot(watch: dict[str, list[float]], baseline: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for label, data, style in (("watch", watch, "-"), ("baseline (poll only)", baseline, "--")):
        for kind in SERVICES:
            xs = sorted(x * 1000 for x in data[kind])
            ys = [(i + 1) / len(xs) for i in range(len(xs))]
            ax.step(xs, ys, style, where="post", label=f"{kind}, {label}")
    ax.axvline(1000, color="red", linestyle=":", label="1 s")
    ax.set_xscale("log")
    ax.set_xlabel("write → /status shows the new hash (ms, log scale)")
    ax.set_ylabel("share of reloads")
    ax.set_title("Config reload latency, local processes")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reloads", type=int, default=50, help="reloads measured with the watch (default 50)")
    ap.add_argument("--baseline-reloads", type=int, default=50,
                    help="reloads measured with the poll alone (default 50; each takes up to the poll interval)")
    args = ap.parse_args()
    doc = default_config()
    poll_s = float(doc["reload"]["poll_interval_s"])
    debounce_ms = int(doc["reload"]["debounce_ms"])
    with tempfile.TemporaryDirectory(prefix="reload-bench-") as tmp:
        workdir = Path(tmp)
        scanner = build_scanner(workdir)
        watch = run_mode(workdir, scanner, doc, watch=True, reloads=args.reloads, timeout=10)
        baseline = run_mode(workdir, scanner, doc, watch=False, reloads=args.baseline_reloads,
                            timeout=3 * poll_s + 5, jitter=poll_s)
    print(table(watch, baseline, poll_s, debounce_ms))
    out = ROOT / "bench" / "out" / "reload_local.png"
    plot(watch, baseline, out)
    print(f"plot: {out}")


if __name__ == "__main__":
    main()
