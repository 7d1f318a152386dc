"""The desktop app's Save -> both services confirm, on the live cluster, against the toolkit in the same run.

  app save+push   the app's back end (console module, through cmd/consolectl, one process as the open
                  window is): Save an edit (lock, backup, atomic write), Push it (client-go exec into
                  the config writer, SIGUSR1, /status polls through the API server) until both
                  services report the new hash
  toolkit push    the toolkit's own in-process path: config.set + reload.push (Python client)
  invoke reload   the command a person types: `invoke reload --set KEY=VALUE`, wall time

Run: python bench/app_push.py [--rounds 20] [--cli-rounds 5] [--namespace ta-app]
Without --namespace it deploys the stack into its own namespace and deletes it at the end.
Needs a running cluster (`invoke cluster.up`), Go, and the toolkit's venv.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from traderadmin.app import scaffold  # noqa: E402
from traderadmin.cluster.providers import get_provider  # noqa: E402
from traderadmin.config import ConfigFiles, init_config, read, set_values, sha256  # noqa: E402
from traderadmin.kube.sdk import connect  # noqa: E402
from traderadmin.stack import reload  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def build_consolectl(work: Path) -> Path:
    app = scaffold.render(work, "BenchApp").path
    binary = work / "consolectl"
    subprocess.run(["go", "build", "-o", str(binary), "./cmd/consolectl"], cwd=app, check=True,
                   env={**os.environ, "CGO_ENABLED": "0"})
    return binary


def bench_app(binary: Path, files: ConfigFiles, namespace: str, context: str, rounds: int) -> list[float]:
    # One round more, dropped: the first Save may find the value already in place.
    proc = subprocess.run([str(binary), "-config", str(files.config), "-schema", str(files.schema_path),
                           "-context", context, "-namespace", namespace,
                           "bench", "-n", str(rounds + 1), "-key", "scanner.max_results", "-values", "60,61"],
                          capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines()][1:]
    bad = [r for r in rows if not r["ok"]]
    assert not bad, bad
    return [r["total_s"] for r in rows]


def bench_toolkit(files: ConfigFiles, namespace: str, context: str, rounds: int) -> list[float]:
    kube = connect(context)
    out = []
    for i in range(rounds):
        started = time.monotonic()
        set_values(files, [f"scanner.max_results={70 + i % 2}"])
        data, _ = read(files)
        outcome = reload.push(kube, namespace, data, sha256(data), timeout=30)
        assert outcome.ok, reload.failure_report(kube, namespace, outcome)
        out.append(time.monotonic() - started)
    return out


def bench_cli(files: ConfigFiles, namespace: str, context: str, rounds: int) -> list[float]:
    env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(files.config),
           "INVOKE_TRADERADMIN_SCHEMA_PATH": str(files.schema_path)}
    out = []
    for i in range(rounds):
        started = time.monotonic()
        subprocess.run(["invoke", "reload", "--set", f"scanner.max_results={80 + i % 2}", "--namespace", namespace,
                        "--context", context], cwd=ROOT, env=env, check=True, capture_output=True)
        out.append(time.monotonic() - started)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--cli-rounds", type=int, default=5)
    ap.add_argument("--namespace", help="an existing stack to use (default: deploy one, delete it after)")
    args = ap.parse_args()

    context = get_provider("auto").context
    namespace = args.namespace or f"ta-bench-app-{secrets.token_hex(3)}"
    work = Path(tempfile.mkdtemp(prefix="bench-app-push-"))
    files = ConfigFiles(work / "config" / "config.toml", ROOT / "config" / "schema.json")
    init_config(files)
    shutil.copy2(files.schema_path, files.config.parent / "schema.json")
    files = ConfigFiles(files.config, files.config.parent / "schema.json")
    deployed = False
    try:
        if not args.namespace:
            env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(files.config)}
            subprocess.run(["invoke", "deploy", "--namespace", namespace, "--context", context], cwd=ROOT, env=env,
                           check=True, capture_output=True)
            deployed = True
        print(f"building consolectl ...", file=sys.stderr)
        binary = build_consolectl(work / "app")
        results = {
            "app save+push (console, client-go)": bench_app(binary, files, namespace, context, args.rounds),
            "toolkit config.set + reload.push": bench_toolkit(files, namespace, context, args.rounds),
            "`invoke reload --set` (CLI)": bench_cli(files, namespace, context, args.cli_rounds),
        }
    finally:
        if deployed:
            subprocess.run(["invoke", "down", "--purge", "--namespace", namespace, "--context", context], cwd=ROOT,
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    base = statistics.median(next(iter(results.values())))
    print(f"Save -> both services confirm, context {context}, namespace {namespace}")
    print(f"{'path':<38} {'n':>3} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'p50 / app':>10}")
    for name, xs in results.items():
        p50 = statistics.median(xs)
        print(f"{name:<38} {len(xs):>3} {p50:>7.3f} {pct(xs, 95):>7.3f} {max(xs):>7.3f} {p50 / base:>9.1f}x")
    app = next(iter(results.values()))
    print(f"goal p95 <= 0.5 s: {'met' if pct(app, 95) <= 0.5 else 'NOT met'} ({pct(app, 95):.3f} s)")


if __name__ == "__main__":
    main()
