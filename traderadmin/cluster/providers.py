"""Cluster providers: how the toolkit brings a cluster up and reaches it.

`get_provider("auto" | "local" | "docker-desktop", context=...)` returns one;
the rest of the toolkit talks to the Provider interface (context name,
up/down/status) and never to a specific cluster. A `context` picks any cluster
the user already has (ContextProvider) unless it is one the other providers
own. Images get into a cluster by the provider, mode and cluster name its
status reports, through traderadmin.images.deliver_images (the one path
`invoke deploy` takes).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Protocol

from traderadmin.cluster import detect, probes
from traderadmin.errors import ToolkitError
from traderadmin.kube.errors import KubeconfigError, KubeError, KubeUnreachable
from traderadmin.kube.objects import NodeInfo
from traderadmin.system.distro import linux_root_debian

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
    cluster: str = ""  # kind / k3d cluster name, minikube profile: what image delivery names
    nodes: list[str] = field(default_factory=list)
    detail: str = ""
    fix: str = ""  # when it does not answer: the one fix every command gives (reach_fix)
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


def detect_context(context: str, kubeconfig: str | None = None) -> tuple[detect.Detection, list[NodeInfo]]:
    """Classify a reachable context by its nodes (raises KubeError when unreachable)."""
    facts = {c.name: c for c in probes.list_contexts(kubeconfig)[0]}
    nodes = probes.list_nodes(context, kubeconfig)
    store = detect.uses_containerd_image_store(probes.docker_info()) if context == detect.DOCKER_DESKTOP_CONTEXT else None
    node_facts = [detect.NodeFacts(n.name, n.kubelet_version, n.container_runtime) for n in nodes]
    detection = detect.classify(facts.get(context, detect.ContextFacts(context)), node_facts, store)
    return detection, nodes


def _status_from(context: str, expected: str | None, report_detected: bool = False) -> ProviderStatus:
    """Status of `context` as its nodes tell it.

    `expected`: the provider it must be recognised as (a mismatch is a problem;
    None: whatever it is). `report_detected`: name the provider the cluster is
    recognised as (the local cluster's flavors each stand in for another).
    """
    try:
        detection, nodes = detect_context(context)
    except KubeError as exc:
        return ProviderStatus(expected or "unknown", context, reachable=False, node_ready=False, detail=str(exc))
    problems = list(detection.problems)
    if expected is not None and detection.provider != expected:
        problems.append(f"context {context!r} looks like provider {detection.provider!r}: {detection.reason}")
    return ProviderStatus(
        detection.provider if report_detected or expected is None else expected,
        context,
        reachable=True,
        node_ready=bool(nodes) and all(n.ready for n in nodes),
        mode=detection.mode,
        cluster=detection.cluster,
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
        result = _status_from(self.context, self.flavor.looks_like, report_detected=True) if local.running else ProviderStatus(
            self.name, self.context, reachable=False, node_ready=False,
            detail=f"local cluster ({self.flavor.name}) is not running",
        )
        if not result.reachable:
            result.fix = reach_fix(self)
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
        contexts = [c.name for c in probes.list_contexts()[0]]
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
        result = _status_from(self.context, self.name)
        if not result.reachable:
            result.fix = reach_fix(self)
            if not _has_context(self.context):
                result.detail = f"Docker Desktop's Kubernetes is not enabled (no {self.context!r} context in kubeconfig)"
        return result


class ContextProvider:
    """A cluster the user already runs, reached through its kube context: kind, k3d, minikube,
    Rancher Desktop, OrbStack, or any other when images go through a registry.

    The toolkit does not own it: `up` only checks it answers and says how to start
    it when it does not, `down` leaves it running. Its status names the provider
    it is recognised as, which decides how images reach it.
    """

    name = "context"

    def __init__(self, context: str, registry: str = "") -> None:
        self.context = context
        self.registry = registry

    def up(self, progress: Progress, log: Progress) -> ProviderStatus:
        progress(f"checking the cluster of context {self.context}")
        if self.context not in [c.name for c in probes.list_contexts()[0]]:
            raise ProviderError(f"no context {self.context!r} in kubeconfig. Fix: {CHOOSE_CONTEXT_FIX}")
        status = self.status()
        if not status.reachable:
            raise ProviderError(f"the cluster of context {self.context!r} does not answer ({status.detail}). "
                                f"Fix: {start_hint(self.context)}")
        if status.problems:
            raise ProviderError("; ".join(status.problems))
        return status

    def down(self, progress: Progress) -> str:
        return (f"the toolkit does not own the cluster of context {self.context!r} and leaves it running; "
                f"`invoke down --context {self.context}` removes the stack from it")

    def status(self) -> ProviderStatus:
        result = _status_from(self.context, expected=None)
        if not result.reachable:
            result.fix = reach_fix(self)
        if self.registry:
            # Every detection problem is about the cluster seeing the Docker Engine's images;
            # images pulled from a registry never need that.
            result.problems = []
        elif result.reachable and result.provider == "unknown":
            result.problems.append(
                f"{result.detail} (the toolkit knows {', '.join(detect.PROVIDERS)}), so it cannot load images "
                f"into it. Fix: push them to a registry the cluster pulls from: --registry HOST/PREFIX "
                f"(e.g. localhost:5000/traderadmin), or set traderadmin.registry in invoke.yaml"
            )
        return result


CHOOSE_CONTEXT_FIX = "`kubectl config get-contexts` lists the contexts; choose one with --context NAME"


def _has_context(context: str) -> bool:
    try:
        return context in [c.name for c in probes.list_contexts()[0]]
    except Exception:  # no kubeconfig at all: no context either
        return False


_OWN_FIX = "; bring a cluster up with `invoke cluster.up`"  # what a bare kubeconfig error used to add


def reach_fix(provider: Provider) -> str:
    """The one fix for a provider's cluster that does not answer, whichever command noticed it
    (cluster.status, status, logs, reload, deploy, doctor): the toolkit starts only the local cluster;
    Docker Desktop's is switched on in Docker Desktop, and a cluster of your own is started by you."""
    if provider.name == "local":
        flavor = getattr(getattr(provider, "flavor", None), "name", "")
        return "invoke cluster.up --provider local" + (f" --flavor {flavor}" if flavor else "")
    missing = not _has_context(provider.context)
    if provider.name == "docker-desktop":
        return (detect.ENABLE_KUBERNETES_FIX if missing
                else f"start Docker Desktop and wait until its Kubernetes shows running (else {detect.ENABLE_KUBERNETES_FIX})")
    return CHOOSE_CONTEXT_FIX if missing else start_hint(provider.context)


def unreachable(provider: Provider, detail: str) -> ProviderError:
    """The error for a cluster that does not answer: what was seen, then reach_fix's one fix."""
    detail = detail.replace(_OWN_FIX, "").rstrip(". ")
    return ProviderError(f"the cluster of context {provider.context} ({provider.name} provider) does not answer: "
                         f"{detail}. Fix: {reach_fix(provider)}")


def start_hint(context: str) -> str:
    """How to start the cluster a context's name suggests (only a hint: the cluster does not answer)."""
    if context.startswith("kind-"):
        cluster = context.removeprefix("kind-")
        return (f"kind cluster {cluster!r}: `docker start {cluster}-control-plane` (and its workers), "
                f"or `kind create cluster --name {cluster}`")
    if context.startswith("k3d-"):
        return f"k3d cluster: `k3d cluster start {context.removeprefix('k3d-')}`"
    if context == detect.RANCHER_DESKTOP_CONTEXT:
        return "start Rancher Desktop with Kubernetes enabled (Preferences → Kubernetes)"
    if context == detect.ORBSTACK_CONTEXT:
        return "`orb start k8s`"
    return f"if it is a minikube profile: `minikube start --profile {context}`; otherwise start the cluster it names"


PROVIDERS: dict[str, Callable[..., Provider]] = {
    "local": LocalProvider,
    "docker-desktop": DockerDesktopProvider,
}


def _served_context() -> str | None:
    """The context of the local cluster this host was set up with (Linux as root only)."""
    if not linux_root_debian():
        return None
    from traderadmin.localcluster import flavors

    return flavors.served_context()


def resolve_provider_name(name: str = "auto") -> tuple[str, str]:
    """Turn "auto" into a concrete provider; return (name, why)."""
    if name != "auto":
        if name not in PROVIDERS:
            raise ProviderError(f"Unknown provider {name!r}; choose one of: auto, {', '.join(PROVIDERS)}")
        return name, "asked for"
    contexts = [c.name for c in probes.list_contexts()[0]]
    # The local cluster this host was set up with wins: it is what this machine's user chose.
    served = _served_context()
    if served in contexts:
        return "local", f"this host runs the local cluster (context {served!r})"
    try:
        return detect.auto_provider(contexts, detect.is_docker_desktop_engine(probes.docker_info()), linux_root_debian())
    except ValueError as exc:
        raise ProviderError(str(exc)) from exc


def choose_provider(name: str = "auto", flavor: str | None = None, context: str | None = None,
                    registry: str = "") -> tuple[Provider, str]:
    """The provider for `context` when one is given, else the one `name` resolves to; and why.

    `flavor` picks the local cluster's (an error for any other); `registry` lets a
    context whose cluster the toolkit does not recognise through (images go there).
    """
    if context:
        return _for_context(context, name, flavor, registry)
    resolved, why = resolve_provider_name(name)
    if resolved == "local":
        return LocalProvider(flavor), why
    if flavor:
        raise ProviderError(f"--flavor is for the local provider, not {resolved!r}")
    return PROVIDERS[resolved](), why


def get_provider(name: str = "auto", flavor: str | None = None, context: str | None = None,
                 registry: str = "") -> Provider:
    """The provider `choose_provider` picks."""
    return choose_provider(name, flavor, context, registry)[0]


def resolve_context(name: str = "auto", context: str | None = None) -> str:
    """The kube context `get_provider(name, context=context)` would talk to, found without asking the cluster.

    For the commands of the daily loop (reload, status, logs, watch): they need
    the API server of that context and nothing of the provider's checks, which
    list nodes through the heavy client.
    """
    if context:
        return context
    resolved, _ = resolve_provider_name(name)
    if resolved == "local":
        from traderadmin.localcluster import flavors

        return (flavors.last_flavor() or flavors.DEFAULT).context
    return PROVIDERS[resolved].context  # type: ignore[attr-defined]  (a class attribute of each)


def light_handle(name: str = "auto", context: str | None = None):
    """A `traderadmin.kube.api.KubeApi` on the provider's (or --context's) cluster, checked to answer.

    Raises ProviderError with the fix when it does not answer, as the full
    provider check would.
    """
    from traderadmin.kube import api

    chosen = resolve_context(name, context)
    again = f"invoke cluster.up --context {context}" if context else "invoke cluster.up"
    try:
        return api.connect(chosen)
    except KubeconfigError as exc:
        fix = CHOOSE_CONTEXT_FIX if context else f"`{again}` sets the cluster and its context up"
        raise ProviderError(f"{exc}. Fix: {fix}") from exc
    except KubeUnreachable as exc:
        raise ProviderError(f"the cluster of context {chosen} does not answer ({exc.__cause__ or exc}). "
                            f"Fix: `{again}` starts it or says how") from exc
    except KubeError as exc:
        raise ProviderError(f"the cluster of context {chosen} refused the toolkit ({exc}). Fix: check that "
                            f"context's credentials with `kubectl --context {chosen} auth whoami`") from exc


def _for_context(context: str, name: str, flavor: str | None, registry: str) -> tuple[Provider, str]:
    # The contexts the toolkit's own providers serve stay theirs: they know how to start and check them.
    served = _served_context()
    if context in (served, detect.LOCAL_CONTEXT):
        owner = "local"
    elif context == detect.DOCKER_DESKTOP_CONTEXT:
        owner = "docker-desktop"
    else:
        owner = ContextProvider.name
    whose = "a cluster of your own" if owner == ContextProvider.name else f"the {owner} provider's"
    if flavor and owner != "local":
        raise ProviderError(f"--flavor is for the local provider; context {context!r} is {whose}. Fix: drop --flavor")
    if name not in ("auto", owner):
        raise ProviderError(f"--provider {name} does not serve context {context!r}, which is {whose}. "
                            "Fix: drop --provider (--context alone picks the cluster)")
    why = f"--context {context}"
    if owner == "docker-desktop":
        return DockerDesktopProvider(), why
    if owner == ContextProvider.name:
        return ContextProvider(context, registry), why
    from traderadmin.localcluster import flavors

    # Several flavors may share a context (Docker Desktop's); the served one is the flavor this host runs.
    provider = LocalProvider(flavor if flavor or context == served else flavors.PLAIN.name)
    if provider.context != context:
        raise ProviderError(f"local flavor {provider.flavor.name!r} serves context {provider.context!r}, not {context!r}. "
                            "Fix: choose a --flavor that serves it, or drop --flavor")
    return provider, why
