"""Give the config claim to the writer's uid once, with a pod that runs and exits.

Why not an init container of the writer: that would run as root with CAP_CHOWN on
every start of the writer, and the namespace could never enforce Pod Security
`restricted`. This pod (deploy/once/volume-owner.yaml) runs once per claim while
the namespace enforces `baseline`; the claim is then annotated, and every later
deploy goes straight to `restricted` without it.
"""
from __future__ import annotations

from typing import Any, Callable

from traderadmin.kube.errors import KubeForbidden, KubeNotFound
from traderadmin.kube.objects import PodDetail
from traderadmin.kube.protocol import Cluster
from traderadmin.polling import Deadline, poll_until
from traderadmin.stack.errors import DeployError
from traderadmin.stack.explain import claim_hint, container_problem, log_tail
from traderadmin.stack.volume import CLAIM, OWNED_ANNOTATION, OWNER_IDS, VOLUME_OWNER, WRITER_UID


def claim_owned(kube: Cluster, namespace: str) -> bool:
    """Whether an earlier deploy gave the claim to the writer; False while there is no claim."""
    claim = kube.claim(namespace, CLAIM)
    return claim is not None and claim.annotation(OWNED_ANNOTATION) == OWNER_IDS


def own_claim(kube: Cluster, namespace: str, pod: dict[str, Any], timeout: float,
              on_wait: Callable[[str], None] = lambda msg: None) -> None:
    """Run the rendered owner `pod` to its end, remove it, and mark the claim as owned.

    One budget of `timeout` seconds for all of it. A leftover of an interrupted deploy
    goes first (a pod's spec cannot change); this run's pod is deleted whatever its end,
    without waiting, so an error is never replaced by one about the cleanup.
    """
    deadline = Deadline(timeout)
    name = pod["metadata"]["name"]
    _delete(kube, namespace, name)
    poll_until(lambda: _find(kube, namespace, name) is None, deadline, interval=0.2,
               describe=f"the leftover pod {name} to be gone")
    try:
        kube.create_pod(namespace, pod)
    except KubeForbidden as e:
        if "PodSecurity" not in str(e):
            raise  # not allowed to create pods at all: the error says which right is missing
        raise DeployError(f"the namespace {namespace} refuses the one-shot {VOLUME_OWNER} pod ({e}); it runs as "
                          f"root with CAP_CHOWN, once, to give the config volume to uid {WRITER_UID}. "
                          f"Fix: {manual_fix(namespace)}") from e

    def ended() -> PodDetail | None:
        found = _find(kube, namespace, name)
        if found and found.phase in ("Succeeded", "Failed"):
            return found
        on_wait(f"{name}: {found.phase if found else 'created'}; giving the config volume to uid {WRITER_UID}")
        return None

    try:
        done = poll_until(ended, deadline, interval=0.5, describe=f"the {VOLUME_OWNER} pod to finish",
                          timeout_error=lambda _: DeployError(
                              f"the {VOLUME_OWNER} pod did not finish within {timeout:.0f} s: "
                              + _why(kube, namespace, _find(kube, namespace, name))))
        if done.phase == "Failed":
            raise DeployError(f"the {VOLUME_OWNER} pod failed to give the config volume to uid {WRITER_UID}: "
                              + _why(kube, namespace, done))
    finally:
        _delete(kube, namespace, name)
    kube.annotate_claim(namespace, CLAIM, {OWNED_ANNOTATION: OWNER_IDS})


def _why(kube: Cluster, namespace: str, pod: PodDetail | None) -> str:
    """The owner pod's trouble, with the fix that fits it: only a pod whose container ran
    and failed is a reason to give the volume away by hand."""
    if pod is None:
        return "it is gone" + claim_hint(kube, namespace)
    unscheduled = next((c for c in pod.conditions if c.type == "PodScheduled" and c.status == "False"), None)
    if unscheduled is not None:
        return f"not scheduled: {unscheduled.message}" + claim_hint(kube, namespace)
    for cs in pod.container_statuses:
        if problem := container_problem(kube, namespace, pod.name, cs):
            return problem
    ran = any(cs.state and cs.state.terminated for cs in pod.container_statuses)
    if not ran:
        return f"{pod.phase} {pod.reason} {pod.message}".strip() + claim_hint(kube, namespace)
    return (f"{pod.reason + ': ' + pod.message + '; ' if pod.reason else ''}its last log lines:\n"
            f"{log_tail(kube, namespace, pod.name, VOLUME_OWNER, previous=False)}\nFix: {manual_fix(namespace)}")


def manual_fix(namespace: str) -> str:
    """What a person does when the toolkit cannot give the volume to the writer itself."""
    return (f"give the claim's directory to uid {WRITER_UID} (`chown {OWNER_IDS}` it where the volume lives) "
            f"and mark it done: `kubectl -n {namespace} annotate pvc {CLAIM} {OWNED_ANNOTATION}={OWNER_IDS}`")


def _find(kube: Cluster, namespace: str, name: str) -> PodDetail | None:
    return next((p for p in kube.pod_details(namespace, VOLUME_OWNER) if p.name == name), None)


def _delete(kube: Cluster, namespace: str, name: str) -> None:
    try:
        kube.delete_pod(namespace, name, grace_seconds=0)
    except KubeNotFound:
        pass
