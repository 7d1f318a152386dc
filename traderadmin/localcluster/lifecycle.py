"""Bring the local cluster up, take it down, and report on it.

`up` is idempotent: whatever already runs is left alone, so with everything up
it only checks health. A component that fails to become healthy stops `up`
with the tail of its own log.

The cluster comes in flavors (see flavors.py), each with a state folder of its
own; one runs at a time, and `up` of one flavor first stops another.
"""
from __future__ import annotations

import fcntl
import json
import shutil
import socket
import subprocess
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import requests

from traderadmin.errors import ToolkitError
from traderadmin.localcluster import (
    bootstrap,
    configfiles,
    dockerruntime,
    engines,
    flavors,
    gobuild,
    host,
    images,
    kubeconfigs,
    pki,
)
from traderadmin.localcluster.components import Component, components
from traderadmin.localcluster.flavors import CONTAINERD, CRI_DOCKERD, Flavor, layout_for
from traderadmin.localcluster.layout import K8S_NAMESPACE, Layout, Network
from traderadmin.polling import poll_until
from traderadmin.system import processes
from traderadmin.system.paths import state_dir
from traderadmin.tails import tail_file

Progress = Callable[[str], None]

START_TIMEOUTS = {"kube-apiserver": 120.0, "kubelet": 90.0, "etcd": 60.0}
DEFAULT_START_TIMEOUT = 60.0
NODE_READY_TIMEOUT = 120.0
# Stop order: the node agents first so nothing restarts what is being stopped.
STOP_ORDER = (
    "hostpath-provisioner",
    "registry-mirror",
    "kube-proxy",
    "kubelet",
    "kube-scheduler",
    "kube-controller-manager",
    "containerd",
    "cri-dockerd",
    "kube-apiserver",
    "etcd",
)


class ClusterError(ToolkitError):
    """The local cluster could not be brought up or down; the message says what to do."""


@dataclass
class ComponentStatus:
    name: str
    pid: int | None
    healthy: bool
    rss_mib: float
    log: str


@dataclass
class ClusterStatus:
    provider: str
    flavor: str
    context: str
    state_dir: str
    running: bool
    node_ready: bool
    node: str
    kubernetes_version: str
    components: list[ComponentStatus] = field(default_factory=list)
    rss_mib_total: float = 0.0
    kubeconfig: str = ""


# Which flavor this host runs is read by every command that reaches the cluster, so it
# lives in the light flavors module; named here too, as before.
_flavor_file = flavors.flavor_file
last_flavor = flavors.last_flavor
served_context = flavors.served_context


def _cluster_components(layout: Layout, flavor: Flavor, binaries: dict[str, Path]) -> list[Component]:
    # Status and down must work even when the build cache is gone: pid files then
    # only need the executable's name.
    names = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet",
             "kube-proxy", "hostpath-provisioner", "pause", "kubectl", "cri-dockerd", "registry-mirror")
    full = {**{n: Path(n) for n in names}, **binaries}
    try:
        node = host.node_identity()
    except host.HostError:
        node = host.NodeIdentity("unknown", "127.0.0.1")
    return components(full, layout, Network(), flavor.node(node.name), node.ip, flavor)


def running_flavors(binaries: dict[str, Path] | None = None) -> list[Flavor]:
    """Flavors with at least one component alive."""
    binaries = _cached_binaries() if binaries is None else binaries
    found = []
    for flavor in flavors.FLAVORS.values():
        layout = layout_for(flavor)
        if any(processes.running_pid(layout.pid(c.name), c.argv[0]) for c in _cluster_components(layout, flavor, binaries)):
            found.append(flavor)
    return found


@contextmanager
def _exclusive() -> Iterator[None]:
    """Two `cluster.up`s at once would start every component twice (one lock for every flavor)."""
    state_dir().mkdir(parents=True, exist_ok=True)
    with open(state_dir() / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ClusterError(f"Another cluster.up/down is running (lock {state_dir() / '.lock'}); wait for it") from None
        yield


def _healthy(component: Component) -> bool:
    if component.socket is not None:
        # A socket file survives a killed daemon: only a connection proves it listens.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            try:
                sock.connect(str(component.socket))
            except OSError:
                return False
        return True
    if component.health is None:
        return True
    h = component.health
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # self-signed serving certs of the controllers
        try:
            response = requests.get(h.url, cert=h.client_cert, verify=str(h.ca) if h.ca else False, timeout=3)
        except requests.RequestException:
            return False
    return response.status_code == 200


def _wait_healthy(component: Component, pid: int, layout: Layout, timeout: float) -> None:
    def give_up(_last: object) -> None:
        if processes.exited(pid):
            raise ClusterError(
                f"{component.name} exited while starting. Last lines of {layout.log(component.name)}:\n"
                f"{tail_file(layout.log(component.name))}"
            )

    poll_until(
        lambda: _healthy(component), timeout, interval=0.5, give_up=give_up,
        timeout_error=lambda _last: ClusterError(
            f"{component.name} did not become healthy within {timeout:.0f}s. "
            f"Last lines of {layout.log(component.name)}:\n{tail_file(layout.log(component.name))}"
        ),
    )


# Which component reads which certificate: reissuing one means restarting it.
CERT_USERS = {
    "apiserver": "kube-apiserver",
    "apiserver-kubelet-client": "kube-apiserver",
    "controller-manager": "kube-controller-manager",
    "scheduler": "kube-scheduler",
    "kube-proxy": "kube-proxy",
    "kubelet-client": "kubelet",
    "kubelet-serving": "kubelet",
    "hostpath-provisioner": "hostpath-provisioner",
}


def _prepare_files(
    layout: Layout, network: Network, binaries: dict[str, Path], node: host.NodeIdentity, flavor: Flavor
) -> tuple[str, set[str]]:
    """Write certificates and config files; return the pause image ref and the
    components whose inputs changed (to restart if they already run)."""
    extra_names = (flavor.server_dns_name,) if flavor.server_dns_name else ()
    reissued = pki.ensure_pki(layout.pki, pki.ClusterIdentity(node.name, node.ip, network.service_ip, extra_names))
    changed = {CERT_USERS[name] for name in reissued if name in CERT_USERS}
    kubeconfigs.write_component_kubeconfigs(layout, network)
    pause_ref = images.pause_image_ref(binaries["pause"])
    lower_oom = host.can_lower_oom_score()
    runtime_socket = layout.cri_dockerd_socket if flavor.runtime == CRI_DOCKERD else layout.containerd_socket
    files = {
        # Read for every new pod: no restart needed.
        layout.cni_conf_dir / "10-traderadmin.conflist": ("", configfiles.cni_conflist(layout, network)),
        layout.kubelet_config: ("kubelet", configfiles.kubelet_config(layout, network, runtime_socket)),
        layout.kube_proxy_config: (
            "kube-proxy",
            configfiles.kube_proxy_config(layout, network, node.name, oom_score_adj=-999 if lower_oom else 0),
        ),
    }
    if flavor.runtime == CONTAINERD:
        files[layout.containerd_config] = (
            "containerd",
            configfiles.containerd_toml(layout, pause_ref, restrict_oom_score_adj=not lower_oom,
                                        registry_hosts=flavor.image_mirror),
        )
    if flavor.image_mirror:
        # containerd reads these on every pull: no restart.
        for registry in configfiles.MIRRORED_REGISTRIES:
            files[layout.registry_hosts_dir / registry / "hosts.toml"] = (
                "", configfiles.registry_hosts_toml(registry, flavors.MIRROR_ADDRESS))
    for path, (component, text) in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.add(component)
    for folder in (layout.logs, layout.pids, layout.etcd_data, layout.volumes, layout.pod_logs, layout.kubelet_root,
                   layout.cni_cache_dir):
        folder.mkdir(parents=True, exist_ok=True)
    layout.etcd_data.chmod(0o700)
    return pause_ref, changed - {""}


def _kubectl(binaries: dict[str, Path], layout: Layout, *args: str) -> subprocess.CompletedProcess[str]:
    return bootstrap.kubectl(binaries["kubectl"], layout.admin_kubeconfig, *args)


def _node_ready(binaries: dict[str, Path], layout: Layout, node: str, since: datetime | None = None) -> bool:
    """Ready, and (with `since`) reported by a kubelet started after `since`: right
    after a restart the API still shows the previous kubelet's Ready."""
    proc = _kubectl(binaries, layout, "get", "node", node, "-o", "json")
    if proc.returncode != 0:
        return False
    conditions = json.loads(proc.stdout).get("status", {}).get("conditions", [])
    for c in conditions:
        if c["type"] == "Ready" and c["status"] == "True":
            heartbeat = datetime.fromisoformat(c["lastHeartbeatTime"].replace("Z", "+00:00"))
            return since is None or heartbeat >= since
    return False


def _wait_until(check: Callable[[], bool], timeout: float, what: str, hint: str) -> None:
    poll_until(check, timeout, interval=1,
               timeout_error=lambda _last: ClusterError(f"{what} not reached within {timeout:.0f}s. {hint}"))


def up(progress: Progress = lambda _m: None, log: Progress = print, flavor: Flavor | None = None) -> ClusterStatus:
    """Install, build, configure and start whatever is missing; return once the node is Ready.

    `flavor`: None keeps the one this host last ran (plain the first time).
    """
    host.check_supported()
    flavor = flavor or last_flavor() or flavors.DEFAULT
    layout, network = layout_for(flavor), Network()
    with _exclusive():
        progress("checking host packages")
        host.install_packages(host.missing_packages(), log)
        binaries = gobuild.build_all(layout.log("build"), progress, extras=flavor.extra_builds)
        for other in running_flavors(binaries):
            if other != flavor:
                log(f"Stopping the {other.name} flavor of the local cluster: one runs at a time")
                _down(other, binaries, progress)
        progress("checking Docker Engine")
        engines.ensure(flavor.engine, binaries.get("dockerd"), log)
        identity = host.node_identity()
        node = host.NodeIdentity(flavor.node(identity.name), identity.ip)
        progress("writing certificates and configuration")
        pause_ref, changed = _prepare_files(layout, network, binaries, node, flavor)
        host.prepare_kernel()
        host.ensure_firewall_rules(network)
        # The kubeconfig names the API server as the original does (kubernetes.docker.internal).
        if flavor.server_dns_name and host.ensure_hosts_entry(flavor.server_dns_name,
                                                              "Docker Desktop's name for the API server"):
            log(f"Added {flavor.server_dns_name} to {host.HOSTS_FILE}, as Docker Desktop does")
        # The kubelet listens on loopback only; the API server finds it by the node's name.
        if host.ensure_hosts_entry(node.name, "the node's kubelet listens on loopback only"):
            log(f"Added {node.name} -> 127.0.0.1 to {host.HOSTS_FILE}: the API server reaches the kubelet there")
        if flavor.runtime == CRI_DOCKERD:
            _prepare_docker(binaries, progress, log)
        all_components = components(binaries, layout, network, node.name, node.ip, flavor, pause_ref)
        kubelet_started: datetime | None = None
        _clean_after_crash(layout, flavor, all_components, progress)
        _flavor_file().write_text(flavor.name + "\n")
        for component in all_components:
            pid = processes.running_pid(layout.pid(component.name), component.argv[0])
            if pid is not None and (
                component.name in changed or processes.recorded_argv(layout.pid(component.name)) != list(component.argv)
            ):
                progress(f"restarting {component.name}: its binary, flags or configuration changed")
                processes.stop(layout.pid(component.name), component.argv[0])
                pid = None
            if pid is None:
                progress(f"starting {component.name}")
                if component.name == "kubelet":
                    # Heartbeats have whole-second precision.
                    kubelet_started = datetime.now(timezone.utc).replace(microsecond=0)
                pid = processes.start(component.argv, layout.pid(component.name), layout.log(component.name))
            else:
                progress(f"{component.name} already running (pid {pid})")
            timeout = START_TIMEOUTS.get(component.name, DEFAULT_START_TIMEOUT)
            _wait_healthy(component, pid, layout, timeout)
            if component.name == "containerd":
                progress("importing the pause image into containerd")
                images.ensure_pause_image(layout, binaries["pause"])
            if component.name == "kube-apiserver":
                progress("applying RBAC and the hostpath StorageClass")
                bootstrap.apply_cluster_objects(binaries["kubectl"], layout.admin_kubeconfig, flavor)
        progress(f"waiting for node {node.name} to be Ready")
        _wait_until(
            lambda: _node_ready(binaries, layout, node.name, kubelet_started),
            NODE_READY_TIMEOUT,
            f"Node {node.name} Ready",
            f"See {layout.log('kubelet')} and {layout.log(all_components[0].name)}.",
        )
        _wait_until(
            lambda: _kubectl(binaries, layout, "get", "serviceaccount", "default", "-n", "default").returncode == 0,
            60,
            "ServiceAccount default/default",
            f"See {layout.log('kube-controller-manager')}.",
        )
        kubeconfigs.write_standalone_kubeconfig(layout, network, flavor)
        retired = tuple((f.context, layout_for(f).pki / "ca.crt") for f in flavors.FLAVORS.values() if f != flavor)
        merged = kubeconfigs.merge_into_user_kubeconfig(layout, network, flavor=flavor, retired=retired)
        log(f"Context {flavor.context} is in {merged} (flavor {flavor.name}, pause image {pause_ref})")
    return status(flavor)


def _prepare_docker(binaries: dict[str, Path], progress: Progress, log: Progress) -> None:
    """What the Docker Engine needs before cri-dockerd can run pods on it."""
    progress("building the pause image in Docker")
    images.build_pause_image(binaries["pause"])
    if not host.can_lower_oom_score():
        progress("registering the OOM-score clamp runtime with dockerd")
        dockerruntime.install_clamp(binaries["runc-oom-clamp"], state_dir() / "bin" / dockerruntime.CLAMP_RUNTIME, log)


def _clean_after_crash(layout: Layout, flavor: Flavor, parts: list[Component], progress: Progress) -> None:
    """Undo what a cluster killed without `cluster.down` leaves behind.

    Only when nothing of the cluster runs, not even a shim: then no mount under
    the state folder and no CRI network namespace can be in use, and the IP
    allocations of the dead pods would otherwise leak until the range is full.
    """
    if any(processes.running_pid(layout.pid(c.name), c.argv[0]) for c in parts) or shim_pids(layout):
        return
    if flavor.runtime == CRI_DOCKERD:
        # Docker keeps pod containers of a dead kubelet; their mounts sit under the kubelet's folder.
        dockerruntime.remove_pod_containers()
    orphans = host.kill_pod_processes()
    stale = host.mounts_under([layout.state])
    if stale or orphans:
        progress(f"cleaning up after an unclean stop ({orphans} orphaned container processes, {len(stale)} mounts)")
    host.unmount_all([layout.state])
    host.remove_unused_cni_netns()
    shutil.rmtree(layout.cni_ipam_dir, ignore_errors=True)


def _kill_pods(layout: Layout) -> None:
    """With the kubelet stopped, kill every container of the cluster's containerd and delete it.

    containerd's shims keep containers running after containerd itself exits,
    so without this `down` would leave pods (and their mounts) behind.
    """
    def ctr(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ctr", "--address", str(layout.containerd_socket), "--namespace", K8S_NAMESPACE, *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    listed = ctr("tasks", "ls", "-q")
    if listed.returncode != 0:
        return
    for task in listed.stdout.split():
        ctr("tasks", "kill", "--all", "--signal", "SIGKILL", task)
    for task in listed.stdout.split():
        ctr("tasks", "delete", "--force", task)
    containers = ctr("containers", "ls", "-q")
    for container in containers.stdout.split():
        ctr("containers", "delete", container)


def down(progress: Progress = lambda _m: None, flavor: Flavor | None = None) -> list[str]:
    """Stop every component and pod of `flavor` (None: whichever runs), undo mounts and
    network changes; return what was stopped."""
    host.check_supported()
    with _exclusive():
        binaries = _cached_binaries()
        chosen = [flavor] if flavor else running_flavors(binaries) or [last_flavor() or flavors.DEFAULT]
        stopped: list[str] = []
        for each in chosen:
            stopped += _down(each, binaries, progress)
    return stopped


def _down(flavor: Flavor, binaries: dict[str, Path], progress: Progress) -> list[str]:
    layout, network = layout_for(flavor), Network()
    stopped: list[str] = []
    by_name = {c.name: c for c in _cluster_components(layout, flavor, binaries)}
    for name in STOP_ORDER:
        component = by_name.get(name)
        if name == "containerd" and component is not None and processes.running_pid(layout.pid(name), "containerd"):
            progress("stopping pods")
            _kill_pods(layout)
        if name == "cri-dockerd" and component is not None:
            progress("removing pod containers from Docker")
            dockerruntime.remove_pod_containers()
        if component is not None:
            progress(f"stopping {name}")
            if processes.stop(layout.pid(name), component.argv[0]):
                stopped.append(name)
        if name == "kube-proxy" and "kube-proxy" in binaries:
            # Removes the Service rules kube-proxy wrote; they would point at dead pods.
            subprocess.run([str(binaries["kube-proxy"]), "--cleanup"], capture_output=True, timeout=60)
    progress("unmounting and cleaning the network")
    host.kill_pod_processes()
    leftover = host.unmount_all([layout.state])
    host.remove_unused_cni_netns()
    shutil.rmtree(layout.cni_ipam_dir, ignore_errors=True)
    host.remove_bridge(network)
    host.remove_firewall_rules(network)
    host.remove_kubelet_chains()
    if leftover:
        raise ClusterError(f"Stopped, but these stay mounted: {', '.join(leftover)}. Fix: umount -l them")
    return stopped


def _cached_binaries() -> dict[str, Path]:
    """The binaries of the current build if cached, without building anything."""
    try:
        go_ver = gobuild.go_version()
    except (gobuild.BuildError, OSError, subprocess.CalledProcessError):
        return {}
    found: dict[str, Path] = {}
    for build in gobuild.all_builds():
        folder = gobuild.bin_dir_for(build, go_ver)
        if (folder / gobuild.COMPLETE_MARKER).exists():
            found.update({p.name: p for p in folder.iterdir() if not p.name.startswith(".")})
    return found


def shim_pids(layout: Layout) -> list[int]:
    """containerd-shim processes serving this cluster's containerd (they outlive it otherwise)."""
    pids = []
    needle = str(layout.containerd_socket).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"containerd-shim" in cmdline.split(b"\0", 1)[0] and needle in cmdline:
            pids.append(int(entry.name))
    return pids


def status(flavor: Flavor | None = None) -> ClusterStatus:
    """The state of `flavor` (None: the one running, else the one last brought up)."""
    binaries = _cached_binaries()
    flavor = flavor or next(iter(running_flavors(binaries)), None) or last_flavor() or flavors.DEFAULT
    layout = layout_for(flavor)
    rows: list[ComponentStatus] = []
    parts = _cluster_components(layout, flavor, binaries)
    node_name = _node_name(flavor)
    for component in parts:
        pid = processes.running_pid(layout.pid(component.name), component.argv[0])
        rss = processes.resident_memory_kib(pid) / 1024 if pid else 0.0
        rows.append(
            ComponentStatus(
                component.name,
                pid,
                healthy=bool(pid) and _healthy(component),
                rss_mib=round(rss, 1),
                log=str(layout.log(component.name)),
            )
        )
    # Shims count as cluster processes; the containers below them are the workload.
    shim_rss = sum(processes.resident_memory_kib(p, children=False) for p in shim_pids(layout)) / 1024
    running = all(r.pid for r in rows)
    ready = running and "kubectl" in binaries and _node_ready(binaries, layout, node_name)
    return ClusterStatus(
        provider="local",
        flavor=flavor.name,
        context=flavor.context,
        state_dir=str(layout.state),
        running=running,
        node_ready=ready,
        node=node_name,
        kubernetes_version=gobuild.versions.KUBERNETES_VERSION,
        components=rows,
        rss_mib_total=round(sum(r.rss_mib for r in rows) + shim_rss, 1),
        kubeconfig=str(kubeconfigs.standalone_kubeconfig_path(layout, flavor)),
    )


def _node_name(flavor: Flavor) -> str:
    try:
        return flavor.node(host.node_identity().name)
    except host.HostError:
        return "unknown"
