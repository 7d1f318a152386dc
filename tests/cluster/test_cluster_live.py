"""The cluster does what the toolkit relies on: a Ready node, pods from local
images, hostpath volumes, and exec / logs / signals / the pod proxy through the API."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from clusterhelpers import PROBE_PORT, claim_body, create, pod_named, probe_pod_body, recognised, run, wait_for
from traderadmin.kube.errors import KubeError

ROOT = Path(__file__).resolve().parents[2]


def test_node_is_ready(kube, provider):
    nodes = kube.nodes()
    assert nodes, "the cluster has no node"
    for node in nodes:
        assert node.ready, node.name
    if provider.name == "local":
        assert nodes[0].kubelet_version.startswith("v1.34.")


def test_pod_runs_a_locally_built_image_with_no_registry(kube, namespace, probe_pod, probe_image, provider):
    pod = pod_named(kube, namespace, probe_pod)
    assert pod and pod.phase == "Running"
    (container,) = pod.container_statuses
    assert container.ready and container.image.endswith(probe_image)
    events = [e for e in kube.events(namespace) if e.name == probe_pod]
    pulled = [e.message for e in events if e.reason == "Pulled"]
    if recognised(provider) == "docker-desktop/kind":
        # The node pulls, as Docker Desktop's kind nodes do, from the mirror of the engine's
        # store (no registry is reachable from here, so a pull that worked came from there),
        # or already holds that tag from an earlier pull: kind nodes keep what they pulled.
        assert any("Successfully pulled" in m or "already present" in m for m in pulled), pulled
    else:
        # The node reads the engine's store (kubeadm) or had it imported (local): no pull at all.
        assert "Pulling" not in {e.reason for e in events}
        assert any("already present" in m for m in pulled), pulled


def test_claim_binds_to_a_root_owned_0755_hostpath_folder_a_non_root_pod_cannot_write(kube, namespace, claim, probe_pod):
    """Docker Desktop's semantics (docker.io/hostpath, kind's local-path): what the stack must cope with."""
    pvc = wait_for(lambda: (c := kube.claim(namespace, claim)) and c.phase == "Bound" and c, 60, "PVC Bound")
    assert pvc.storage_class == "hostpath"
    assert json.loads(run(kube, namespace, probe_pod, "/probe", "stat", "/data")) == {"uid": 0, "gid": 0, "mode": "0755"}
    out = run(kube, namespace, probe_pod, "/probe", "write", "/data/hello.txt", "written through exec")
    assert "permission denied" in out
    assert "no such file" in run(kube, namespace, probe_pod, "/probe", "read", "/data/hello.txt")


def test_exec_through_the_api(kube, namespace, probe_pod):
    assert run(kube, namespace, probe_pod, "/probe", "echo", "hello", "from", "exec").strip() == "hello from exec"


def test_logs_through_the_api(kube, namespace, probe_pod):
    logs = kube.logs(namespace, probe_pod, tail=-1)
    assert f"probe serving on :{PROBE_PORT} as uid 65532" in logs


def test_signal_sent_by_exec_reaches_the_main_process(kube, namespace, probe_pod):
    run(kube, namespace, probe_pod, "/probe", "signal", "USR1", "1")
    wait_for(lambda: "received SIGUSR1" in kube.logs(namespace, probe_pod, tail=-1), 20, "SIGUSR1 logged")


def test_pod_proxy_through_the_api(kube, namespace, probe_pod):
    code, body = kube.proxy_get(namespace, probe_pod, PROBE_PORT, "status")
    status = json.loads(body)
    assert code == 200 and status["host"] == probe_pod and status["uid"] == 65532


def test_service_reaches_the_pod_from_another_pod(kube, namespace, probe_pod):
    create(kube, namespace, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "probe"},
                             "spec": {"selector": {"app": "probe"}, "ports": [{"port": 80, "targetPort": PROBE_PORT}]}})
    ip = kube.service_ip(namespace, "probe")

    def answered():
        try:
            return json.loads(run(kube, namespace, probe_pod, "/probe", "get", f"http://{ip}/status"))
        except (ValueError, KubeError):
            return None

    assert wait_for(answered, 30, f"Service {ip} answers")["host"] == probe_pod


def test_deleting_a_claim_deletes_its_volume(kube, namespace, probe_image):
    create(kube, namespace, claim_body("short-lived", "1Mi"))
    # A consumer, so a WaitForFirstConsumer class (kind's local-path) provisions too.
    kube.create_pod(namespace, probe_pod_body("short-lived-user", probe_image, "short-lived"))
    bound = wait_for(lambda: (c := kube.claim(namespace, "short-lived")) and c.volume and c.phase == "Bound" and c,
                     60, "short-lived PVC Bound")
    kube.delete_pod(namespace, "short-lived-user", grace_seconds=0)
    kube.delete("v1", "PersistentVolumeClaim", namespace, "short-lived")
    wait_for(lambda: not kube.volume_exists(bound.volume), 90, f"PersistentVolume {bound.volume} deleted")


def test_cluster_up_is_fast_when_already_running(provider):
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "invoke", "cluster.up", f"--provider={provider.name}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert elapsed < 20, f"cluster.up took {elapsed:.1f}s with everything running"


def test_status_json_reports_every_component(provider):
    proc = subprocess.run(
        [sys.executable, "-m", "invoke", "cluster.status", f"--provider={provider.name}", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["node_ready"] and status["context"] == provider.context
    if provider.name == "local":
        names = {c["name"] for c in status["extra"]["components"]}
        assert {"etcd", "kube-apiserver", "kubelet", "containerd", "hostpath-provisioner"} <= names
        assert all(c["healthy"] for c in status["extra"]["components"])


def test_status_json_names_the_cluster_as_it_is_recognised(provider):
    """What a user's `invoke cluster.status --json` says, with no flag: the provider and mode
    the cluster is recognised as (on each local flavor: the cluster it stands in for)."""
    proc = subprocess.run([sys.executable, "-m", "invoke", "cluster.status", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    found = f"{status['provider']}/{status['mode']}" if status["mode"] else status["provider"]
    assert found == recognised(provider)
    expected = os.environ.get("TRADERADMIN_EXPECT_CLUSTER")
    if expected:
        assert found == expected, f"`invoke cluster.status --json` reports {found}, the run expects {expected}"
