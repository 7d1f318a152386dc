"""`invoke deploy` end to end: images, delivery, apply, config into the volume, wait."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from traderadmin.config import ConfigFiles, read, sha256
from traderadmin.kube.protocol import Cluster
from traderadmin.stack import manifests, podsecurity
from traderadmin.stack.apply import Applied, apply, prune
from traderadmin.stack.reload import guard_live_in_cluster
from traderadmin.stack.rollout import WaitState, wait_namespace_usable, wait_rollouts
from traderadmin.stack.volume import WRITER, WRITER_UID, config_in_volume, put_config
from traderadmin.stack.volumeowner import claim_owned, own_claim

Progress = Callable[[str, str], None]


@dataclass
class DeployReport:
    namespace: str
    images: dict[str, str]
    deliveries: list[Any]
    applied: list[Applied]
    config_sha256: str
    config_written: bool
    rollouts: list[WaitState]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether this deploy changed anything in the cluster."""
        return (self.config_written or any(a.action != "unchanged" for a in self.applied)
                or any(getattr(d, "action", "") == "imported" for d in self.deliveries))

    def as_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace, "images": self.images, "changed": self.changed,
            "deliveries": [d.as_dict() for d in self.deliveries],
            "applied": [{"kind": a.kind, "name": a.name, "action": a.action} for a in self.applied],
            "config_sha256": self.config_sha256, "config_written": self.config_written,
            "seconds": round(self.seconds, 3), "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def build_and_deliver(root: Path, provider: str, desktop_mode: str | None, progress: Progress,
                      reporter: Any = None, *, cluster: str = "", registry: str = "",
                      context: str = "") -> tuple[dict[str, str], list[Any]]:
    """Build every image (a no-op when nothing changed) and get it into the cluster, or into `registry`.

    Returns each repository (`traderadmin/scanner`) with the reference the cluster
    runs: the built one, or the pushed one when a registry carried it.
    """
    from traderadmin.images import build_images, cache_root, check_target, deliver_images, docker_client, repository

    check_target(provider, desktop_mode, cluster, registry, context)  # refuse before a build of minutes
    client = docker_client()
    report = build_images(root, client, cache_root(), reporter=reporter)
    built = {repository(i.service): i.ref for i in report.images}
    progress("images", ", ".join(built.values()))
    deliveries = deliver_images(list(built.values()), provider, client=client, desktop_mode=desktop_mode,
                                cluster=cluster, registry=registry, context=context,
                                log=lambda msg: progress("images", msg))
    runs = {d.ref: d.cluster_ref for d in deliveries}
    return {repo: runs[ref] for repo, ref in built.items()}, deliveries


def deploy_stack(kube: Cluster, *, root: Path, files: ConfigFiles, namespace: str, provider: str,
                 desktop_mode: str | None = None, cluster: str = "", registry: str = "",
                 deploy_dir: Path | None = None, host_network: bool = False,
                 timeout: float = 300, progress: Progress = lambda phase, msg: None,
                 images: dict[str, str] | None = None, reporter: Any = None,
                 confirm_live: bool = False) -> DeployReport:
    """Deploy the stack into `namespace` and wait until every pod runs the local config.

    `provider`, `desktop_mode` and `cluster` are the cluster as its status recognises
    it; `registry` (HOST/PREFIX) pushes the images there instead of loading them.
    `images` skips the build (the acceptance gate builds once per run).
    """
    started = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str, t0: float) -> None:
        timings[name] = time.monotonic() - t0

    data, config = read(files)  # an invalid local config stops the deploy before anything changes
    digest = sha256(data)
    guard_live_in_cluster(kube, namespace, config, confirm_live)

    t0 = time.monotonic()
    deliveries: list[Any] = []
    if images is None:
        progress("images", "building (skipped when unchanged)")
        images, deliveries = build_and_deliver(root, provider, desktop_mode, progress, reporter, cluster=cluster,
                                               registry=registry, context=kube.context)
    lap("images", t0)

    t0 = time.monotonic()
    folder = deploy_dir or root / "deploy"
    wait_namespace_usable(kube, namespace, timeout, lambda msg: progress("apply", msg))
    owned = claim_owned(kube, namespace)
    objs = manifests.render(manifests.load(folder), namespace, images, host_network,
                            podsecurity.level(host_network, owned))
    # Everything but the workloads first: the claim must be owned before the writer starts,
    # and the namespace `restricted` before any of the stack's pods is admitted.
    applied = apply(kube, [o for o in objs if o["kind"] != "Deployment"])
    if not owned:
        progress("volume", f"giving the config volume to uid {WRITER_UID} (once per claim)")
        (owner,) = manifests.render([manifests.load_one(folder / "once" / "volume-owner.yaml")], namespace, images)
        own_claim(kube, namespace, owner, timeout, lambda msg: progress("volume", msg))
        if (level := podsecurity.level(host_network, claim_owned=True)) != podsecurity.level(host_network, owned):
            apply(kube, [manifests.render([o for o in manifests.load(folder) if o["kind"] == "Namespace"],
                                          namespace, images, host_network, level)[0]])
    applied += apply(kube, [o for o in objs if o["kind"] == "Deployment"])
    applied += prune(kube, namespace, objs)
    progress("apply", ", ".join(f"{a.kind}/{a.name} {a.action}" for a in applied if a.action != "unchanged")
             or "nothing changed")
    lap("apply", t0)

    t0 = time.monotonic()
    wait_rollouts(kube, namespace, [WRITER], timeout, _states_to(progress))
    current = config_in_volume(kube, namespace)
    written = current.get("sha256") != digest and put_config(kube, namespace, data, digest)
    progress("config", f"wrote {files.config.name} ({digest[:12]}) into the volume" if written
             else f"the volume already holds {digest[:12]}")
    lap("config", t0)

    t0 = time.monotonic()
    names = [o["metadata"]["name"] for o in objs if o["kind"] == "Deployment"]
    rollouts = wait_rollouts(kube, namespace, names, timeout, _states_to(progress))
    lap("rollout", t0)
    return DeployReport(namespace, images, deliveries, applied, digest, bool(written), rollouts,
                        time.monotonic() - started, timings)


def _states_to(progress: Progress) -> Callable[[list[WaitState]], None]:
    def show(states: list[WaitState]) -> None:
        waiting = [f"{s.name} {s.ready}" + (f" ({s.reason})" if s.reason else "") for s in states if not s.done]
        progress("rollout", "; ".join(waiting) if waiting else "all running")
    return show
