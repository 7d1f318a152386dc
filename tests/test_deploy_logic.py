"""Rollout judgement, the reasons given while waiting, applying and status, against a fake cluster."""
import pytest

from tests.fake_kube import FakeKube, deployment, init_container, pod
from traderadmin.kube.errors import KubeError
from traderadmin.kube.objects import Condition
from traderadmin.stack import apply, explain, rollout, status, volume
from traderadmin.stack.errors import DeployError


@pytest.mark.parametrize("d,done,words", [
    (deployment(), True, ""),
    (deployment(generation=3, observed=2), False, "not seen the new spec"),
    (deployment(updated=0), False, "0 of 1 pods updated"),
    (deployment(total=2), False, "old pod(s) still terminating"),
    (deployment(available=0), False, "not ready yet"),
])
def test_rollout_is_done_only_when_complete(d, done, words):
    kube = FakeKube()
    kube.deployment_objects["scanner"] = d
    state = rollout._deployment_state(kube, "ns", "scanner")
    assert state.done is done and words in state.reason


@pytest.mark.parametrize("p,words", [
    (pod("o-1", "orchestrator", "Pending", waiting="ImagePullBackOff"), "cannot be pulled"),
    (pod("o-1", "orchestrator", "Pending", waiting="ErrImageNeverPull"), "containerd"),
    (pod("o-1", "orchestrator", "Running", waiting="CrashLoopBackOff", restarts=4), "Traceback: boom"),
    (pod("o-1", "orchestrator", "Pending", scheduled=False), "not bound"),
])
def test_explain_names_the_cause_and_the_fix(p, words):
    kube = FakeKube()
    kube.pod_objects = [p]
    kube.logs_by_pod["o-1"] = "Traceback: boom"
    kube.volume["pvc_phase"] = "Pending"
    assert words in explain.explain(kube, "ns", "orchestrator")


def test_an_image_from_a_registry_that_cannot_be_pulled_blames_the_registry_not_loading():
    kube = FakeKube()
    kube.pod_objects = [pod("o-1", "orchestrator", "Pending", waiting="ErrImagePull", message="401 Unauthorized",
                            image="registry.example.com/t/traderadmin/orchestrator:t")]
    said = explain.explain(kube, "ns", "orchestrator")
    assert "401 Unauthorized" in said and "must reach that registry" in said and "no registry is used" not in said


def test_explain_shows_why_a_running_service_is_not_ready():
    kube = FakeKube()
    kube.pod_objects = [pod("s-1", "scanner", ready=False)]
    kube.readyz["s-1"] = (503, '{"ready": false, "error": "config file missing"}')
    assert "config file missing" in explain.explain(kube, "ns", "scanner")


@pytest.mark.parametrize("said,words,blames_the_volume", [
    ("config folder /config is not writable: permission denied",
     ["w-1", "/config", "not writable by the writer (uid 65532)", "Docker Desktop's hostpath",
      "the claim is marked as given to it", "permission denied",
      "kubectl -n ns annotate pvc trader-config traderadmin.local/volume-owner-", "then `invoke deploy`"], True),
    ("listener not up yet", ["w-1: running but not ready", "listener not up yet"], False),
])
def test_explain_reads_the_writers_readiness(said, words, blames_the_volume):
    kube = FakeKube()
    kube.pod_objects = [pod("w-1", "config-writer", ready=False)]
    kube.readyz["w-1"] = (503, f'{{"ready": false, "error": "{said}"}}')
    asked = []
    answer = kube.proxy_get
    kube.proxy_get = lambda ns, name, port, path, timeout=5: (
        asked.append((name, port, path)) or answer(ns, name, port, path))
    reason = explain.explain(kube, "ns", "config-writer")
    assert asked == [("w-1", volume.WRITER_PORT, "readyz")]
    for w in words:
        assert w in reason
    assert ("volume-owner" in reason) is blames_the_volume


@pytest.mark.parametrize("status,previous", [
    (init_container("migrate", exit_code=1), False),
    (init_container("migrate", exit_code=1, waiting="CrashLoopBackOff", restarts=3), True),
])
def test_explain_names_a_failed_init_container_its_exit_code_log_and_fix(status, previous):
    kube = FakeKube()
    kube.pod_objects = [pod("w-1", "config-writer", "Pending", waiting="PodInitializing", ready=False, init=[status])]
    kube.logs_by_pod["w-1"] = "migrate: cannot open /config: operation not permitted"
    reason = explain.explain(kube, "ns", "config-writer")
    for words in ["w-1: init container migrate failed (exit code 1", "operation not permitted",
                  f"`kubectl -n ns logs w-1 -c migrate{' --previous' if previous else ''}` shows all of it"]:
        assert words in reason
    assert kube.logs_read == [("w-1", "migrate", previous)], "the failed instance's log, of the init container"


@pytest.mark.parametrize("status,words", [
    (init_container("migrate", exit_code=2), "`kubectl -n ns logs w-1 -c migrate` shows all of it"),
    (init_container("volume-owner", running=True), "waiting for init container volume-owner to finish"),
    (init_container("volume-owner", waiting="ErrImageNeverPull"), "not in the cluster's image store"),
    (init_container("volume-owner", exit_code=0), "pending (creating containers)"),
])
def test_explain_follows_init_containers(status, words):
    kube = FakeKube()
    kube.pod_objects = [pod("w-1", "config-writer", "Pending", waiting="PodInitializing", ready=False, init=[status])]
    assert words in explain.explain(kube, "ns", "config-writer")


def test_an_unreadable_log_does_not_hide_the_failed_init_container():
    kube = FakeKube()
    kube.pod_objects = [pod("w-1", "config-writer", "Pending", ready=False, init=[init_container("volume-owner", exit_code=1)])]

    def gone(*args, **kwargs):
        raise KubeError("container volume-owner not found")

    kube.logs = gone
    reason = explain.explain(kube, "ns", "config-writer")
    assert "init container volume-owner failed" in reason and "could not be read" in reason


def test_wait_gives_up_with_every_stuck_reason():
    kube = FakeKube()
    kube.deployment_objects["scanner"] = deployment(available=0)
    kube.pod_objects = [pod("s-1", "scanner", "Pending", waiting="ErrImageNeverPull")]
    with pytest.raises(DeployError, match="ErrImageNeverPull"):
        rollout.wait_rollouts(kube, "ns", ["scanner"], timeout=0)


def test_put_config_goes_through_the_writer_and_reports_a_no_op():
    kube = FakeKube()
    kube.pod_objects = [pod("w-1", "config-writer")]
    assert volume.put_config(kube, "ns", b"a = 1\n", "abc") is True
    assert volume.put_config(kube, "ns", b"a = 1\n", "abc") is False
    (pod_name, argv), _ = kube.execs
    assert pod_name == "w-1" and argv[:4] == ["/configwriter", "put", "/config/config.toml", "abc"]


def test_no_writer_pod_is_a_clear_error():
    with pytest.raises(DeployError, match="invoke deploy"):
        volume.put_config(FakeKube(), "ns", b"", "x")


def test_a_failing_look_does_not_end_the_wait():
    kube = FakeKube()
    kube.pod_objects = [pod("s-1", "scanner", ready=False)]

    def gone(*args, **kwargs):
        raise KubeError("pod s-1 not found")

    kube.proxy_get = gone
    assert "could not tell why" in explain.explain(kube, "ns", "scanner")


def test_a_live_deployment_is_moved_to_the_new_strategy_before_apply():
    """Server-side apply alone cannot turn RollingUpdate into Recreate (the defaulted rollingUpdate stays)."""
    kube = FakeKube()
    kube.deployment_objects["scanner"] = deployment(strategy="RollingUpdate")
    obj = {"metadata": {"name": "scanner", "namespace": "ns"}, "spec": {"strategy": {"type": "Recreate"}}}
    apply._switch_strategy(kube, obj)
    assert kube.patches == [("scanner", {"spec": {"strategy": {"type": "Recreate", "rollingUpdate": None}}})]
    kube.deployment_objects["scanner"] = deployment(strategy="Recreate")
    apply._switch_strategy(kube, obj)
    assert len(kube.patches) == 1, "an unchanged strategy needs no patch"


def _obj(kind: str, name: str, data: str = "") -> dict:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "ns"}, "data": {"x": data}}


def test_apply_reports_created_configured_and_unchanged_and_prune_removes_leftovers():
    kube = FakeKube()
    first = apply.apply(kube, [_obj("ConfigMap", "a"), _obj("Service", "s")])
    assert [a.action for a in first] == ["created", "created"]
    again = apply.apply(kube, [_obj("ConfigMap", "a", "changed"), _obj("Service", "s")])
    assert [a.action for a in again] == ["configured", "unchanged"]
    pruned = apply.prune(kube, "ns", [_obj("ConfigMap", "a")])
    assert [(p.kind, p.name, p.action) for p in pruned] == [("Service", "s", "pruned")]
    assert kube.deleted == ["Service/s"]


def test_remove_keeps_the_volume_and_namespace_unless_purged():
    kube = FakeKube()
    apply.apply(kube, [_obj("ConfigMap", "a")])
    assert apply.remove(kube, "ns") == ["ConfigMap/a"]
    assert apply.remove(kube, "ns", purge=True) == ["Namespace/ns"]


def test_deploy_waits_for_a_namespace_being_deleted():
    waited = []
    kube = FakeKube()
    kube.namespace_phases = ["Terminating", "Terminating"]
    rollout.wait_namespace_usable(kube, "ns", timeout=10, on_wait=waited.append)
    assert len(waited) == 2 and "being deleted" in waited[0]


def test_a_namespace_that_never_goes_away_is_a_clear_error():
    kube = FakeKube()
    kube.namespace_phases = ["Terminating"] * 3
    with pytest.raises(DeployError, match="still being deleted"):
        rollout.wait_namespace_usable(kube, "ns", timeout=0)


def test_status_is_healthy_only_when_every_service_runs_the_local_config():
    stack = status.StackStatus("ns", local_sha256="new", pods=[
        status.PodStatus("config-writer", "w-1", "Running", True, 0),
        status.PodStatus("orchestrator", "o-1", "Running", True, 0, {"config_sha256": "new", "last_error": None}),
        status.PodStatus("scanner", "s-1", "Running", True, 1, {"config_sha256": "old", "last_error": "x: bad"}),
    ])
    rows = {r["pod"]: r for r in stack.rows()}
    assert rows["w-1"]["matches_local"] is None
    assert rows["o-1"]["matches_local"] is True
    assert rows["s-1"]["matches_local"] is False and rows["s-1"]["last_error"] == "x: bad"
    assert not stack.healthy
    stack.pods[2].service_status = {"config_sha256": "new", "last_error": None}
    assert stack.healthy
    assert not status.StackStatus("ns").healthy, "no pods is no stack"


@pytest.mark.parametrize("violation,fix", [
    ('violates PodSecurity "restricted:latest": runAsNonRoot != true (pod or container "x" must set '
     'securityContext.runAsNonRoot=true)',
     "`invoke deploy` sets it on every run): make the pod meet it in deploy/"),
    ('violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)',
     "which `invoke deploy --host-network` sets"),
])
def test_a_deployment_that_admission_refuses_is_explained_with_the_namespace_fix(violation, fix):
    kube = FakeKube()
    refused = Condition("ReplicaFailure", "True", "FailedCreate", f'pods "scanner-abc" is forbidden: {violation}')
    kube.deployment_objects["scanner"] = deployment(ready=0, available=0, updated=0, total=0, conditions=[refused])
    reason = explain.explain(kube, "trading", "scanner")
    assert reason.startswith("scanner: no pod can be created, the namespace's PodSecurity policy refuses it")
    assert violation in reason and fix in reason
    assert "kubectl label" not in reason, "deploy sets the level on every run: a label would not last"


def test_no_pods_and_no_failure_says_nothing_yet():
    kube = FakeKube()
    kube.deployment_objects["scanner"] = deployment(ready=0, available=0, updated=0, total=0)
    assert explain.explain(kube, "trading", "scanner") == ""
