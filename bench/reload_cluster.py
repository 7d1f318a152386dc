"""Reload latency on the live cluster, against what others do, in the same run.

  ours          write into the volume (SIGUSR1 only for a laggard), until both services' /status show the new hash
  restart       what Stakater Reloader does: restart both Deployments, until new pods serve the new config
  configmap     the same file mounted from a ConfigMap volume, until the pod sees it
  deploy no-op  `invoke deploy` with nothing changed, against `kubectl apply --server-side` +
                `kubectl rollout status` of the same manifests

Run: python bench/reload_cluster.py [--reloads 30] [--restarts 5] [--configmaps 3]
Deploys into its own namespace (deleted at the end), prints a table, writes
bench/out/reload_cluster.png. Needs a running cluster (`invoke cluster.up`).
"""
from __future__ import annotations

import argparse
import json
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

from traderadmin.cluster.providers import get_provider  # noqa: E402
from traderadmin.config import ConfigFiles, init_config, read, set_values, sha256  # noqa: E402
from traderadmin.kube.sdk import connect  # noqa: E402
from traderadmin.stack import manifests, reload  # noqa: E402
from traderadmin.stack.pipeline import deploy_stack  # noqa: E402
from traderadmin.stack.rollout import wait_rollouts  # noqa: E402
from traderadmin.stack.status import SERVICE_PORTS, read_service_status, service_pods  # noqa: E402
from traderadmin.stack.volume import put_config  # noqa: E402

NAMESPACE = f"ta-bench-{secrets.token_hex(3)}"  # its own per run: a deleted one takes a while to go


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def next_config(files: ConfigFiles, i: int) -> tuple[bytes, str]:
    set_values(files, [f"scanner.max_results={10 + i % 900}"])
    data, _ = read(files)
    return data, sha256(data)


def bench_ours(kube, files: ConfigFiles, n: int) -> list[float]:
    out = []
    for i in range(n):
        data, digest = next_config(files, i)
        outcome = reload.push(kube, NAMESPACE, data, digest, timeout=30)
        assert outcome.ok, reload.failure_report(kube, NAMESPACE, outcome)
        out.append(outcome.seconds)
    return out


def bench_restart(kube, files: ConfigFiles, n: int) -> list[float]:
    """What Stakater Reloader does: after the write, restart both services' Deployments (a changed pod
    template annotation), until new pods of both serve the new hash."""
    out = []
    for i in range(n):
        data, digest = next_config(files, 1000 + i)
        old = {p.name for s in SERVICE_PORTS for p in service_pods(kube, NAMESPACE, s)}
        start = time.monotonic()
        put_config(kube, NAMESPACE, data, digest)
        stamp = {"spec": {"template": {"metadata": {"annotations": {"bench/restartedAt": str(time.time())}}}}}
        for service in SERVICE_PORTS:
            kube.patch_deployment(NAMESPACE, service, stamp)
        while not all(_new_pod_serves(kube, service, old, digest) for service in SERVICE_PORTS):
            if time.monotonic() - start > 180:
                raise RuntimeError("rolling restart did not finish in 180 s")
            time.sleep(0.05)
        out.append(time.monotonic() - start)
        wait_rollouts(kube, NAMESPACE, list(SERVICE_PORTS), 120)
    return out


def _new_pod_serves(kube, service: str, old: set[str], digest: str) -> bool:
    new = [p for p in service_pods(kube, NAMESPACE, service)
           if p.name not in old and p.phase == "Running"]
    statuses = [read_service_status(kube, NAMESPACE, p.name, service) for p in new]
    return bool(new) and all(st and st.get("config_sha256") == digest for st in statuses)


def bench_configmap(kube, image: str, files: ConfigFiles, n: int) -> list[float]:
    """A scanner pod reading its config from a ConfigMap volume; time until it sees an update."""
    name = "bench-cm"

    def config_map(data: bytes) -> None:
        kube.server_side_apply({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": name, "namespace": NAMESPACE},
                                "data": {"config.toml": data.decode()}}, "traderadmin-bench")

    data, digest = next_config(files, 2000)
    config_map(data)
    pod = {
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "bench-cm"}},
        "spec": {"containers": [{"name": "scanner", "image": image, "imagePullPolicy": "IfNotPresent",
                                 "args": ["--config", "/cm/config.toml", "--addr", ":8081"],
                                 "volumeMounts": [{"name": "cm", "mountPath": "/cm", "readOnly": True}]}],
                 "volumes": [{"name": "cm", "configMap": {"name": name}}]},
    }
    kube.create_pod(NAMESPACE, pod)
    _wait(lambda: _status(kube, name).get("config_sha256") == digest, 120, "the ConfigMap pod to start")
    out = []
    for i in range(n):
        data, digest = next_config(files, 2001 + i)
        start = time.monotonic()
        config_map(data)
        _wait(lambda: _status(kube, name).get("config_sha256") == digest, 300, "the ConfigMap update")
        out.append(time.monotonic() - start)
    return out


def _status(kube, pod: str) -> dict:
    try:
        code, body = kube.proxy_get(NAMESPACE, pod, 8081, "status")
        return json.loads(body) if code == 200 else {}
    except Exception:
        return {}


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def find_kubectl() -> str | None:
    """The kubectl built with the local cluster (same version as the server), else the one on PATH."""
    from traderadmin.system.paths import cache_dir

    built = sorted(cache_dir().glob("bin/kubernetes-*/kubectl"), key=lambda p: p.stat().st_mtime)
    return str(built[-1]) if built else shutil.which("kubectl")


def bench_deploy_noop(kube, provider, files: ConfigFiles, runs: int, images: dict[str, str],
                      kubectl: str | None) -> tuple[list[float], list[float]]:
    # One deploy first puts the volume in step with the local file the other parts edited.
    deploy_stack(kube, root=ROOT, files=files, namespace=NAMESPACE, provider=provider.status().provider,
                 desktop_mode=provider.status().mode or None)
    ours = []
    for _ in range(runs):
        start = time.monotonic()
        report = deploy_stack(kube, root=ROOT, files=files, namespace=NAMESPACE, provider=provider.status().provider,
                              desktop_mode=provider.status().mode or None)
        ours.append(time.monotonic() - start)
        assert not report.changed, "a no-op deploy changed something"
    theirs: list[float] = []
    if not kubectl:
        return ours, theirs
    objs = manifests.render(manifests.load(ROOT / "deploy"), NAMESPACE, images)
    import yaml

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump_all(objs, f)
    for _ in range(runs):
        start = time.monotonic()
        base = [kubectl, "--context", provider.context]
        subprocess.run(base + ["apply", "--server-side", "--field-manager", "traderadmin", "-f", f.name],
                       check=True, capture_output=True)
        for name in ("config-writer", "orchestrator", "scanner"):
            subprocess.run(base + ["-n", NAMESPACE, "rollout", "status", f"deployment/{name}"],
                           check=True, capture_output=True)
        theirs.append(time.monotonic() - start)
    return ours, theirs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reloads", type=int, default=30)
    ap.add_argument("--restarts", type=int, default=5)
    ap.add_argument("--configmaps", type=int, default=3)
    ap.add_argument("--noops", type=int, default=5)
    ap.add_argument("--kubectl", help="kubectl for the baseline (default: the local cluster's, else PATH)")
    ap.add_argument("--parts", default="reload,restart,configmap,noop",
                    help="comma-separated parts to run (default: all)")
    args = ap.parse_args()
    parts = set(args.parts.split(","))

    provider = get_provider("auto")
    kube = connect(provider.context)
    tmp = Path(tempfile.mkdtemp())
    files = ConfigFiles(tmp / "config.toml", ROOT / "config" / "schema.json")
    init_config(files)
    print(f"deploying into {NAMESPACE} on {provider.status().provider} …", flush=True)
    report = deploy_stack(kube, root=ROOT, files=files, namespace=NAMESPACE, provider=provider.status().provider,
                          desktop_mode=provider.status().mode or None)
    runs = {"ours (write + signal → both /status)": lambda: bench_ours(kube, files, args.reloads),
            "rolling restart (Stakater Reloader)": lambda: bench_restart(kube, files, args.restarts),
            "ConfigMap volume update": lambda: bench_configmap(kube, report.images["traderadmin/scanner"], files,
                                                               args.configmaps)}
    results: dict[str, list[float]] = {}
    try:
        for (name, run), part in zip(runs.items(), ("reload", "restart", "configmap")):
            if part not in parts:
                continue
            results[name] = run()
            xs = results[name]  # printed as it comes: a later failure must not lose it
            print(f"  {name}: n={len(xs)} p50={statistics.median(xs):.3f} s p95={pct(xs, 95):.3f} s", flush=True)
        noop_ours, noop_kubectl = (bench_deploy_noop(kube, provider, files, args.noops, report.images,
                                                     args.kubectl or find_kubectl())
                                   if "noop" in parts else ([], []))
    finally:
        kube.delete_namespace(NAMESPACE)
    if results:
        report_reloads(results)
    if noop_ours:
        print(f"\n{'no-op deploy':<42} {'n':>3} {'p50 s':>8} {'max s':>8}")
        print(f"{'invoke deploy (build check included)':<42} {len(noop_ours):>3} {statistics.median(noop_ours):>8.3f} "
              f"{max(noop_ours):>8.3f}")
        if noop_kubectl:
            print(f"{'kubectl apply --server-side + rollout':<42} {len(noop_kubectl):>3} "
                  f"{statistics.median(noop_kubectl):>8.3f} {max(noop_kubectl):>8.3f}")
            print(f"ratio invoke/kubectl (p50): {statistics.median(noop_ours) / statistics.median(noop_kubectl):.2f}")
        else:
            print("kubectl not found: no baseline for the no-op deploy")


def report_reloads(results: dict[str, list[float]]) -> None:
    base = statistics.median(next(iter(results.values())))
    print(f"\n{'reload path':<42} {'n':>3} {'p50 s':>8} {'p95 s':>8} {'max s':>8} {'× first p50':>12}")
    for name, xs in results.items():
        print(f"{name:<42} {len(xs):>3} {statistics.median(xs):>8.3f} {pct(xs, 95):>8.3f} {max(xs):>8.3f} "
              f"{statistics.median(xs) / base:>12.1f}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    ax.boxplot(list(results.values()), orientation="horizontal", tick_labels=list(results))
    ax.set_xscale("log")
    ax.axvline(1.0, color="red", linestyle="--", label="goal: p95 ≤ 1 s")
    ax.set_xlabel("seconds from write until the new config is served (log scale)")
    ax.legend()
    fig.tight_layout()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "reload_cluster.png", dpi=100)
    print(f"\nplot: {out / 'reload_cluster.png'}")


if __name__ == "__main__":
    main()
