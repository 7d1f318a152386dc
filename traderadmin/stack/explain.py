"""Why a deployment's pods are not ready, said in one paragraph with its fix.

The reason a person would dig out with kubectl: an image that cannot be pulled,
a crash loop or a failed init container and its last log lines, a claim that
does not bind, a pod that admission refuses, a failing readiness check, a config
volume the writer cannot write.
"""
from __future__ import annotations

import json

from traderadmin.kube.errors import KubeError
from traderadmin.kube.objects import ContainerStatus
from traderadmin.kube.protocol import Cluster
from traderadmin.stack.status import SERVICE_PORTS
from traderadmin.stack.volume import CLAIM, CONFIG_DIR, OWNED_ANNOTATION, VOLUME_OWNER, WRITER, WRITER_PORT, WRITER_UID


def explain(kube: Cluster, namespace: str, deployment: str) -> str:
    """The most telling reason the deployment's pods are not ready, with the fix."""
    try:
        return _explain(kube, namespace, deployment)
    except KubeError as e:  # a pod going away mid-look must not end the wait
        return f"could not tell why: {e}"


def _explain(kube: Cluster, namespace: str, deployment: str) -> str:
    port = WRITER_PORT if deployment == WRITER else SERVICE_PORTS.get(deployment)
    pods = kube.pod_details(namespace, deployment)
    if not pods:
        return _no_pods(kube, namespace, deployment)
    for pod in pods:
        name = pod.name
        # Init containers first: until they finish, the others only wait (PodInitializing).
        for cs in pod.init_container_statuses:
            if reason := _init_problem(kube, namespace, name, cs):
                return reason
        for cs in pod.container_statuses:
            if reason := container_problem(kube, namespace, name, cs):
                return reason
        if pod.phase == "Pending":
            for cond in pod.conditions:
                if cond.type == "PodScheduled" and cond.status == "False":
                    return f"{name}: not scheduled: {cond.message}" + claim_hint(kube, namespace)
            return f"{name}: pending (creating containers)"
        if pod.phase == "Running" and port:
            if reason := _not_ready(kube, namespace, name, deployment, port):
                return reason
    return ""


def _no_pods(kube: Cluster, namespace: str, deployment: str) -> str:
    """Why a deployment has no pod at all: its ReplicaSet could not create one (admission refused it)."""
    conditions = kube.deployment(namespace, deployment).conditions
    failure = next((c for c in conditions if c.type == "ReplicaFailure" and c.status == "True"), None)
    if failure is None:
        return ""
    message = (failure.message or "").strip()[:400]
    if "PodSecurity" in message:
        # `invoke deploy` sets the namespace's level on every run, so a `kubectl label` would not last.
        fix = ("host networking needs the namespace to enforce `privileged`, which `invoke deploy --host-network` "
               "sets" if "host namespaces" in message else
               "the stack's namespace enforces `restricted` (`invoke deploy` sets it on every run): make the pod "
               "meet it in deploy/ (runAsNonRoot, no added capabilities, capabilities.drop [ALL], "
               "allowPrivilegeEscalation false, seccompProfile RuntimeDefault)")
        return f"{deployment}: no pod can be created, the namespace's PodSecurity policy refuses it ({message}); fix: {fix}"
    return f"{deployment}: no pod can be created ({failure.reason}: {message})"


def container_problem(kube: Cluster, namespace: str, pod: str, cs: ContainerStatus) -> str:
    from traderadmin.images.registry import pulled_from_registry

    waiting = cs.state.waiting if cs.state else None
    if waiting and waiting.reason in ("ErrImagePull", "ImagePullBackOff") and pulled_from_registry(cs.image):
        return (f"{pod}: image {cs.image} cannot be pulled ({waiting.reason}: {(waiting.message or '')[:300]}); "
                "the cluster's nodes must reach that registry and be allowed to pull from it "
                "(a private one needs an imagePullSecret the pods can use)")
    if waiting and waiting.reason in ("ErrImagePull", "ImagePullBackOff"):
        return (f"{pod}: image {cs.image} cannot be pulled ({waiting.reason}); no registry is used: "
                "the image must be loaded into the cluster — run `invoke deploy` (it loads them) "
                "or, on Docker Desktop's kind mode, turn on the containerd image store")
    if waiting and waiting.reason == "ErrImageNeverPull":
        return (f"{pod}: image {cs.image} is not in the cluster's image store (ErrImageNeverPull); "
                "on Docker Desktop's kind mode turn on 'Use containerd for pulling and storing images'")
    if waiting and waiting.reason == "CrashLoopBackOff":
        tail = log_tail(kube, namespace, pod, cs.name, previous=True)
        return f"{pod}: crashing (CrashLoopBackOff, {cs.restart_count} restarts); last log lines:\n{tail}"
    if waiting and waiting.reason and waiting.reason not in ("ContainerCreating", "PodInitializing"):
        return f"{pod}: {waiting.reason}: {waiting.message or ''}".strip()
    return ""


def _init_problem(kube: Cluster, namespace: str, pod: str, cs: ContainerStatus) -> str:
    """Why init container `cs` holds the pod back: it failed, it is still at work, or it cannot start."""
    state = cs.state
    if state and state.terminated and state.terminated.exit_code != 0:
        return _init_failed(kube, namespace, pod, cs, state.terminated.exit_code, previous=False)
    if state and state.waiting and state.waiting.reason in ("CrashLoopBackOff", "Error"):
        last = cs.last_state.terminated if cs.last_state else None
        return _init_failed(kube, namespace, pod, cs, last.exit_code if last else None, previous=True)
    if state and state.running:
        return f"{pod}: waiting for init container {cs.name} to finish"
    return container_problem(kube, namespace, pod, cs)


def _init_failed(kube: Cluster, namespace: str, pod: str, cs: ContainerStatus, exit_code: int | None, previous: bool) -> str:
    code = f"exit code {exit_code}" if exit_code is not None else "exit code unknown"
    fix = (f"the cause is in its log below; `kubectl -n {namespace} logs {pod} -c {cs.name}"
           f"{' --previous' if previous else ''}` shows all of it")
    tail = log_tail(kube, namespace, pod, cs.name, previous=previous)
    return (f"{pod}: init container {cs.name} failed ({code}, {cs.restart_count} restarts), so the pod's "
            f"containers never start; fix: {fix}; last log lines:\n{tail}")


def _not_ready(kube: Cluster, namespace: str, pod: str, deployment: str, port: int) -> str:
    status, body = kube.proxy_get(namespace, pod, port, "readyz")
    if status == 200:
        return ""
    if deployment == WRITER and "not writable" in body:
        return (f"{pod}: the config volume at {CONFIG_DIR} is not writable by the writer (uid {WRITER_UID}): "
                "the claim's directory is owned by another user (as on Docker Desktop's hostpath and kind's "
                f"local-path volumes) although the claim is marked as given to it "
                f"(/readyz: {_readyz_error(body)}); fix: {_volume_fix(namespace)}")
    return f"{pod}: running but not ready: {body.strip()[:300]}"


def _readyz_error(body: str) -> str:
    try:
        return str(json.loads(body)["error"])[:300]
    except (ValueError, KeyError, TypeError):
        return body.strip()[:300]


def _volume_fix(namespace: str) -> str:
    return (f"remove the mark so that the next deploy runs the one-shot {VOLUME_OWNER} pod again: "
            f"`kubectl -n {namespace} annotate pvc {CLAIM} {OWNED_ANNOTATION}-`, then `invoke deploy`")


def log_tail(kube: Cluster, namespace: str, pod: str, container: str, previous: bool) -> str:
    # The log is a bonus: failing to read it must not hide the reason already found.
    try:
        return kube.logs(namespace, pod, container, tail=5, previous=previous).strip()
    except KubeError as e:
        return f"(its log could not be read: {e})"


def claim_hint(kube: Cluster, namespace: str) -> str:
    """'; the claim … is not bound …' when it is not, else nothing."""
    claim = kube.claim(namespace, CLAIM)
    if claim is None or claim.phase != "Bound":
        return (f"; the claim {CLAIM} is not bound: the cluster needs a default StorageClass "
                "(Docker Desktop and `invoke cluster.up` provide one named hostpath)")
    return ""
