"""`invoke doctor`: is this machine ready? One row per check, each failure with its fix.

A check is a plain function returning a Finding; `CHECKS` is the ordered list
`run_checks` walks. To add one (e.g. for the desktop app), write the function
and append a DoctorCheck to CHECKS, or call `register(...)` as a decorator.
Rows of the "cluster" group reach a cluster: their function also takes
(context, registry), both defaulting to the cluster `--provider auto` picks, and
`checks_for` aims them at the one `invoke doctor --context` names.
"""
from __future__ import annotations

import importlib.metadata as metadata
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from traderadmin import dockerengine
from traderadmin.app import toolchain
from traderadmin.cluster import detect, probes

if TYPE_CHECKING:
    from traderadmin.cluster.providers import Provider

MIN_GO = (1, 25)  # the go directive of services/*/go.mod
CLUSTER = "cluster"  # the group of rows that reach a cluster
MIN_NODE = 18
# pyproject pins every dependency exactly: name[extras]==version[; marker]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*==\s*(?P<version>[^;\s]+)\s*(?:;\s*(?P<marker>.*))?$")


@dataclass(frozen=True)
class Finding:
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class DoctorCheck:
    name: str
    group: str
    required: bool
    run: Callable[[], Finding]


@dataclass(frozen=True)
class CheckResult:
    name: str
    group: str
    required: bool
    ok: bool
    detail: str
    fix: str

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "FAIL" if self.required else "warn"

    def as_dict(self) -> dict:
        return {**asdict(self), "status": self.status}


CHECKS: list[DoctorCheck] = []


def register(name: str, group: str, required: bool = True) -> Callable[[Callable[[], Finding]], Callable[[], Finding]]:
    def add(func: Callable[[], Finding]) -> Callable[[], Finding]:
        CHECKS.append(DoctorCheck(name, group, required, func))
        return func

    return add


def _run(cmd: list[str], timeout: float = 20) -> tuple[int, str]:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def _version_tuple(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(g) for g in match.groups() if g is not None) if match else ()


@register("Python", "toolkit")
def check_python() -> Finding:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info >= (3, 11):
        return Finding(True, f"Python {version}")
    return Finding(False, f"Python {version} is older than 3.11", "install Python 3.11+ and reinstall: pip install -e '.[dev]'")


@register("Python packages", "toolkit")
def check_python_packages() -> Finding:
    try:
        requires = metadata.requires("traderadmin") or []
    except metadata.PackageNotFoundError:
        return Finding(False, "traderadmin is not installed", "pip install -e '.[dev]'")
    wrong = []
    checked = 0
    for line in requires:
        match = PIN.match(line)
        # Extras (dev tools) are not needed to run the toolkit.
        if match is None or "extra" in (match.group("marker") or ""):
            continue
        checked += 1
        name, wanted = match.group("name"), match.group("version")
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} missing")
            continue
        if installed != wanted:
            wrong.append(f"{name} {installed} (pinned {wanted})")
    if wrong:
        return Finding(False, "; ".join(wrong), "pip install -e '.[dev]'")
    return Finding(True, f"{checked} pinned packages installed")


@register("Docker Engine", "images")
def check_docker() -> Finding:
    status = dockerengine.docker_status()
    if status.running:
        info = probes.docker_info()
        store = detect.uses_containerd_image_store(info)
        where = "Docker Desktop" if detect.is_docker_desktop_engine(info) else "Docker Engine"
        store_text = {True: "containerd image store", False: "classic image store", None: "image store unknown"}[store]
        return Finding(True, f"{where} {status.server_version} ({store_text})")
    return Finding(False, status.error or "not running", dockerengine.manual_fix())


@register("Kubernetes cluster", CLUSTER)
def check_cluster(context: str | None = None, registry: str = "") -> Finding:
    from traderadmin.cluster import providers

    try:
        provider, why = providers.choose_provider("auto", context=context, registry=registry)
    except providers.ProviderError as exc:
        return Finding(False, f"context {context!r}" if context else "no provider fits this machine", str(exc))
    contexts = [c.name for c in probes.list_contexts()[0]]
    if provider.context not in contexts:
        return Finding(False, f"provider {provider.name} ({why}): no {provider.context!r} context in kubeconfig",
                       _reach_fix(provider, missing=True))
    status = provider.status()
    if not status.reachable:
        return Finding(False, status.detail, _reach_fix(provider, missing=False))
    # The status names the cluster as it is recognised (the local cluster's flavors stand in for others).
    mode = f", {status.mode} mode" if status.mode else ""
    summary = f"{status.provider}{mode} via context {provider.context}: {status.detail}"
    if status.problems:
        return Finding(False, summary + "; " + "; ".join(status.problems), status.problems[0].split("Fix: ")[-1])
    if not status.node_ready:
        return Finding(False, f"{summary}; node(s) not Ready: {', '.join(status.nodes)}",
                       "invoke cluster.up" + (f" --context {context}" if context else ""))
    return Finding(True, f"{summary}; {len(status.nodes)} node(s) Ready")


def _reach_fix(provider: Provider, missing: bool) -> str:
    """What brings the provider's cluster within reach: the same fix every other command gives."""
    from traderadmin.cluster import providers

    return providers.reach_fix(provider)


@register("Go", "images")
def check_go() -> Finding:
    if shutil.which("go") is None:
        return Finding(False, "go not found", f"install Go >= {MIN_GO[0]}.{MIN_GO[1]} from https://go.dev/dl/")
    code, out = _run(["go", "env", "GOVERSION"])
    version = _version_tuple(out)
    if code != 0 or version[:2] < MIN_GO:
        return Finding(False, f"{out or 'go env failed'} is older than {MIN_GO[0]}.{MIN_GO[1]}", "install a newer Go from https://go.dev/dl/")
    return Finding(True, out)


@register("Node.js / npm", "desktop app", required=False)
def check_node() -> Finding:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return Finding(False, "node or npm not found", "install Node.js 20 LTS (https://nodejs.org/ or apt-get install nodejs npm)")
    _, node = _run(["node", "--version"])
    _, npm = _run(["npm", "--version"])
    if (_version_tuple(node) or (0,))[0] < MIN_NODE:
        return Finding(False, f"node {node} is older than {MIN_NODE}", "install Node.js 20 LTS")
    return Finding(True, f"node {node}, npm {npm}")


# The desktop-app rows ask traderadmin.app.toolchain, so they judge by what `invoke app.build` will use.
APP_PREREQS_FIX = "invoke app.prereqs"


@register("Wails CLI", "desktop app", required=False)
def check_wails() -> Finding:
    try:
        found = toolchain.find_wails()
    except toolchain.AppEnvError as exc:
        return Finding(False, str(exc), APP_PREREQS_FIX)
    if found is not None:
        return Finding(True, f"wails {toolchain.WAILS_VERSION} at {found}")
    on_path = shutil.which("wails")
    other = f"; the one on PATH is {toolchain.wails_version(Path(on_path)) or 'unreadable'}" if on_path else ""
    return Finding(False, f"no Wails CLI {toolchain.WAILS_VERSION} in Go's install folder or on PATH{other}", APP_PREREQS_FIX)


@register("WebKitGTK", "desktop app", required=False)
def check_webkitgtk() -> Finding:
    if sys.platform != "linux":
        return Finding(True, "not needed on this OS (Wails uses the system web view)")
    found = toolchain.webkit()
    if found is None:
        missing = "pkg-config not found" if shutil.which("pkg-config") is None else (
            f"pkg-config finds neither {toolchain.WEBKIT_41} nor {toolchain.WEBKIT_40}")
        return Finding(False, missing, f"{APP_PREREQS_FIX} (or apt-get install -y {' '.join(toolchain.BUILD_PACKAGES)})")
    tags = f"the app builds with -tags {','.join(found.tags)}" if found.tags else "the app builds without a WebKit tag"
    return Finding(True, f"{found.module} {found.version} ({tags})")


LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def tws_address_finding(config: dict, provider: str, host_network: bool) -> Finding:
    """Whether the orchestrator's pod can reach TWS / IB Gateway at the configured ibkr.host.

    Inside a pod, localhost is the pod itself: TWS on the workstation is
    `host.docker.internal` on Docker Desktop, or localhost only with hostNetwork.
    """
    host = config.get("ibkr", {}).get("host", "")
    port = config.get("ibkr", {}).get("port")
    if host not in LOOPBACK or host_network:
        how = " (hostNetwork)" if host_network and host in LOOPBACK else ""
        return Finding(True, f"the orchestrator reaches TWS at {host}:{port}{how}")
    if provider == "docker-desktop":
        return Finding(False, f"ibkr.host is {host}, which inside a pod is the pod itself, not your machine",
                       "invoke config.set ibkr.host=host.docker.internal && invoke reload")
    return Finding(False, f"ibkr.host is {host}, which inside a pod is the pod itself, not this machine",
                   "run the services with hostNetwork (traderadmin.host_network: true in invoke.yaml, then "
                   "invoke deploy), or invoke config.set ibkr.host=<this machine's address>")


def tws_address_check(config_path: Path, host_network: bool, context: str | None = None,
                      registry: str = "") -> DoctorCheck:
    """The TWS-address row for the project's config and the cluster `context` names (doctor adds it)."""

    def run() -> Finding:
        import tomllib

        from traderadmin.cluster import providers

        try:
            config = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            return Finding(False, f"cannot read {config_path}: {exc}", "invoke config.init, or invoke config.validate")
        try:
            status = providers.get_provider("auto", context=context, registry=registry).status()
        except providers.ProviderError as exc:
            return Finding(False, str(exc), "invoke cluster.up")
        return tws_address_finding(config, status.provider, host_network)

    return DoctorCheck("TWS address", "config", False, run)


def checks_for(context: str | None, registry: str, config_path: Path, host_network: bool) -> list[DoctorCheck]:
    """Every registered check and the TWS row, the cluster rows aimed at `context` (None: the auto provider's)."""
    aimed = [replace(c, run=partial(c.run, context, registry)) if c.group == CLUSTER else c for c in CHECKS]
    return aimed + [tws_address_check(config_path, host_network, context, registry)]


def run_checks(checks: list[DoctorCheck] | None = None) -> list[CheckResult]:
    results = []
    for check in CHECKS if checks is None else checks:
        try:
            finding = check.run()
        except Exception as exc:  # a broken check is a failing row, not a crashed doctor
            finding = Finding(False, f"check crashed: {type(exc).__name__}: {exc}", "report this as a bug")
        results.append(CheckResult(check.name, check.group, check.required, finding.ok, finding.detail, finding.fix))
    return results


def exit_code(results: list[CheckResult]) -> int:
    return 1 if any(r.required and not r.ok for r in results) else 0
