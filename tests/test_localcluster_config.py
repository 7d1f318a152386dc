"""Local cluster configuration: certificates, kubeconfigs and component config files."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import yaml

from traderadmin.localcluster import configfiles, host, images, kubeconfigs, pki
from traderadmin.system import processes
from traderadmin.localcluster.layout import CONTEXT_NAME, Layout, Network
from traderadmin.tails import tail_file

IDENTITY = pki.ClusterIdentity("node1", "192.0.2.10", "10.96.0.1")


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    first = pki.ensure_pki(folder, IDENTITY)
    return folder, first


def _text(cert) -> str:
    return subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(cert)], capture_output=True, text=True, check=True).stdout


def test_every_certificate_is_issued_once(issued):
    folder, first = issued
    assert set(first) == {s.name for s in pki.cluster_certificates(IDENTITY)}
    assert pki.ensure_pki(folder, IDENTITY) == []


def test_apiserver_serves_every_name_pods_and_users_use(issued):
    folder, _ = issued
    text = _text(folder / "apiserver.crt")
    for name in ("DNS:kubernetes.default.svc", "DNS:localhost", "IP Address:127.0.0.1", "IP Address:192.0.2.10", "IP Address:10.96.0.1"):
        assert name in text
    assert "TLS Web Server Authentication" in text


def test_identities_ride_in_cn_and_o(issued):
    folder, _ = issued
    subject = subprocess.run(["openssl", "x509", "-noout", "-subject", "-in", str(folder / "kubelet-client.crt")],
                             capture_output=True, text=True, check=True).stdout
    assert "O = system:nodes" in subject and "CN = system:node:node1" in subject


def test_changed_node_ip_reissues_only_what_names_it(issued):
    folder, _ = issued
    moved = pki.ClusterIdentity("node1", "192.0.2.99", "10.96.0.1")
    assert sorted(pki.ensure_pki(folder, moved)) == ["apiserver", "kubelet-serving"]
    assert "192.0.2.99" in _text(folder / "apiserver.crt")


def test_merge_keeps_other_contexts_and_their_current_context(issued, tmp_path):
    folder, _ = issued
    layout = Layout(tmp_path / "state")
    layout.state.mkdir()
    (layout.state / "pki").symlink_to(folder)
    user = tmp_path / "kube" / "config"
    user.parent.mkdir()
    user.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "work",
        "clusters": [{"name": "work", "cluster": {"server": "https://work:6443"}}],
        "contexts": [{"name": "work", "context": {"cluster": "work", "user": "me"}}],
        "users": [{"name": "me", "user": {"token": "x"}}],
    }))
    kubeconfigs.merge_into_user_kubeconfig(layout, Network(), user)
    kubeconfigs.merge_into_user_kubeconfig(layout, Network(), user)  # twice: still one entry
    data = yaml.safe_load(user.read_text())
    assert data["current-context"] == "work"
    assert [c["name"] for c in data["contexts"]] == ["work", CONTEXT_NAME]
    assert [c["name"] for c in data["clusters"]] == ["work", CONTEXT_NAME]
    assert oct(user.stat().st_mode & 0o777) == "0o600"


def test_fresh_kubeconfig_gets_our_context_as_current(issued, tmp_path):
    folder, _ = issued
    layout = Layout(tmp_path / "state")
    layout.state.mkdir()
    (layout.state / "pki").symlink_to(folder)
    path = kubeconfigs.merge_into_user_kubeconfig(layout, Network(), tmp_path / "new" / "config")
    assert yaml.safe_load(path.read_text())["current-context"] == CONTEXT_NAME


def test_kubelet_config_never_collects_images_and_uses_cgroupfs(tmp_path):
    config = json.loads(configfiles.kubelet_config(Layout(tmp_path), Network()))
    assert config["imageGCHighThresholdPercent"] == 100
    assert config["cgroupDriver"] == "cgroupfs"
    assert config["containerRuntimeEndpoint"] == f"unix://{tmp_path}/containerd/containerd.sock"


def test_containerd_config_uses_the_local_pause_image_and_debian_cni_path(tmp_path):
    text = configfiles.containerd_toml(Layout(tmp_path), "traderadmin.local/pause:abc")
    assert 'sandbox_image = "traderadmin.local/pause:abc"' in text
    assert "SystemdCgroup = false" in text
    assert 'bin_dir = "/usr/lib/cni"' in text


def test_cni_bridge_covers_the_node_pod_range(tmp_path):
    conf = json.loads(configfiles.cni_conflist(Layout(tmp_path), Network()))
    bridge, portmap = conf["plugins"]
    assert bridge["ipam"]["ranges"] == [[{"subnet": "10.244.0.0/24"}]]
    assert portmap["type"] == "portmap"


def test_firewall_rules_accept_pod_traffic_both_ways():
    rules = host.firewall_rules(Network())
    assert ["filter", "FORWARD", "-s", "10.244.0.0/16"] == rules[0][:4]
    assert ["filter", "FORWARD", "-d", "10.244.0.0/16"] == rules[1][:4]
    assert rules[2][:2] == ["nat", "POSTROUTING"] and rules[2][-1] == "MASQUERADE"


def test_service_ip_is_first_host_of_service_range():
    assert Network().service_ip == "10.96.0.1"


@pytest.mark.parametrize(
    ("ref", "stored"),
    [
        ("orchestrator:abc", "docker.io/library/orchestrator:abc"),
        ("traderadmin/scanner:abc", "docker.io/traderadmin/scanner:abc"),
        ("traderadmin.local/pause:1", "traderadmin.local/pause:1"),
        ("localhost/x:2", "localhost/x:2"),
        ("registry.example:5000/x/y:1", "registry.example:5000/x/y:1"),
        ("busybox", "docker.io/library/busybox:latest"),
    ],
)
def test_normalize_ref(ref, stored):
    assert images.normalize_ref(ref) == stored


def test_process_lifecycle_with_pid_file(tmp_path):
    pid_file, log = tmp_path / "p.pid", tmp_path / "p.log"
    argv = [sys.executable, "-c", "import time; print('hello', flush=True); time.sleep(60)"]
    pid = processes.start(argv, pid_file, log)
    assert processes.running_pid(pid_file, sys.executable) == pid
    assert processes.running_pid(pid_file, "something-else") is None  # a recycled pid is not ours
    deadline = time.monotonic() + 5
    while "hello" not in tail_file(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "hello" in tail_file(log)
    assert processes.stop(pid_file, sys.executable)
    assert processes.running_pid(pid_file, sys.executable) is None
    assert not processes.stop(pid_file, sys.executable)
