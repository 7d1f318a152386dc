"""The host side of the local provider: packages, node identity, kernel and firewall settings.

The provider is for root on Debian/Ubuntu; anything else gets an error that
says so rather than a half-working cluster.
"""
from __future__ import annotations

import ipaddress
import os
import platform
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from traderadmin.errors import ToolkitError
from traderadmin.localcluster.layout import Network
from traderadmin.polling import Deadline

# command that must exist -> Debian package that provides it
REQUIRED_COMMANDS = {
    "containerd": "containerd",
    "ctr": "containerd",
    "runc": "runc",
    "iptables": "iptables",
    "conntrack": "conntrack",
    "openssl": "openssl",
    "ip": "iproute2",
    "mount": "mount",
}
REQUIRED_FILES = {
    Path("/usr/lib/cni/bridge"): "containernetworking-plugins",
    Path("/usr/lib/cni/host-local"): "containernetworking-plugins",
    Path("/usr/lib/cni/portmap"): "containernetworking-plugins",
    Path("/usr/lib/cni/loopback"): "containernetworking-plugins",
}


class HostError(ToolkitError):
    """The host cannot run the local cluster; the message says what to change."""


@dataclass(frozen=True)
class NodeIdentity:
    name: str
    ip: str


def check_supported() -> None:
    if platform.system() != "Linux":
        raise HostError(
            "The local provider runs only on Linux. Fix: use Docker Desktop's Kubernetes "
            "(`invoke cluster.up --provider docker-desktop`)"
        )
    if os.geteuid() != 0:
        raise HostError("The local provider must run as root (it starts containerd and the kubelet). Fix: sudo invoke cluster.up")


def missing_packages() -> list[str]:
    packages = {pkg for cmd, pkg in REQUIRED_COMMANDS.items() if shutil.which(cmd) is None}
    packages |= {pkg for path, pkg in REQUIRED_FILES.items() if not path.exists()}
    return sorted(packages)


def install_packages(packages: list[str], log: Callable[[str], None]) -> None:
    if not packages:
        return
    if shutil.which("apt-get") is None:
        raise HostError(f"Missing packages {', '.join(packages)} and no apt-get to install them. Fix: install them by hand")
    log(f"Installing with apt-get: {' '.join(packages)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        update = subprocess.run(["apt-get", "update"], capture_output=True, text=True, env=env)
        if update.returncode == 0:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise HostError(f"`{' '.join(cmd)}` failed:\n{proc.stderr.strip()[-2000:]}")


def node_identity() -> NodeIdentity:
    """Node name from the hostname; node IP = source address of the default route."""
    name = socket.gethostname().split(".")[0].lower()
    return NodeIdentity(name=name, ip=_default_route_ip())


def _default_route_ip() -> str:
    proc = subprocess.run(["ip", "-4", "-o", "route", "get", "1.1.1.1"], capture_output=True, text=True)
    words = proc.stdout.split()
    if "src" in words:
        return words[words.index("src") + 1]
    proc = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        address = line.split()[3].split("/")[0]
        if not ipaddress.ip_address(address).is_loopback:
            return address
    raise HostError("No non-loopback IPv4 address found for the node. Fix: bring up a network interface")


HOSTS_FILE = Path("/etc/hosts")


def ensure_hosts_entry(name: str, why: str, ip: str = "127.0.0.1", hosts: Path = HOSTS_FILE) -> bool:
    """Make `name` resolve to `ip` (among its addresses), as Docker Desktop's installer does for
    kubernetes.docker.internal; True when the file had to change. `why` goes in the line's comment.

    Another line may map `name` elsewhere (a container's /etc/hosts maps the host name to its
    own address): resolvers return every address of every matching line and a dialer tries
    each in turn, so the loopback one is added rather than that line rewritten.
    """
    lines = hosts.read_text().splitlines() if hosts.exists() else []
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) > 1 and words[0] == ip and name in words[1:]:
            return False
    hosts.write_text("\n".join([*lines, f"{ip} {name}  # added by traderadmin ({why})"]) + "\n")
    return True


CAP_SYS_RESOURCE = 24


def can_lower_oom_score() -> bool:
    """Whether this process holds CAP_SYS_RESOURCE, needed to set negative OOM score adjustments."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) & (1 << CAP_SYS_RESOURCE))
    return False


def _sysctl(key: str, value: str) -> None:
    path = Path("/proc/sys") / key.replace(".", "/")
    if path.exists() and path.read_text().strip() != value:
        path.write_text(value)


def prepare_kernel() -> None:
    """Bridged pod traffic must pass iptables (Services) and be forwarded."""
    if not Path("/proc/sys/net/bridge").exists():
        subprocess.run(["modprobe", "br_netfilter"], capture_output=True)
    if not Path("/proc/sys/net/bridge").exists():
        raise HostError("Bridge netfilter is unavailable. Fix: modprobe br_netfilter (or a kernel with CONFIG_BRIDGE_NETFILTER)")
    _sysctl("net.bridge.bridge-nf-call-iptables", "1")
    _sysctl("net.ipv4.ip_forward", "1")


def firewall_rules(network: Network) -> list[list[str]]:
    """iptables rules (table first) for pod traffic.

    Docker sets the FORWARD policy to DROP, so pod traffic needs explicit ACCEPTs.
    One MASQUERADE rule for the whole pod range replaces the bridge plugin's
    per-pod NAT chains, which would be left behind when pods are stopped
    without the CNI plugin running.
    """
    comment = ["-m", "comment", "--comment", "traderadmin local cluster"]
    return [
        ["filter", "FORWARD", "-s", network.pod_cidr, *comment, "-j", "ACCEPT"],
        ["filter", "FORWARD", "-d", network.pod_cidr, *comment, "-j", "ACCEPT"],
        ["nat", "POSTROUTING", "-s", network.pod_cidr, "!", "-d", network.pod_cidr, *comment, "-j", "MASQUERADE"],
    ]


def _iptables(action: str, rule: list[str]) -> subprocess.CompletedProcess[str]:
    table, chain, *spec = rule
    return subprocess.run(["iptables", "-w", "-t", table, action, chain, *spec], capture_output=True, text=True)


def ensure_firewall_rules(network: Network) -> None:
    for rule in firewall_rules(network):
        if _iptables("-C", rule).returncode != 0:
            proc = _iptables("-I", rule)
            if proc.returncode != 0:
                raise HostError(f"`iptables -t {rule[0]} -I {' '.join(rule[1:])}` failed: {proc.stderr.strip()}")


def remove_firewall_rules(network: Network) -> None:
    for rule in firewall_rules(network):
        while _iptables("-C", rule).returncode == 0:
            if _iptables("-D", rule).returncode != 0:
                break


# Chains the kubelet itself creates (kube-proxy --cleanup removes kube-proxy's).
KUBELET_CHAINS = ("KUBE-FIREWALL", "KUBE-KUBELET-CANARY", "KUBE-IPTABLES-HINT")


def remove_kubelet_chains() -> None:
    for binary in ("iptables", "ip6tables"):
        if shutil.which(binary) is None:
            continue
        for table in ("filter", "nat", "mangle"):
            listed = subprocess.run([binary, "-w", "-t", table, "-S"], capture_output=True, text=True)
            for line in listed.stdout.splitlines():
                words = line.split()
                if words[:1] == ["-A"] and words[-2:-1] == ["-j"] and words[-1] in KUBELET_CHAINS:
                    subprocess.run([binary, "-w", "-t", table, "-D", *words[1:]], capture_output=True)
            for chain in KUBELET_CHAINS:
                subprocess.run([binary, "-w", "-t", table, "-F", chain], capture_output=True)
                subprocess.run([binary, "-w", "-t", table, "-X", chain], capture_output=True)


def remove_bridge(network: Network) -> None:
    if Path(f"/sys/class/net/{network.bridge}").exists():
        subprocess.run(["ip", "link", "delete", network.bridge], capture_output=True)


def mounts_under(roots: list[Path]) -> list[str]:
    """Mount points at or below any of `roots`, deepest first (the order to unmount in)."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mount_point = line.split()[4].replace("\\040", " ")
        if any(mount_point == str(r) or mount_point.startswith(str(r) + "/") for r in roots):
            found.append(mount_point)
    return sorted(set(found), key=lambda p: p.count("/"), reverse=True)


def unmount_all(roots: list[Path]) -> list[str]:
    """Unmount everything below `roots`; return what is still mounted."""
    for _ in range(3):
        points = mounts_under(roots)
        if not points:
            return []
        for point in points:
            subprocess.run(["umount", point], capture_output=True)
    for point in mounts_under(roots):
        subprocess.run(["umount", "-l", point], capture_output=True)
    return mounts_under(roots)


def _net_namespaces_in_use() -> set[int]:
    inodes = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                inodes.add(os.stat(entry / "ns" / "net").st_ino)
            except OSError:
                continue
    return inodes


def remove_unused_cni_netns(netns_dir: Path = Path("/run/netns")) -> list[str]:
    """Unmount and delete CRI network namespaces no process uses any more.

    containerd's CRI plugin names them cni-<uuid>; once every pod process is
    gone the namespace is only held by its bind mount, which would leak.
    """
    removed = []
    in_use = _net_namespaces_in_use()
    for path in sorted(netns_dir.glob("cni-*")) if netns_dir.exists() else []:
        try:
            inode = os.stat(path).st_ino
        except OSError:
            continue
        if inode in in_use:
            continue
        subprocess.run(["umount", str(path)], capture_output=True)
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


POD_CGROUP = "kubepods"  # the kubelet's cgroup root for pods (cgroupfs driver)


def pod_processes(cgroup_root: Path = Path("/sys/fs/cgroup")) -> set[int]:
    """Every process in the kubelet's pod cgroups, cgroup v1 or v2."""
    pids: set[int] = set()
    tops = [cgroup_root / POD_CGROUP, *cgroup_root.glob(f"*/{POD_CGROUP}")]
    for top in tops:
        if not top.is_dir():
            continue
        for procs in top.rglob("cgroup.procs"):
            try:
                pids.update(int(p) for p in procs.read_text().split())
            except (OSError, ValueError):
                continue
    return pids


def kill_pod_processes(timeout: float = 10.0) -> int:
    """SIGKILL container processes whose shim is gone (they outlive it); return how many."""
    pids = pod_processes()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = Deadline(timeout)
    while pod_processes() and not deadline.expired():
        time.sleep(0.1)
    return len(pids)
