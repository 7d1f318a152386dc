"""The Go build modules: what they require, replace and stamp into the binaries."""
from __future__ import annotations

import os
import subprocess

from traderadmin.localcluster import gobuild, versions


def test_kubernetes_module_replaces_every_staging_module_with_the_published_release():
    text = gobuild.kubernetes_go_mod("v1.34.4")
    assert "require k8s.io/kubernetes v1.34.4" in text
    for module in versions.KUBERNETES_STAGING_MODULES:
        assert f"\t{module} => {module} v0.34.4\n" in text


def test_etcd_is_its_own_module():
    text = gobuild.etcd_go_mod("v3.6.16")
    assert "require go.etcd.io/etcd/server/v3 v3.6.16" in text and "k8s.io" not in text


def test_version_ldflags_set_both_version_packages():
    flags = gobuild.kubernetes_ldflags("v1.34.4")
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        assert f"-X {pkg}.gitVersion=v1.34.4" in flags
        assert f"-X {pkg}.gitMinor=34" in flags


def test_build_key_is_stable_and_changes_with_inputs():
    build = gobuild.kubernetes_build()
    assert build.key("go1.26.8") == gobuild.kubernetes_build().key("go1.26.8")
    assert build.key("go1.26.8") != build.key("go1.27.0")
    assert gobuild.kubernetes_build("v1.34.3").key("go1.26.8") != build.key("go1.26.8")


def test_build_outputs_every_component_and_the_helpers():
    packages = [p for p, _ in gobuild.kubernetes_build().targets]
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl"):
        assert f"k8s.io/kubernetes/cmd/{component}" in packages
    helpers = [p for p, _ in gobuild.helpers_build().targets]
    assert helpers == ["./hostpath-provisioner", "./pause", "./runc-oom-clamp"]
    assert gobuild.etcd_build().targets == (("go.etcd.io/etcd/server/v3", "etcd"),)


def test_local_go_sources_ship_with_the_package():
    for rel, src in gobuild.helpers_build().local_packages.items():
        assert (src / "main.go").is_file(), rel


def test_cached_build_is_a_directory_check(tmp_path, monkeypatch):
    build = gobuild.etcd_build()
    monkeypatch.setattr(gobuild, "go_version", lambda: "go1.26.8")
    out = gobuild.bin_dir_for(build, "go1.26.8", tmp_path)
    out.mkdir(parents=True)
    (out / gobuild.COMPLETE_MARKER).write_text("done")
    monkeypatch.setattr(gobuild.subprocess, "Popen", lambda *a, **k: (_ for _ in ()).throw(AssertionError("built")))
    assert gobuild.run_build(build, tmp_path / "build.log", root=tmp_path) == out


def test_staging_version():
    assert versions.staging_version("v1.34.4") == "v0.34.4"


def test_cri_dockerd_module_builds_the_fork_under_the_upstream_path():
    text = gobuild.cri_dockerd_go_mod()
    assert "require github.com/Mirantis/cri-dockerd v0.0.0\n" in text
    # Without the tool line, -mod=mod drops a requirement nothing imports.
    assert "tool github.com/Mirantis/cri-dockerd\n" in text
    assert f"\tgithub.com/Mirantis/cri-dockerd => github.com/k3s-io/cri-dockerd {versions.CRI_DOCKERD_VERSION}\n" in text
    # The fork's own replaces are not inherited: they must all be repeated.
    for module, target in versions.CRI_DOCKERD_REPLACES:
        assert f"\t{module} => {target}\n" in text
    build = gobuild.cri_dockerd_build()
    assert build.targets == (("github.com/Mirantis/cri-dockerd", "cri-dockerd"),)
    assert f"cmd/version.Version={versions.CRI_DOCKERD_VERSION}" in build.ldflags
    assert build.env == {"GONOSUMDB": "github.com/k3s-io/cri-dockerd"}


def test_extra_programs_are_built_only_for_the_flavors_that_list_them():
    from traderadmin.localcluster import flavors

    core = {b.name for b in gobuild.all_builds(())}
    assert {b.name for b in gobuild.all_builds(flavors.PLAIN.extra_builds)} == core
    assert {b.name for b in gobuild.all_builds(flavors.KUBEADM.extra_builds)} - core == {
        f"cri-dockerd-{versions.CRI_DOCKERD_VERSION}"}
    assert {b.name for b in gobuild.all_builds(flavors.KIND.extra_builds)} - core == {
        "registry-mirror", f"dockerd-{versions.DOCKER_VERSION}"}
    # status and down look for every flavor's binaries
    assert len(gobuild.all_builds()) == len(core) + len(gobuild.EXTRA_BUILDS)


def test_the_mirror_is_its_own_module_with_go_containerregistry():
    build = gobuild.mirror_build()
    assert f"require github.com/google/go-containerregistry {versions.GO_CONTAINERREGISTRY_VERSION}" in build.go_mod
    assert "k8s.io" not in build.go_mod
    assert (build.local_packages["registry-mirror"] / "main.go").is_file()


def test_our_go_programs_vet_and_pass_their_own_tests():
    """They are compiled inside their build modules at `cluster.up` (the provisioner needs
    client-go at Kubernetes' pins): their tests run there too, against the same requirements."""
    from traderadmin.system.paths import cache_dir

    for build in (gobuild.helpers_build(), gobuild.mirror_build()):
        module_dir = cache_dir() / "src" / build.module
        gobuild.prepare_module(build, module_dir)
        packages = [f"./{rel}" for rel in build.local_packages]
        env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
        for cmd in (["go", "vet", *packages], ["go", "test", "-count=1", *packages]):
            proc = subprocess.run(cmd, cwd=module_dir, capture_output=True, text=True, env=env, timeout=600)
            assert proc.returncode == 0, f"{build.name}: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"


def test_the_containerd_store_engine_is_built_from_moby_with_its_own_docker_proxy():
    build = gobuild.dockerd_build()
    assert f"require github.com/moby/moby/v2 {versions.MOBY_VERSION}" in build.go_mod
    assert "tool github.com/moby/moby/v2/cmd/dockerd" in build.go_mod
    assert dict((out, pkg) for pkg, out in build.targets) == {
        "dockerd": "github.com/moby/moby/v2/cmd/dockerd", "docker-proxy": "github.com/moby/moby/v2/cmd/docker-proxy"}
    assert f"dockerversion.Version={versions.DOCKER_VERSION}" in build.ldflags
