"""The local cluster's flavors: each must look, through kubeconfig and the API, like
the cluster it stands in for, and be recognised as it by the provider code alone."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from traderadmin import testrun
from traderadmin.cluster import detect, probes, providers
from traderadmin.kube.objects import NodeInfo
from traderadmin.localcluster import configfiles, dockerruntime, flavors, host, kubeconfigs, lifecycle, pki
from traderadmin.localcluster.components import components
from traderadmin.localcluster.layout import Layout, Network

BINARIES = {n: Path(f"/bin/{n}") for n in (
    "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
    "hostpath-provisioner", "cri-dockerd")}


@pytest.fixture(scope="module")
def kubeadm_pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    pki.ensure_pki(folder, pki.ClusterIdentity("docker-desktop", "192.0.2.10", "10.96.0.1",
                                               (flavors.KUBEADM.server_host,)))
    return folder


def _layout(tmp_path: Path, pki_folder: Path, flavor: flavors.Flavor) -> Layout:
    layout = Layout(tmp_path / flavor.name, volumes_root=flavor.volumes_dir)
    layout.state.mkdir(parents=True)
    (layout.state / "pki").symlink_to(pki_folder)
    return layout


def _flags(argv: tuple[str, ...]) -> dict[str, str]:
    return dict(a.removeprefix("--").split("=", 1) for a in argv[1:] if a.startswith("--") and "=" in a)


def test_kubeadm_flavor_runs_pods_on_the_docker_engine_through_cri_dockerd(tmp_path):
    layout = Layout(tmp_path, volumes_root=flavors.KUBEADM.volumes_dir)
    parts = {c.name: c for c in components(BINARIES, layout, Network(), "docker-desktop", "192.0.2.10",
                                           flavors.KUBEADM, "traderadmin.local/pause:abc")}
    assert "containerd" not in parts
    cri = _flags(parts["cri-dockerd"].argv)
    assert cri["container-runtime-endpoint"] == f"unix://{layout.cri_dockerd_socket}"
    assert cri["docker-endpoint"] == "unix:///var/run/docker.sock"
    assert cri["network-plugin"] == "cni" and cri["cni-conf-dir"] == str(layout.cni_conf_dir)
    assert cri["pod-infra-container-image"] == "traderadmin.local/pause:abc"
    assert parts["cri-dockerd"].socket == layout.cri_dockerd_socket
    kubelet = json.loads(configfiles.kubelet_config(layout, Network(), layout.cri_dockerd_socket))
    assert kubelet["containerRuntimeEndpoint"] == f"unix://{layout.cri_dockerd_socket}"
    assert _flags(parts["kubelet"].argv)["hostname-override"] == "docker-desktop"


@pytest.mark.parametrize("flavor, provisioner, base, layout_flag", [
    (flavors.PLAIN, "traderadmin.local/hostpath", None, "flat"),
    (flavors.KUBEADM, "docker.io/hostpath", "/var/lib/k8s-pvs", "claim/pv"),
])
def test_each_flavor_provisions_volumes_like_its_original(tmp_path, flavor, provisioner, base, layout_flag):
    layout = Layout(tmp_path, volumes_root=flavor.volumes_dir)
    parts = {c.name: c for c in components(BINARIES, layout, Network(), "n", "192.0.2.10", flavor)}
    flags = _flags(parts["hostpath-provisioner"].argv)
    assert flags["provisioner-name"] == provisioner
    assert flags["storage-class"] == "hostpath"
    assert flags["base-dir"] == (base or str(tmp_path / "volumes"))
    assert flags["layout"] == layout_flag


def test_kubeadm_flavor_writes_docker_desktops_context(kubeadm_pki, tmp_path):
    layout = _layout(tmp_path, kubeadm_pki, flavors.KUBEADM)
    path = kubeconfigs.merge_into_user_kubeconfig(layout, Network(), tmp_path / "config", flavors.KUBEADM)
    data = yaml.safe_load(path.read_text())
    assert [c["name"] for c in data["contexts"]] == ["docker-desktop"]
    assert data["contexts"][0]["context"] == {"cluster": "docker-desktop", "user": "docker-desktop"}
    assert [u["name"] for u in data["users"]] == ["docker-desktop"]
    assert data["clusters"][0]["cluster"]["server"] == "https://kubernetes.docker.internal:6443"


def test_the_api_server_certificate_names_docker_desktops_host(kubeadm_pki):
    import subprocess

    text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(kubeadm_pki / "apiserver.crt")],
                          capture_output=True, text=True, check=True).stdout
    assert "DNS:kubernetes.docker.internal" in text


def test_the_provider_code_recognises_the_kubeadm_flavor_as_docker_desktop(kubeadm_pki, tmp_path, monkeypatch):
    """Detection is fed exactly what the flavor writes and what its node is called, nothing else."""
    layout = _layout(tmp_path, kubeadm_pki, flavors.KUBEADM)
    path = kubeconfigs.merge_into_user_kubeconfig(layout, Network(), tmp_path / "config", flavors.KUBEADM)
    monkeypatch.setenv("KUBECONFIG", str(path))
    node = flavors.KUBEADM.node("somehost")
    monkeypatch.setattr(probes, "list_nodes", lambda context, kubeconfig=None, timeout=10.0: [
        NodeInfo(node, True, "v1.34.4", "docker://20.10.24")])
    monkeypatch.setattr(probes, "docker_info", lambda: {"DriverStatus": [["Backing Filesystem", "extfs"]]})
    detection, _ = providers.detect_context("docker-desktop")
    assert (detection.provider, detection.mode, detection.ok) == ("docker-desktop", "kubeadm", True)
    assert flavors.KUBEADM.recognised_as == "docker-desktop/kubeadm"


def test_the_plain_flavor_is_recognised_as_local():
    detection = detect.classify(detect.ContextFacts(flavors.PLAIN.context), [flavors.PLAIN.node("somehost")])
    assert (detection.provider, detection.ok) == (flavors.PLAIN.recognised_as, True)


def test_switching_flavor_retires_only_our_own_stale_context(kubeadm_pki, tmp_path, issued_plain):
    user = tmp_path / "config"
    plain = _layout(tmp_path, issued_plain, flavors.PLAIN)
    kubeadm = _layout(tmp_path, kubeadm_pki, flavors.KUBEADM)
    kubeconfigs.merge_into_user_kubeconfig(plain, Network(), user, flavors.PLAIN)
    retired = ((flavors.PLAIN.context, plain.pki / "ca.crt"),)
    kubeconfigs.merge_into_user_kubeconfig(kubeadm, Network(), user, flavors.KUBEADM, retired)
    data = yaml.safe_load(user.read_text())
    assert [c["name"] for c in data["contexts"]] == ["docker-desktop"]
    assert data["current-context"] == "docker-desktop"  # the retired one was current


def test_a_context_of_the_same_name_with_another_ca_is_never_removed(kubeadm_pki, tmp_path, issued_plain):
    """A real Docker Desktop's `docker-desktop` context survives the plain flavor coming up."""
    user = tmp_path / "config"
    user.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "docker-desktop",
        "clusters": [{"name": "docker-desktop", "cluster": {"server": "https://kubernetes.docker.internal:6443",
                                                           "certificate-authority-data": "c29tZW9uZSBlbHNl"}}],
        "contexts": [{"name": "docker-desktop", "context": {"cluster": "docker-desktop", "user": "docker-desktop"}}],
        "users": [{"name": "docker-desktop", "user": {"token": "x"}}],
    }))
    plain = _layout(tmp_path, issued_plain, flavors.PLAIN)
    kubeadm = _layout(tmp_path, kubeadm_pki, flavors.KUBEADM)
    kubeconfigs.merge_into_user_kubeconfig(plain, Network(), user, flavors.PLAIN,
                                           ((flavors.KUBEADM.context, kubeadm.pki / "ca.crt"),))
    data = yaml.safe_load(user.read_text())
    assert [c["name"] for c in data["contexts"]] == ["docker-desktop", flavors.PLAIN.context]
    assert data["current-context"] == "docker-desktop"


@pytest.fixture(scope="module")
def issued_plain(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki-plain")
    pki.ensure_pki(folder, pki.ClusterIdentity("node1", "192.0.2.10", "10.96.0.1"))
    return folder


def test_hosts_entry_is_added_once_and_kept_beside_the_rest(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n# 127.0.0.1 kubernetes.docker.internal (commented out)\n")
    assert host.ensure_hosts_entry("kubernetes.docker.internal", "why", hosts=hosts)
    assert not host.ensure_hosts_entry("kubernetes.docker.internal", "why", hosts=hosts)
    lines = hosts.read_text().splitlines()
    assert lines[0] == "127.0.0.1 localhost"
    assert sum(1 for line in lines if line.startswith("127.0.0.1 kubernetes.docker.internal")) == 1


def test_hosts_entry_adds_loopback_beside_a_line_mapping_the_name_elsewhere(tmp_path):
    # A container maps its host name to its own address; the kubelet is on loopback only.
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n192.0.2.2 node1\n")
    assert host.ensure_hosts_entry("node1", "kubelet", hosts=hosts)
    assert hosts.read_text().splitlines()[1:] == [
        "192.0.2.2 node1", "127.0.0.1 node1  # added by traderadmin (kubelet)"]
    assert not host.ensure_hosts_entry("node1", "kubelet", hosts=hosts)


def test_daemon_config_gains_the_clamp_and_keeps_the_users_settings():
    current = {"log-driver": "local", "runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}}
    merged = dockerruntime.merged_daemon_config(current, Path("/state/bin/traderadmin-runc"))
    assert merged["default-runtime"] == dockerruntime.CLAMP_RUNTIME
    assert merged["runtimes"] == {"nvidia": {"path": "nvidia-container-runtime"},
                                  dockerruntime.CLAMP_RUNTIME: {"path": "/state/bin/traderadmin-runc"}}
    assert merged["log-driver"] == "local"
    assert "default-runtime" not in current  # the caller's dict is not changed


def test_unknown_flavor_names_the_choices():
    with pytest.raises(flavors.FlavorError, match="plain, kubeadm"):
        flavors.get("kind-ish")


def test_each_flavor_keeps_its_own_state_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TRADERADMIN_STATE_DIR", str(tmp_path))
    plain, kubeadm = flavors.layout_for(flavors.PLAIN), flavors.layout_for(flavors.KUBEADM)
    assert plain.state != kubeadm.state and plain.state.parent == kubeadm.state.parent
    assert kubeadm.volumes == Path("/var/lib/k8s-pvs") and plain.volumes == plain.state / "volumes"


def test_auto_picks_the_local_cluster_this_host_was_set_up_with(monkeypatch, tmp_path):
    """After `cluster.up --flavor kubeadm`, auto must still mean "the cluster this host runs"
    (so `invoke up` after a reboot brings it back) rather than a Docker Desktop that is not here."""
    monkeypatch.setenv("TRADERADMIN_STATE_DIR", str(tmp_path))
    (tmp_path / "flavor").write_text("kubeadm\n")
    monkeypatch.setattr(providers, "linux_root_debian", lambda: True)
    monkeypatch.setattr(probes, "list_contexts", lambda kubeconfig=None: ([detect.ContextFacts("docker-desktop")], "docker-desktop"))
    name, why = providers.resolve_provider_name("auto")
    assert name == "local" and "docker-desktop" in why
    assert lifecycle.served_context() == "docker-desktop"
    assert providers.get_provider("auto").flavor is flavors.KUBEADM


def test_flavor_is_refused_for_another_provider(monkeypatch):
    with pytest.raises(providers.ProviderError, match="--flavor is for the local provider"):
        providers.get_provider("docker-desktop", "kubeadm")


def test_the_gate_runs_on_every_flavor_each_expecting_what_it_stands_in_for():
    passes = testrun.gate_passes("auto", ["plain", "kubeadm"], local_possible=True)
    assert [(p.provider, p.expect) for p in passes] == [("local", "local"), ("docker-desktop", "docker-desktop/kubeadm")]
    steps = testrun.steps(Path("/repo"), Path("/repo/reports"), [], passes)
    names = [s.name for s in steps]
    up_plain = names.index("cluster up (plain)")
    up_kubeadm = names.index("cluster up (kubeadm)")
    assert up_plain < up_kubeadm
    gate_kubeadm = steps[up_kubeadm + 1]
    assert "--provider=docker-desktop" in gate_kubeadm.argv and "--expect-cluster=docker-desktop/kubeadm" in gate_kubeadm.argv
    assert gate_kubeadm.env["TRADERADMIN_PROVIDER"] == "docker-desktop"
    assert {"features", "tests/cluster"} <= set(gate_kubeadm.argv)
    # Reports of one pass never overwrite another's.
    junits = [a for s in steps for a in s.argv if a.startswith("--junitxml=")]
    assert len(junits) == len(set(junits)) == 2


def test_elsewhere_the_gate_runs_once_on_the_provider_asked_for():
    passes = testrun.gate_passes("auto", ["plain", "kubeadm"], local_possible=False)
    assert [(p.provider, p.cluster_up) for p in passes] == [("auto", ["--provider=auto"])]
    assert testrun.gate_passes("docker-desktop", ["plain"], local_possible=True)[0].provider == "docker-desktop"


def test_kind_flavor_feeds_its_containerd_node_only_through_the_mirror(tmp_path):
    layout = Layout(tmp_path, volumes_root=flavors.KIND.volumes_dir)
    parts = [c for c in components({**BINARIES, "registry-mirror": Path("/bin/registry-mirror")}, layout, Network(),
                                   "desktop-control-plane", "192.0.2.10", flavors.KIND)]
    names = [c.name for c in parts]
    assert names[0] == "containerd" and names.index("registry-mirror") < names.index("kubelet")
    mirror = parts[names.index("registry-mirror")]
    assert mirror.health.url == f"http://{flavors.MIRROR_ADDRESS}/v2/"
    toml = configfiles.containerd_toml(layout, "traderadmin.local/pause:abc", registry_hosts=True)
    assert f'config_path = "{layout.registry_hosts_dir}"' in toml
    assert "config_path" not in configfiles.containerd_toml(layout, "traderadmin.local/pause:abc")
    hosts = configfiles.registry_hosts_toml("docker.io", flavors.MIRROR_ADDRESS)
    assert 'server = "https://registry-1.docker.io"' in hosts
    assert f'[host."http://{flavors.MIRROR_ADDRESS}"]' in hosts and 'capabilities = ["pull", "resolve"]' in hosts
    assert "server" not in configfiles.registry_hosts_toml("_default", flavors.MIRROR_ADDRESS)


@pytest.mark.parametrize("flavor", list(flavors.FLAVORS.values()), ids=list(flavors.FLAVORS))
def test_storage_classes_are_named_and_bound_like_the_originals(flavor):
    from traderadmin.localcluster import bootstrap

    classes = [o for o in bootstrap.cluster_objects(flavor) if o["kind"] == "StorageClass"]
    defaults = [c["metadata"]["name"] for c in classes
                if c["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"]
    assert all(c["provisioner"] == flavor.provisioner for c in classes)
    expect = {
        "plain": (["hostpath"], "hostpath", "Immediate"),
        "kubeadm": (["hostpath"], "hostpath", "Immediate"),
        "kind": (["standard", "hostpath"], "standard", "WaitForFirstConsumer"),
    }[flavor.name]
    assert ([c["metadata"]["name"] for c in classes], defaults, {c["volumeBindingMode"] for c in classes}) == (
        expect[0], [expect[1]], {expect[2]})


def test_the_provider_code_recognises_the_kind_flavor_as_docker_desktop_kind(monkeypatch, tmp_path):
    monkeypatch.setattr(probes, "list_nodes", lambda context, kubeconfig=None, timeout=10.0: [
        NodeInfo(flavors.KIND.node("somehost"), True, "v1.34.4", "containerd://1.6.20")])
    config = tmp_path / "config"
    config.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "docker-desktop",
                                      "clusters": [{"name": "docker-desktop", "cluster": {"server": "https://x:6443"}}],
                                      "contexts": [{"name": "docker-desktop", "context": {"cluster": "docker-desktop",
                                                                                          "user": "docker-desktop"}}],
                                      "users": [{"name": "docker-desktop", "user": {}}]}))
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.setattr(probes, "docker_info", lambda: {"DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]})
    detection, _ = providers.detect_context("docker-desktop")
    assert (detection.provider, detection.mode, detection.ok) == ("docker-desktop", "kind", True)
    assert flavors.KIND.recognised_as == "docker-desktop/kind"


def test_the_clamp_is_registered_again_when_dockerd_knows_another_copy(monkeypatch, tmp_path):
    """A clamp registered from another state folder (whose copy may be gone) is replaced."""
    wrapper = tmp_path / "built" / "runc-oom-clamp"
    wrapper.parent.mkdir()
    wrapper.write_bytes(b"#!wrapper")
    stable = tmp_path / "state" / "bin" / dockerruntime.CLAMP_RUNTIME
    daemon_json = tmp_path / "daemon.json"
    seen = {"default": dockerruntime.CLAMP_RUNTIME, "path": "/tmp/elsewhere/traderadmin-runc", "hups": 0}
    monkeypatch.setattr(dockerruntime, "DAEMON_JSON", daemon_json)
    monkeypatch.setattr(dockerruntime, "runtimes", lambda: (seen["default"], {dockerruntime.CLAMP_RUNTIME: seen["path"]}))

    def reload():
        seen["hups"] += 1
        seen["path"] = json.loads(daemon_json.read_text())["runtimes"][dockerruntime.CLAMP_RUNTIME]["path"]

    monkeypatch.setattr(dockerruntime, "_reload_dockerd", reload)
    dockerruntime.install_clamp(wrapper, stable, log=lambda m: None)
    assert seen == {"default": dockerruntime.CLAMP_RUNTIME, "path": str(stable), "hups": 1}
    assert stable.read_bytes() == b"#!wrapper"
    dockerruntime.install_clamp(wrapper, stable, log=lambda m: None)
    assert seen["hups"] == 1  # already in place: no second reload


@pytest.mark.parametrize("flavor", list(flavors.FLAVORS.values()), ids=list(flavors.FLAVORS))
def test_a_server_named_like_docker_desktops_is_resolvable_and_certified_on_every_flavor(flavor):
    """kind runs without kubeadm having run first: each flavor that names its API server by
    name (not only the cri-dockerd one) must get the name into /etc/hosts and the certificate."""
    if flavor.looks_like == "docker-desktop":
        assert flavor.server_dns_name == "kubernetes.docker.internal"
    else:
        assert flavor.server_dns_name is None
