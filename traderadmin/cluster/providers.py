"""Cluster providers: how the toolkit brings a cluster up and reaches it.

`get_provider("auto" | "local" | "docker-desktop")` returns one; the rest of the
toolkit talks to the Provider interface (context name, up/down/status) and
never to a specific cluster. Images get into a cluster by its provider's name
and status mode, through traderadmin.images.deliver_images (the one path
`invoke deploy` takes).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Protocol

from traderadmin.cluster import detect, kube
from traderadmin.errors import ToolkitError
from traderadmin.localcluster.host import linux_root_debian

Progress = Callable[[str], None]


class ProviderError(ToolkitError):
    """The provider cannot do what was asked; the message carries the fix."""


@dataclass
class ProviderStatus:
    provider: str
    context: str
    reachable: bool
    node_ready: bool
    mode: str = ""
    nodes: list[str] = field(default_factory=list)
    detail: str = ""
    problems: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class Provider(Protocol):
    name: str
    context: str

    def up(self, progress: Progress, log: Progress) -> ProviderStatus: ...

    def down(self, progress: Progress) -> str: ...

    def status(self) -> ProviderStatus: ...


def detect_context(context: str, kubeconfig: str | None = None) -> tuple[detect.Detection, list[kube.NodeInfo]]:
    """Classify a reachable context by its nodes (raises KubeError when unreachable)."""
    facts = {c.name: c for c in kube.list_contexts(kubeconfig)[0]}
    nodes = kube.list_nodes(context, kubeconfig)
    store = detect.uses_containerd_image_store(kube.docker_info()) if context == detect.DOCKER_DESKTOP_CONTEXT else None
    detection = detect.classify(facts.get(context, detect.ContextFacts(context)), [n.name for n in nodes], store)
    return detection, nodes


def _status_from(provider: str, context: str, report_detected: bool = False) -> ProviderStatus:
    """Status of `context` as its nodes tell it. `report_detected`: name the provider the
    cluster is recognised as (the local cluster's flavors each stand in for another)."""
    try:
        detection, nodes = detect_context(context)
    except kube.KubeError as exc:
        return ProviderStatus(provider, context, reachable=False, node_ready=False, detail=str(exc))
    problems = list(detection.problems)
    if detection.provider != provider:
        problems.append(f"context {context!r} looks like provider {detection.provider!r}: {detection.reason}")
    return ProviderStatus(
        detection.provider if report_detected else provider,
        context,
        reachable=True,
        node_ready=bool(nodes) and all(n.ready for n in nodes),
        mode=detection.mode,
        nodes=[n.name for n in nodes],
        detail=detection.reason,
        problems=problems,
    )


class LocalProvider:
    """The single-node cluster built from upstream sources (Linux, root), in one of its flavors.

    A flavor dresses it as another cluster (Docker Desktop's kubeadm mode, …); its
    status then names the provider it is recognised as, found the way the real
    one is found, so everything downstream treats it as that cluster.
    """

    name = "local"

    def __init__(self, flavor: str | None = None) -> None:
        from traderadmin.localcluster import flavors, lifecycle

        try:
            self.flavor = flavors.get(flavor) if flavor else lifecycle.last_flavor() or flavors.DEFAULT
        except flavors.FlavorError as exc:
            raise ProviderError(str(exc)) from exc
        self.context = self.flavor.context

    def up(self, progress: Progress, log: Progress) -> ProviderStatus:
        from traderadmin.localcluster import lifecycle

        try:
            lifecycle.up(progress, log, self.flavor)
        except Exception as exc:
            raise ProviderError(str(exc)) from exc
        return self.status()

    def down(self, progress: Progress) -> str:
        from traderadmin.localcluster import lifecycle

        stopped = lifecycle.down(progress)
        return f"stopped: {', '.join(stopped)}" if stopped else "nothing was running"

    def status(self) -> ProviderStatus:
        from traderadmin.localcluster import lifecycle

        local = lifecycle.status(self.flavor)
        result = _status_from(self.flavor.looks_like, self.context, report_detected=True) if local.running else ProviderStatus(
            self.name, self.context, reachable=False, node_ready=False,
            detail=f"local cluster ({self.flavor.name}) is not running. "
                   f"Fix: invoke cluster.up --provider local --flavor {self.flavor.name}",
        )
        result.extra = {
            "flavor": local.flavor,
            "state_dir": local.state_dir,
            "kubeconfig": local.kubeconfig,
            "kubernetes_version": local.kubernetes_version,
            "rss_mib_total": local.rss_mib_total,
            "components": [asdict(c) for c in local.components],
        }
        return result


class DockerDesktopProvider:
    """Docker Desktop's Kubernetes; Docker Desktop owns its lifecycle, the toolkit only checks it."""

    name = "docker-desktop"
    context = detect.DOCKER_DESKTOP_CONTEXT

    def up(self, progress: Progress, log: Progress) -> ProviderStatus:
        progress("checking Docker Desktop's Kubernetes")
        contexts = [c.name for c in kube.list_contexts()[0]]
        if self.context not in contexts:
            raise ProviderError(f"Docker Desktop's Kubernetes is not enabled (no {self.context!r} context). Fix: {detect.ENABLE_KUBERNETES_FIX}")
        status = self.status()
        if not status.reachable:
            raise ProviderError(
                f"Docker Desktop's Kubernetes does not answer ({status.detail}). "
                f"Fix: start Docker Desktop and check {detect.ENABLE_KUBERNETES_FIX}"
            )
        if status.problems:
            raise ProviderError("; ".join(status.problems))
        return status

    def down(self, progress: Progress) -> str:
        return f"Docker Desktop manages its cluster; to stop it: {detect.STOP_KUBERNETES_FIX}"

    def status(self) -> ProviderStatus:
        return _status_from(self.name, self.context)


PROVIDERS: dict[str, Callable[..., Provider]] = {
    "local": LocalProvider,
    "docker-desktop": DockerDesktopProvider,
}


def resolve_provider_name(name: str = "auto") -> tuple[str, str]:
    """Turn "auto" into a concrete provider; return (name, why)."""
    if name != "auto":
        if name not in PROVIDERS:
            raise ProviderError(f"Unknown provider {name!r}; choose one of: auto, {', '.join(PROVIDERS)}")
        return name, "asked for"
    contexts = [c.name for c in kube.list_contexts()[0]]
    # The local cluster this host was set up with wins: it is what this machine's user chose.
    if linux_root_debian():
        from traderadmin.localcluster import lifecycle

        served = lifecycle.served_context()
        if served in contexts:
            return "local", f"this host runs the local cluster (context {served!r})"
    try:
        return detect.auto_provider(contexts, detect.is_docker_desktop_engine(kube.docker_info()), linux_root_debian())
    except ValueError as exc:
        raise ProviderError(str(exc)) from exc


def get_provider(name: str = "auto", flavor: str | None = None) -> Provider:
    """The provider `name` resolves to; `flavor` picks the local cluster's (an error for any other)."""
    resolved = resolve_provider_name(name)[0]
    if resolved == "local":
        return LocalProvider(flavor)
    if flavor:
        raise ProviderError(f"--flavor is for the local provider, not {resolved!r}")
    return PROVIDERS[resolved]()
