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
from traderadmin.polling import poll_until
from traderadmin.stack.errors import DeployError
from traderadmin.stack.explain import container_problem, log_tail
from traderadmin.stack.volume import CLAIM, OWNED_ANNOTATION, OWNER_IDS, VOLUME_OWNER, WRITER_UID


def claim_owned(kube: Cluster, namespace: str) -> bool:
    """Whether an earlier deploy gave the claim to the writer; False while there is no claim."""
    claim = kube.claim(namespace, CLAIM)
    return claim is not None and claim.annotation(OWNED_ANNOTATION) == OWNER_IDS


def own_claim(kube: Cluster, namespace: str, pod: dict[str, Any], timeout: float,
              on_wait: Callable[[str], None] = lambda msg: None) -> None:
    """Run the rendered owner `pod` to its end, remove it, and mark the claim as owned.

    A leftover of an interrupted deploy goes first: a pod's spec cannot change.
    """
    name = pod["metadata"]["name"]
    _remove(kube, namespace, name, timeout)
    try:
        kube.create_pod(namespace, pod)
    except KubeForbidden as e:
        raise DeployError(f"the namespace {namespace} refuses the one-shot {VOLUME_OWNER} pod ({e}); it runs as "
                          f"root with CAP_CHOWN, once, to give the config volume to uid {WRITER_UID}. "
                          f"Fix: {manual_fix(namespace)}") from e

    def ended() -> PodDetail | None:
        found = [p for p in kube.pod_details(namespace, VOLUME_OWNER) if p.name == name]
        if found and found[0].phase in ("Succeeded", "Failed"):
            return found[0]
        on_wait(f"{name}: {found[0].phase if found else 'created'}; giving the config volume to uid {WRITER_UID}")
        return None

    def stuck(_last: object) -> DeployError:
        found = [p for p in kube.pod_details(namespace, VOLUME_OWNER) if p.name == name]
        why = next((r for p in found for cs in p.container_statuses
                    if (r := container_problem(kube, namespace, p.name, cs))), "")
        return DeployError(f"the {VOLUME_OWNER} pod did not finish within {timeout:.0f} s"
                           + (f": {why}" if why else "") + f". Fix: {manual_fix(namespace)}")

    try:
        done = poll_until(ended, timeout, interval=0.5, describe=f"the {VOLUME_OWNER} pod to finish",
                          timeout_error=stuck)
        if done.phase == "Failed":
            raise DeployError(f"the {VOLUME_OWNER} pod failed to give the config volume to uid {WRITER_UID}; "
                              f"its last log lines:\n{log_tail(kube, namespace, name, VOLUME_OWNER, previous=False)}\n"
                              f"Fix: {manual_fix(namespace)}")
    finally:
        _remove(kube, namespace, name, timeout)
    kube.annotate_claim(namespace, CLAIM, {OWNED_ANNOTATION: OWNER_IDS})


def manual_fix(namespace: str) -> str:
    """What a person does when the toolkit cannot give the volume to the writer itself."""
    return (f"give the claim's directory to uid {WRITER_UID} (`chown {OWNER_IDS}` it where the volume lives) "
            f"and mark it done: `kubectl -n {namespace} annotate pvc {CLAIM} {OWNED_ANNOTATION}={OWNER_IDS}`")


def _remove(kube: Cluster, namespace: str, name: str, timeout: float) -> None:
    try:
        kube.delete_pod(namespace, name, grace_seconds=0)
    except KubeNotFound:
        pass
    poll_until(lambda: not [p for p in kube.pods(namespace, VOLUME_OWNER) if p.name == name], timeout,
               interval=0.2, describe=f"pod {name} to be gone")
