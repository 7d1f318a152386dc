"""Local cluster lifecycle decisions that need no cluster: failing components and restarts."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from traderadmin.localcluster import configfiles, flavors, lifecycle
from traderadmin.system import processes
from traderadmin.localcluster.components import Component, Health, components
from traderadmin.localcluster.layout import Layout, Network


def test_a_component_that_dies_stops_up_with_the_tail_of_its_log(tmp_path):
    layout = Layout(tmp_path)
    component = Component(
        "kube-apiserver",
        (sys.executable, "-c", "import sys; print('E1126 open /pki/apiserver.crt: no such file'); sys.exit(1)"),
        health=Health("http://127.0.0.1:9/readyz"),
    )
    pid = processes.start(component.argv, layout.pid(component.name), layout.log(component.name))
    with pytest.raises(lifecycle.ClusterError) as caught:
        lifecycle._wait_healthy(component, pid, layout, timeout=30)
    message = str(caught.value)
    assert "kube-apiserver exited while starting" in message
    assert "open /pki/apiserver.crt: no such file" in message
    assert str(layout.log("kube-apiserver")) in message


def test_a_component_that_hangs_times_out_with_its_log(tmp_path):
    layout = Layout(tmp_path)
    component = Component(
        "etcd", (sys.executable, "-c", "import time; print('waiting for peers', flush=True); time.sleep(30)"),
        health=Health("http://127.0.0.1:9/health"),
    )
    pid = processes.start(component.argv, layout.pid(component.name), layout.log(component.name))
    try:
        with pytest.raises(lifecycle.ClusterError, match="(?s)did not become healthy.*waiting for peers"):
            lifecycle._wait_healthy(component, pid, layout, timeout=2)
    finally:
        processes.stop(layout.pid(component.name), sys.executable)


def test_socket_health_needs_a_listener_not_a_file(tmp_path):
    stale = tmp_path / "containerd.sock"
    stale.write_text("")
    assert not lifecycle._healthy(Component("containerd", ("containerd",), socket=stale))


@pytest.mark.parametrize("flavor", list(flavors.FLAVORS.values()), ids=list(flavors.FLAVORS))
def test_components_start_in_dependency_order(tmp_path, flavor):
    names = [c.name for c in components({n: Path(n) for n in (
        "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
        "hostpath-provisioner", "cri-dockerd", "registry-mirror")}, Layout(tmp_path), Network(), "node1", "192.0.2.10",
        flavor)]
    assert names[0] == flavor.runtime
    assert names.index("etcd") < names.index("kube-apiserver") < names.index("kubelet")
    assert set(names) <= set(lifecycle.STOP_ORDER)
    optional = {"containerd", "cri-dockerd", "registry-mirror"}
    assert set(lifecycle.STOP_ORDER) - set(names) == optional - {flavor.runtime} - (
        {"registry-mirror"} if flavor.image_mirror else set())
    # Down stops the node agents before the control plane they report to.
    assert lifecycle.STOP_ORDER.index("kubelet") < lifecycle.STOP_ORDER.index("kube-apiserver")


def test_apiserver_reaches_kubelets_with_its_own_identity(tmp_path):
    apiserver = next(c for c in components({n: Path(n) for n in (
        "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
        "hostpath-provisioner")}, Layout(tmp_path), Network(), "node1", "192.0.2.10") if c.name == "kube-apiserver")
    flags = " ".join(apiserver.argv)
    assert "--authorization-mode=Node,RBAC" in flags
    assert "apiserver-kubelet-client.crt" in flags
    assert "--advertise-address=192.0.2.10" in flags


def test_every_component_listens_on_loopback_only(tmp_path):
    """No flag or config file leaves a listener on every interface (Docker Desktop's
    components are not reachable from the network either)."""
    layout, network = Layout(tmp_path), Network()
    argv = {c.name: c.argv for c in components({n: Path(n) for n in (
        "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
        "hostpath-provisioner")}, layout, network, "node1", "192.0.2.10")}
    assert "--bind-address=127.0.0.1" in argv["kube-apiserver"]
    # The node IP would reach a kubelet on every interface; its name maps to loopback.
    assert "--kubelet-preferred-address-types=Hostname" in argv["kube-apiserver"]
    for name in ("kube-controller-manager", "kube-scheduler"):
        assert "--bind-address=127.0.0.1" in argv[name]
    kubelet = json.loads(configfiles.kubelet_config(layout, network))
    assert kubelet["address"] == "127.0.0.1" and kubelet["healthzBindAddress"] == "127.0.0.1"
    assert kubelet["readOnlyPort"] == 0
    proxy = json.loads(configfiles.kube_proxy_config(layout, network, "node1"))
    assert all(proxy[k].startswith("127.0.0.1:") for k in ("healthzBindAddress", "metricsBindAddress"))
