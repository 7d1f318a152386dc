"""The desktop console's latencies on the live cluster, each against a baseline in the same run.

  first paint      app start until the front end reports the drawn form (the Rendered hook),
                   against the same launches' start until GTK maps the window (no page yet);
                   both polled in one loop, so each may read up to ~30 ms late
  save -> confirm  click on "Save and push" until the window shows both services on the new
                   hash (the app's own UI report), driven with real X input under Xvfb, against
                   the toolkit's push of the same kind of change (traderadmin.stack.reload.push, what
                   `invoke reload` does) into the same namespace

Run: python bench/app_console.py [--launches 5] [--saves 20] [--binary build/bin/TraderAdmin]
Builds the app from the template unless --binary is given, deploys the stack into its own
namespace (deleted at the end) and prints a table. Needs a Ready cluster, Xvfb, xdotool and
ImageMagick (`invoke app.prereqs --smoke`).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from steps.gate import close_gate, open_gate  # noqa: E402
from traderadmin.app import build as app_build  # noqa: E402
from traderadmin.app import drive, scaffold  # noqa: E402
from traderadmin.config import read, set_values, sha256  # noqa: E402
from traderadmin.stack import reload  # noqa: E402

SERVICES = ("orchestrator", "scanner")


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def row(name: str, xs: list[float], base: list[float] | None) -> str:
    ratio = f"{statistics.median(xs) / statistics.median(base):>10.2f}" if base else f"{'1.00':>10}"
    return f"{name:<46} {len(xs):>3} {statistics.median(xs):>8.3f} {pct(xs, 95):>8.3f} {max(xs):>8.3f} {ratio}"


def confirmed(state: dict, before: str) -> bool:
    push = state.get("lastPush") or {}
    rows = {s["service"]: s for s in push.get("services") or []}
    return push.get("sha256") not in (None, "", before) and bool(push.get("ok")) and all(
        n in rows and rows[n]["ok"] for n in SERVICES)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--launches", type=int, default=5)
    ap.add_argument("--saves", type=int, default=20)
    ap.add_argument("--binary", type=Path, help="a built app (default: build one from the template)")
    args = ap.parse_args()

    drive.require_display_tools()
    work = Path(tempfile.mkdtemp(prefix="ta-bench-app-"))
    if args.binary:
        binary = args.binary.resolve()
    else:
        print("building the app …", flush=True)
        binary = app_build.build(scaffold.render(work, "TraderAdmin").path).binary
    gate = open_gate(os.environ.get("TRADERADMIN_PROVIDER", "auto"), work, prefix="ta-bench-app")
    try:
        print(f"deploying into {gate.namespace} …", flush=True)
        gate.deploy(rebuild=False)
        env = {"INVOKE_TRADERADMIN_NAMESPACE": gate.namespace, "INVOKE_TRADERADMIN_CONTEXT": gate.context}
        argv = ["-config", str(gate.files.config), "-schema", str(gate.files.schema_path)]

        paint, mapped = [], []
        for i in range(args.launches):
            with drive.launch(binary, argv, "TraderAdmin", work, work / f"launch-{i}", env) as w:
                paint.append(w.seconds_to_render)
                mapped.append(w.seconds_to_window)

        saves = []
        with drive.launch(binary, argv, "TraderAdmin", work, work / "saves", env) as w:
            w.click("tab-scanner")
            for i in range(args.saves):
                before = sha256(read(gate.files)[0])
                w.replace_text("field-scanner.max_results", str(100 + i))
                w.wait("edit judged valid", lambda s: {"edits-1", "judge-valid"} <= set(s["rects"]))
                w.click("save")
                w.wait("diff dialog", lambda s: s["dialog"] == "diff" and "diff-confirm" in s["rects"])
                clicked = w.click("diff-confirm")
                w.wait("both services confirmed", lambda s: confirmed(s, before), 60, interval=0.005)
                saves.append(time.monotonic() - clicked)
                w.wait("dialog closed", lambda s: s["dialog"] == "" and "field-scanner.max_results" in s["rects"])
                print(f"  save {i + 1}: {saves[-1]:.3f} s", flush=True)

        toolkit = []
        for i in range(args.saves):
            set_values(gate.files, [f"scanner.max_results={500 + i}"])
            data, _ = read(gate.files)
            outcome = reload.push(gate.kube, gate.namespace, data, sha256(data), timeout=30)
            assert outcome.ok, reload.failure_report(gate.kube, gate.namespace, outcome)
            toolkit.append(outcome.seconds)
    finally:
        close_gate(gate)

    print(f"\n{'measure':<46} {'n':>3} {'p50 s':>8} {'p95 s':>8} {'max s':>8} {'× base p50':>10}")
    print(row("window mapped (baseline)", mapped, None))
    print(row("first paint (Rendered hook)", paint, mapped))
    print(row("toolkit push, both confirm (baseline)", toolkit, None))
    print(row("app: Save click -> both confirm in window", saves, toolkit))
    print(f"\ngoal p95 <= 0.5 s: {'met' if pct(saves, 95) <= 0.5 else 'NOT met'} ({pct(saves, 95):.3f} s)")


if __name__ == "__main__":
    main()
