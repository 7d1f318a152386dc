"""The local cluster is reachable from this host only: every component listens on loopback.

Docker Desktop's API server and kubelet are not reachable from the network either
(they sit in its VM, forwarded to 127.0.0.1). Here they run on the host itself, so
a listener on every interface would put them on the user's LAN.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

from traderadmin.localcluster import host, lifecycle

LISTEN = "0A"


def _listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket `pid` listens on, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != LISTEN or fields[9] not in inodes:
                continue
            hex_addr, hex_port = fields[1].split(":")
            raw = bytes.fromhex(hex_addr)
            # /proc prints each 32-bit word in host (little-endian) order.
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.append((str(ipaddress.ip_address(raw if family == socket.AF_INET6 else raw[:4])),
                          int(hex_port, 16)))
    return found


@pytest.fixture(scope="module")
def local_status(provider):
    # Every local flavor counts, also those recognised as Docker Desktop (kubeadm, kind).
    running = lifecycle.running_flavors()
    if not running:
        pytest.skip(f"no local cluster runs on this host (the cluster is {provider.name}, context "
                    f"{provider.context}): there are no listening sockets of ours to check")
    return lifecycle.status(running[0])


def test_every_component_listens_on_loopback_only(local_status):
    seen = {}
    for row in local_status.components:
        assert row.pid, f"{row.name} is not running (see {row.log})"
        seen[row.name] = _listening(row.pid)
    # The two that used to listen everywhere must be among what was read, or this proves nothing.
    assert any(port == 6443 for _, port in seen["kube-apiserver"]), seen["kube-apiserver"]
    assert any(port == 10250 for _, port in seen["kubelet"]), seen["kubelet"]
    exposed = {name: [(a, p) for a, p in socks if not ipaddress.ip_address(a).is_loopback]
               for name, socks in seen.items()}
    assert not any(exposed.values()), f"listening beyond loopback: { {k: v for k, v in exposed.items() if v} }"


def test_node_address_refuses_the_api_server_and_kubelet_ports(local_status):
    node_ip = host.node_identity().ip
    for port in (6443, 10250):
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((node_ip, port)) != 0, f"{node_ip}:{port} accepted a connection"
