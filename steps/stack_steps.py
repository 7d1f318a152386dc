"""Steps about the stack as a whole: the cluster, applying deploy/, pods, deploying again."""
from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from traderadmin.kube.errors import KubeForbidden
from traderadmin.stack.status import SERVICE_PORTS, service_pods
from traderadmin.stack.volume import CLAIM, OWNED_ANNOTATION, OWNER_IDS, VOLUME_OWNER
from traderadmin.dockerengine import docker_status

from .gate import Gate, poll


@given("Docker Desktop is running with Kubernetes enabled")
def docker_and_kubernetes(gate: Gate) -> None:
    """A Docker Engine answers and a Kubernetes node is Ready (Docker Desktop, or the local stand-in)."""
    engine = docker_status()
    assert engine.running, f"no Docker Engine answers ({engine.error}): start Docker Desktop, or run `invoke cluster.up`"
    ready = [n.name for n in gate.kube.nodes() if n.ready]
    assert ready, f"no Ready node in the {gate.provider} cluster"
    gate.notes["nodes"] = ready
    found = f"{gate.provider}/{gate.mode}" if gate.mode else gate.provider
    print(f"cluster found: provider {gate.provider}, mode {gate.mode or 'n/a'}, Ready nodes {', '.join(ready)}")
    gate.notes["cluster"] = found
    if gate.expect_cluster:
        assert found == gate.expect_cluster, (
            f"the gate was to run on {gate.expect_cluster}, but the cluster is recognised as {found}")


@when("I apply all manifests in deploy/")
def apply_all(gate: Gate) -> None:
    gate.deploy(rebuild=gate.images is None)


@then("all pods (orchestrator, scanner, etc.) enter Running state")
def all_pods_running(gate: Gate) -> None:
    def running():
        pods = gate.kube.pods(gate.namespace)
        names = {p.app for p in pods}
        ok = pods and all(p.phase == "Running" for p in pods)
        return ok and {"orchestrator", "scanner", "config-writer"} <= names and pods
    pods = poll("every pod Running", running, gate.deadline(60))
    assert all(p.phase == "Running" for p in pods)


@given("orchestrator and scanner are running")
def stack_running(running_stack: Gate) -> None:
    for service in SERVICE_PORTS:
        pods = service_pods(running_stack.kube, running_stack.namespace, service)
        assert pods and all(p.phase == "Running" for p in pods), f"{service} is not running"


@when("I deploy the stack again", target_fixture="again")
def deploy_again(gate: Gate):
    before = _pod_fingerprint(gate)
    report = gate.deploy(rebuild=True)  # the whole path, builds included: unchanged inputs must be no-ops
    return before, report


@then("no object, image or config was changed")
def nothing_changed(again) -> None:
    _, report = again
    changed = [f"{a.kind}/{a.name} {a.action}" for a in report.applied if a.action != "unchanged"]
    assert not changed, f"the second deploy changed: {changed}"
    assert not report.config_written, "the second deploy rewrote the config"
    imported = [d.ref for d in report.deliveries if d.action == "imported"]
    assert not imported, f"the second deploy imported images again: {imported}"
    assert not report.changed


@then("no pod was replaced or restarted")
def no_pod_replaced(gate: Gate, again) -> None:
    before, _ = again
    assert _pod_fingerprint(gate) == before


def _pod_fingerprint(gate: Gate) -> dict[str, int]:
    return {p.uid: sum(cs.restart_count for cs in p.container_statuses) for p in gate.kube.pod_details(gate.namespace)}



@then(parsers.parse('the stack\'s namespace enforces Pod Security "{level}"'))
def namespace_enforces(gate: Gate, level: str) -> None:
    labels = gate.kube.get_json(f"/api/v1/namespaces/{gate.namespace}", "reading the namespace")["metadata"]["labels"]
    assert labels.get("pod-security.kubernetes.io/enforce") == level, labels


@then("a pod that asks for root is refused there")
def root_pod_refused(gate: Gate) -> None:
    root = {"metadata": {"name": "asks-for-root"}, "spec": {"containers": [{
        "name": "c", "image": gate.images["traderadmin/configwriter"], "imagePullPolicy": "IfNotPresent",
        "args": ["stat", "/"], "securityContext": {"runAsUser": 0, "runAsNonRoot": False}}]}}
    try:
        gate.kube.create_pod(gate.namespace, root)
    except KubeForbidden as e:
        assert "PodSecurity" in str(e), e
    else:
        gate.kube.delete_pod(gate.namespace, "asks-for-root", grace_seconds=0)
        raise AssertionError(f"namespace {gate.namespace} admitted a pod running as root")


@then("the config volume was given to the writer once, by a pod that is gone")
def volume_owned_once(gate: Gate) -> None:
    assert gate.kube.claim(gate.namespace, CLAIM).annotation(OWNED_ANNOTATION) == OWNER_IDS
    assert not gate.kube.pods(gate.namespace, VOLUME_OWNER)
