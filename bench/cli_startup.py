"""Start time of `invoke --list` against its floor, `python -c 'import invoke'`, in the same run.

Run: python bench/cli_startup.py [--runs N]
Prints a table (median, p95, ratio to the baseline) and writes bench/out/cli_startup.png.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "baseline: python -c 'import invoke'": [sys.executable, "-c", "import invoke"],
    "invoke --list": [sys.executable, "-m", "invoke", "-r", str(ROOT), "--list"],
    "invoke --help config.set": [sys.executable, "-m", "invoke", "-r", str(ROOT), "--help", "config.set"],
}


def measure(argv: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - start)
    return out


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    results = {}
    for name, argv in CASES.items():
        measure(argv, 2)  # warm the page cache so every case starts alike
        results[name] = measure(argv, args.runs)
    base = statistics.median(next(iter(results.values())))
    print(f"{'command':<40} {'median s':>9} {'p95 s':>8} {'× baseline':>11}")
    for name, xs in results.items():
        print(f"{name:<40} {statistics.median(xs):>9.3f} {p95(xs):>8.3f} {statistics.median(xs) / base:>11.2f}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.boxplot(list(results.values()), orientation="horizontal", tick_labels=[n.split(":")[0] for n in results])
    ax.axvline(0.4, color="red", linestyle="--", label="goal 0.4 s")
    ax.set_xlabel("seconds")
    ax.set_title(f"CLI start time ({args.runs} runs each)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "cli_startup.png", dpi=100)
    print(f"plot: {out / 'cli_startup.png'}")


if __name__ == "__main__":
    main()
