"""`invoke reload --set K=V` as a user runs it, against a kubectl script and a rolling restart, in the same run.

  cli            the whole `invoke reload --set scanner.max_results=N` (edit, validate, back up, write,
                 confirm both services by hash), a fresh process each time
  cli before     the same command from the toolkit as it was before the fast path (--before REF,
                 default the merge base with main), when that checkout is given
  kubectl        a shell script doing the same write, signal and confirm steps with kubectl:
                 `kubectl exec deploy/config-writer -- /configwriter put …`, `kubectl exec
                 deploy/orchestrator -- kill -USR1 1`, then `kubectl get --raw` of each service
                 pod's /status through the pod proxy until both show the new hash
  exec floor     one `/configwriter stat` exec through the API server (the light client): the
                 round trip the reload cannot avoid
  core           the reload alone, in-process (traderadmin.stack.reload.push: write → both /status)
  restart        what Stakater Reloader does: write, restart both Deployments, until new pods serve it
  status, logs   `invoke status` and `invoke logs --tail 5`, after and before

Run: python bench/reload_cli.py [--runs 20] [--restarts 5] [--before REF | --no-before]
Deploys into its own namespace (deleted at the end) and prints a table with p50/p95/max and ratios.
The kubectl is the one built with the local cluster (/var/lib/traderadmin/cache/bin/kubernetes-*/),
else the one on PATH; without one the kubectl row says it is missing.
"""
from __future__ import annotations

import argparse
import base64
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

from traderadmin.cluster.providers import resolve_context  # noqa: E402
from traderadmin.config import ConfigFiles, init_config, read, set_values, sha256  # noqa: E402
from traderadmin.kube import api as kubeapi  # noqa: E402
from traderadmin.stack import reload  # noqa: E402
from traderadmin.stack.volume import put_config, writer_pod  # noqa: E402

NAMESPACE = f"ta-bench-cli-{secrets.token_hex(3)}"

KUBECTL_SCRIPT = r"""
set -eu
K="$1"; CTX="$2"; NS="$3"; CFG="$4"
SHA=$(sha256sum "$CFG" | cut -d' ' -f1)
B64=$(base64 -w0 "$CFG")
"$K" --context "$CTX" -n "$NS" exec deploy/config-writer -- /configwriter put /config/config.toml "$SHA" "$B64" >/dev/null
"$K" --context "$CTX" -n "$NS" exec deploy/orchestrator -- /bin/sh -c 'kill -USR1 1'
O=$("$K" --context "$CTX" -n "$NS" get pods -l app.kubernetes.io/name=orchestrator -o jsonpath='{.items[0].metadata.name}')
S=$("$K" --context "$CTX" -n "$NS" get pods -l app.kubernetes.io/name=scanner -o jsonpath='{.items[0].metadata.name}')
for i in $(seq 1 600); do
  if "$K" --context "$CTX" get --raw "/api/v1/namespaces/$NS/pods/$O:8080/proxy/status" | grep -q "\"config_sha256\": *\"$SHA\"" &&
     "$K" --context "$CTX" get --raw "/api/v1/namespaces/$NS/pods/$S:8081/proxy/status" | grep -q "\"config_sha256\": *\"$SHA\""; then
    exit 0
  fi
  sleep 0.01
done
echo "not confirmed" >&2; exit 1
"""


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def find_kubectl() -> str | None:
    """The kubectl built with the local cluster (same version as the server), else the one on PATH."""
    from traderadmin.system.paths import cache_dir

    built = sorted(cache_dir().glob("bin/kubernetes-*/kubectl"), key=lambda p: p.stat().st_mtime)
    return str(built[-1]) if built else shutil.which("kubectl")


def cli_env(config: Path) -> dict[str, str]:
    # What a user's install has: cached bytecode (this sandbox sets PYTHONDONTWRITEBYTECODE,
    # which makes every run compile the toolkit from source).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["INVOKE_TRADERADMIN_CONFIG_PATH"] = str(config)
    return env


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])}… exited {proc.returncode}:\n{proc.stdout[-800:]}{proc.stderr[-1500:]}")
    return took


def invoke_argv(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "invoke", "-r", str(root), *args]


def checkout(ref: str) -> Path:
    """The toolkit at `ref`, unpacked into a temp folder (its tasks and traderadmin shadow this checkout's)."""
    dest = Path(tempfile.mkdtemp(prefix="ta-before-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "tasks", "traderadmin", "config/schema.json"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def deploy(context: str, config: Path) -> None:
    env = cli_env(config)
    proc = subprocess.run(invoke_argv(ROOT, "deploy", "--namespace", NAMESPACE, "--json"), env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"deploy failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


def restart_once(api: kubeapi.KubeApi, files: ConfigFiles, i: int) -> float:
    """Write, then restart both services' Deployments (a changed template annotation), until new pods serve it."""
    set_values(files, [f"scanner.max_results={500 + i}"])
    data, _ = read(files)
    digest = sha256(data)
    old = {p.name for p in api.pods(NAMESPACE) if p.app in ("orchestrator", "scanner")}
    start = time.monotonic()
    writer = next(p.name for p in api.pods(NAMESPACE, "config-writer") if p.phase == "Running" and not p.deleting)
    api.exec(NAMESPACE, writer, ["/configwriter", "put", "/config/config.toml", digest, base64.b64encode(data).decode()])
    stamp = {"spec": {"template": {"metadata": {"annotations": {"bench/restartedAt": str(time.time())}}}}}
    for service in ("orchestrator", "scanner"):
        api.patch_deployment(NAMESPACE, service, stamp)
    while True:
        served = []
        for service, port in (("orchestrator", 8080), ("scanner", 8081)):
            new = [p for p in api.pods(NAMESPACE, service) if p.name not in old and p.phase == "Running" and not p.deleting]
            ok = bool(new)
            for p in new:
                code, body = api.proxy_get(NAMESPACE, p.name, port, "status")
                ok = ok and code == 200 and json.loads(body).get("config_sha256") == digest
            served.append(ok)
        if all(served):
            break
        if time.monotonic() - start > 180:
            raise RuntimeError("rolling restart did not finish in 180 s")
        time.sleep(0.05)
    took = time.monotonic() - start
    # Let the old pods go before the next round, so every round starts alike.
    while any(p.name in old for p in api.pods(NAMESPACE)):
        time.sleep(0.2)
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="iterations of each fast part")
    ap.add_argument("--restarts", type=int, default=5)
    ap.add_argument("--before", default="", help="git ref of the toolkit before the fast path "
                                                 "(default: merge base with main)")
    ap.add_argument("--no-before", action="store_true", help="skip the before rows")
    ap.add_argument("--kubectl", help="kubectl for the baseline (default: the local cluster's, else PATH)")
    args = ap.parse_args()

    context = resolve_context("auto")
    api = kubeapi.connect(context)
    tmp = Path(tempfile.mkdtemp(prefix="ta-bench-cli-"))
    files = ConfigFiles(tmp / "config.toml", ROOT / "config" / "schema.json")
    init_config(files)
    kubectl = args.kubectl or find_kubectl()
    before_root = None
    if not args.no_before:
        ref = args.before or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
                                            capture_output=True, text=True, check=True).stdout.strip()
        before_root = checkout(ref)
        print(f"before: {ref[:12]} unpacked in {before_root}")
    print(f"deploying into {NAMESPACE} (context {context}) …", flush=True)
    deploy(context, files.config)
    env = cli_env(files.config)
    results: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    writer = next(p.name for p in api.pods(NAMESPACE, "config-writer") if p.phase == "Running")
    try:
        # Warm-up: bytecode written, page cache warm, the services' first reload done.
        for root in [ROOT] + ([before_root] if before_root else []):
            timed(invoke_argv(root, "reload", "--namespace", NAMESPACE, "--set", "scanner.max_results=9"), env, root)
            timed(invoke_argv(root, "status", "--namespace", NAMESPACE), env, root)
        # The fast parts take turns, so load from elsewhere on the machine hits them alike.
        for i in range(args.runs):
            n = 10 + i
            add("cli: invoke reload --set (after)",
                timed(invoke_argv(ROOT, "reload", "--namespace", NAMESPACE, "--set", f"scanner.max_results={n}"),
                      env, ROOT))
            if before_root:
                add("cli: invoke reload --set (before)",
                    timed(invoke_argv(before_root, "reload", "--namespace", NAMESPACE, "--set",
                                      f"scanner.max_results={n + 100}"), env, before_root))
            if kubectl:
                set_values(files, [f"scanner.max_results={n + 200}"])
                add("kubectl script: exec put + signal + get --raw",
                    timed(["bash", "-c", KUBECTL_SCRIPT, "bench", kubectl, context, NAMESPACE, str(files.config)],
                          env, ROOT))
            set_values(files, [f"scanner.max_results={n + 300}"])
            data, _ = read(files)
            digest = sha256(data)
            # What reload.push does, timed in two parts: the put exec, then the wait for both /status.
            start = time.monotonic()
            pods = api.pods(NAMESPACE)
            put_config(api, NAMESPACE, data, digest, writer=writer_pod(api, NAMESPACE, pods))
            written = time.monotonic()
            confirmed = reload.wait_for_hash(api, NAMESPACE, digest, 30, start, pods=pods)
            assert all(r.ok for r in confirmed), confirmed
            add("core: write → both services confirm", time.monotonic() - start)
            add("core, part: after the put returned", time.monotonic() - written)
            start = time.perf_counter()
            api.exec(NAMESPACE, writer, ["/configwriter", "stat", "/config/config.toml"])
            add("exec floor: one exec round trip", time.perf_counter() - start)
            add("cli: invoke status (after)", timed(invoke_argv(ROOT, "status", "--namespace", NAMESPACE), env, ROOT))
            add("cli: invoke logs --tail 5 (after)",
                timed(invoke_argv(ROOT, "logs", "--namespace", NAMESPACE, "--tail", "5"), env, ROOT))
            if before_root:
                add("cli: invoke status (before)",
                    timed(invoke_argv(before_root, "status", "--namespace", NAMESPACE), env, before_root))
                add("cli: invoke logs --tail 5 (before)",
                    timed(invoke_argv(before_root, "logs", "--namespace", NAMESPACE, "--tail", "5"), env, before_root))
            print(f"  round {i + 1}/{args.runs}", flush=True)
        for i in range(args.restarts):
            add("restart: write + rolling restart of both", restart_once(api, files, i))
            print(f"  restart {i + 1}/{args.restarts}", flush=True)
    finally:
        try:
            api.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}", f"deleting namespace {NAMESPACE}")
        except Exception as e:  # noqa: BLE001  (the table matters more than the cleanup)
            print(f"could not delete namespace {NAMESPACE}: {e}")
    report(results, kubectl)


def report(results: dict[str, list[float]], kubectl: str | None) -> None:
    load = os.getloadavg()
    print(f"\nload average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; "
          f"kubectl: {kubectl or 'NOT FOUND (no kubectl row)'}")
    print(f"{'what':<48} {'n':>3} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    for name, xs in results.items():
        print(f"{name:<48} {len(xs):>3} {statistics.median(xs):>7.3f} {pct(xs, 95):>7.3f} {max(xs):>7.3f}")

    def ratio(a: str, b: str, label: str) -> None:
        if a in results and b in results:
            pa, pb = statistics.median(results[a]), statistics.median(results[b])
            qa, qb = pct(results[a], 95), pct(results[b], 95)
            print(f"{label:<60} p50 {pa / pb:6.2f}×   p95 {qa / qb:6.2f}×")

    print("\nratios")
    ratio("cli: invoke reload --set (after)", "kubectl script: exec put + signal + get --raw",
          "invoke reload / kubectl script")
    ratio("cli: invoke reload --set (before)", "cli: invoke reload --set (after)", "invoke reload: before / after")
    ratio("restart: write + rolling restart of both", "core: write → both services confirm",
          "rolling restart / reload core (× faster)")
    ratio("core: write → both services confirm", "exec floor: one exec round trip", "reload core / one exec")
    ratio("cli: invoke status (before)", "cli: invoke status (after)", "invoke status: before / after")
    ratio("cli: invoke logs --tail 5 (before)", "cli: invoke logs --tail 5 (after)", "invoke logs: before / after")
    if not kubectl:
        print("kubectl NOT FOUND: build the local cluster (invoke cluster.up) or put kubectl on PATH for the baseline")


if __name__ == "__main__":
    main()
