"""Apply deploy/ with server-side apply, prune what left it, and wait until it all runs.

Waiting explains itself: when a rollout does not finish, the reason a person
would dig out with kubectl (an image that cannot be pulled, a crash loop or a
failed init container and its last log lines, a claim that does not bind, a
failing readiness check, a config volume the writer cannot write) is said in
one paragraph with its fix.
"""
from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from traderadmin.errors import ToolkitError

from . import manifests
from .kube import Kube, KubeError, api_error
from .kubeapi import ClusterApi, Pod

FIELD_MANAGER = "traderadmin"
WRITER = "config-writer"
CONFIG_DIR = "/config"
CONFIG_NAME = "config.toml"
SERVICE_PORTS = {"orchestrator": 8080, "scanner": 8081}
# As deploy/30-config-writer.yaml has them: the writer's /readyz port, its uid, and the
# init container that gives it the volume where fsGroup is ignored (hostPath volumes).
WRITER_PORT = 8082
WRITER_UID = 65532
VOLUME_OWNER = "volume-owner"
# Kinds `deploy/` may hold, so pruning knows where to look for leftovers. Claims are
# never pruned: the config volume goes only with `invoke down --purge`.
PRUNABLE = [("v1", "Service"), ("v1", "ServiceAccount"), ("v1", "ConfigMap"), ("apps/v1", "Deployment"),
            ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding")]
CLAIMS = ("v1", "PersistentVolumeClaim")


class DeployError(ToolkitError):
    """The stack could not be deployed; the message says why and what to do."""


@dataclass
class Applied:
    kind: str
    name: str
    action: str  # created | configured | unchanged | pruned


@dataclass
class WaitState:
    """One Deployment's rollout as last seen, with the reason it is not done yet."""

    name: str
    done: bool
    ready: str
    reason: str = ""


@dataclass
class PodStatus:
    deployment: str
    pod: str
    phase: str
    ready: bool
    restarts: int
    service_status: dict[str, Any] | None = None
    error: str = ""


@dataclass
class StackStatus:
    namespace: str
    pods: list[PodStatus] = field(default_factory=list)
    local_sha256: str | None = None

    def rows(self) -> list[dict[str, Any]]:
        """One row per pod: what `invoke status` shows and `--json` prints."""
        out = []
        for p in self.pods:
            s = p.service_status or {}
            digest = s.get("config_sha256")
            out.append({"service": p.deployment, "pod": p.pod, "phase": p.phase, "ready": p.ready,
                        "restarts": p.restarts, "config_sha256": digest,
                        "matches_local": (digest == self.local_sha256) if p.deployment in SERVICE_PORTS else None,
                        "last_error": s.get("last_error") or p.error or None})
        return out

    @property
    def healthy(self) -> bool:
        """Every pod ready, and every service on the local config."""
        rows = self.rows()
        return bool(rows) and all(r["ready"] and r["matches_local"] is not False for r in rows)


def wait_namespace_usable(kube: Kube, namespace: str, timeout: float,
                          on_wait: Callable[[str], None] = lambda msg: None) -> None:
    """Wait out the deletion of `namespace` (after `down --purge`): nothing can be created in it meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            phase = kube.core.read_namespace(namespace).status.phase
        except Exception as e:
            from kubernetes.client.exceptions import ApiException

            if isinstance(e, ApiException) and e.status == 404:
                return
            raise api_error(e, f"reading namespace {namespace}") from e
        if phase != "Terminating":
            return
        if time.monotonic() > deadline:
            raise DeployError(f"namespace {namespace} is still being deleted after {timeout:.0f} s; "
                              f"see `kubectl get namespace {namespace} -o yaml` for what holds it")
        on_wait(f"namespace {namespace} is being deleted; waiting before deploying into it")
        time.sleep(1)


def apply(kube: Kube, objs: list[dict[str, Any]]) -> list[Applied]:
    """Server-side apply every object under one field manager; report what changed."""
    results = []
    for obj in objs:
        api_version, kind, name = manifests.key(obj)
        ns = obj["metadata"].get("namespace")
        resource = kube.dynamic.resources.get(api_version=api_version, kind=kind)
        try:
            before = resource.get(name=name, namespace=ns).metadata.resourceVersion
        except Exception as e:
            from kubernetes.dynamic.exceptions import NotFoundError

            if not isinstance(e, NotFoundError):
                raise api_error(e, f"reading {kind} {name}") from e
            before = None
        if before is not None and kind == "Deployment":
            _switch_strategy(kube, obj)
        try:
            after = resource.server_side_apply(body=obj, name=name, namespace=ns,
                                               field_manager=FIELD_MANAGER, force_conflicts=True)
        except Exception as e:
            raise api_error(e, f"applying {kind} {name}") from e
        action = "created" if before is None else (
            "unchanged" if after.metadata.resourceVersion == before else "configured")
        results.append(Applied(kind, name, action))
    return results


def _switch_strategy(kube: Kube, obj: dict[str, Any]) -> None:
    """Move a live Deployment to the manifest's rollout strategy type first.

    The API server defaults `rollingUpdate` on a RollingUpdate Deployment and no
    field manager owns it, so a server-side apply of `type: Recreate` alone is
    refused; clearing it needs a patch that names it.
    """
    want = obj.get("spec", {}).get("strategy", {}).get("type")
    name, ns = obj["metadata"]["name"], obj["metadata"]["namespace"]
    live = kube.apps.read_namespaced_deployment(name, ns)
    if want and live.spec.strategy.type != want:
        patch = {"spec": {"strategy": {"type": want, "rollingUpdate": None}}}
        kube.apps.patch_namespaced_deployment(name, ns, patch)


def prune(kube: Kube, namespace: str, objs: list[dict[str, Any]]) -> list[Applied]:
    """Delete objects we applied earlier (by label) that are no longer in deploy/."""
    wanted = {(o["kind"], o["metadata"]["name"]) for o in objs}
    selector = f"{manifests.MANAGED_BY}={manifests.TOOL}"
    pruned = []
    for api_version, kind in PRUNABLE:
        resource = kube.dynamic.resources.get(api_version=api_version, kind=kind)
        try:
            items = resource.get(namespace=namespace, label_selector=selector).items
        except Exception as e:
            raise api_error(e, f"listing {kind}s to prune") from e
        for item in items:
            if (kind, item.metadata.name) not in wanted:
                resource.delete(name=item.metadata.name, namespace=namespace)
                pruned.append(Applied(kind, item.metadata.name, "pruned"))
    return pruned


def _deployment_state(kube: Kube, namespace: str, name: str) -> WaitState:
    d = kube.apps.read_namespaced_deployment(name, namespace)
    want = d.spec.replicas or 0
    s = d.status
    ready = f"{s.ready_replicas or 0}/{want}"
    if (s.observed_generation or 0) < (d.metadata.generation or 0):
        return WaitState(name, False, ready, "the controller has not seen the new spec yet")
    if (s.updated_replicas or 0) < want:
        return WaitState(name, False, ready, f"{s.updated_replicas or 0} of {want} pods updated")
    if (s.replicas or 0) > (s.updated_replicas or 0):
        return WaitState(name, False, ready, f"{(s.replicas or 0) - (s.updated_replicas or 0)} old pod(s) still terminating")
    if (s.available_replicas or 0) < want:
        return WaitState(name, False, ready, "pods are not ready yet")
    return WaitState(name, True, ready)


def _pods(kube: Kube, namespace: str, deployment: str) -> list[Any]:
    return kube.core.list_namespaced_pod(namespace, label_selector=f"app.kubernetes.io/name={deployment}").items


def explain(kube: Kube, namespace: str, deployment: str) -> str:
    """The most telling reason the deployment's pods are not ready, with the fix."""
    try:
        return _explain(kube, namespace, deployment)
    except KubeError as e:  # a pod going away mid-look must not end the wait
        return f"could not tell why: {e}"


def _explain(kube: Kube, namespace: str, deployment: str) -> str:
    port = WRITER_PORT if deployment == WRITER else SERVICE_PORTS.get(deployment)
    pods = _pods(kube, namespace, deployment)
    if not pods:
        return _no_pods(kube, namespace, deployment)
    for pod in pods:
        name = pod.metadata.name
        # Init containers first: until they finish, the others only wait (PodInitializing).
        for cs in pod.status.init_container_statuses or []:
            if reason := _init_problem(kube, namespace, name, cs):
                return reason
        for cs in pod.status.container_statuses or []:
            if reason := _container_problem(kube, namespace, name, cs):
                return reason
        if pod.status.phase == "Pending":
            for cond in pod.status.conditions or []:
                if cond.type == "PodScheduled" and cond.status == "False":
                    return f"{name}: not scheduled: {cond.message}" + _pvc_hint(kube, namespace)
            return f"{name}: pending (creating containers)"
        if pod.status.phase == "Running" and port:
            if reason := _not_ready(kube, namespace, name, deployment, port):
                return reason
    return ""


def _no_pods(kube: Kube, namespace: str, deployment: str) -> str:
    """Why a deployment has no pod at all: its ReplicaSet could not create one (admission refused it)."""
    conditions = kube.apps.read_namespaced_deployment(deployment, namespace).status.conditions or []
    failure = next((c for c in conditions if c.type == "ReplicaFailure" and c.status == "True"), None)
    if failure is None:
        return ""
    message = (failure.message or "").strip()[:400]
    if "PodSecurity" in message:
        fix = (_volume_fix(namespace) if deployment == WRITER else
               f"`kubectl label namespace {namespace} pod-security.kubernetes.io/enforce=baseline --overwrite`")
        return f"{deployment}: no pod can be created, the namespace's PodSecurity policy refuses it ({message}); fix: {fix}"
    return f"{deployment}: no pod can be created ({failure.reason}: {message})"


def _container_problem(kube: Kube, namespace: str, pod: str, cs: Any) -> str:
    from .images.registry import pulled_from_registry

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
        tail = _tail(kube, namespace, pod, cs.name, previous=True)
        return f"{pod}: crashing (CrashLoopBackOff, {cs.restart_count} restarts); last log lines:\n{tail}"
    if waiting and waiting.reason and waiting.reason not in ("ContainerCreating", "PodInitializing"):
        return f"{pod}: {waiting.reason}: {waiting.message or ''}".strip()
    return ""


def _init_problem(kube: Kube, namespace: str, pod: str, cs: Any) -> str:
    """Why init container `cs` holds the pod back: it failed, it is still at work, or it cannot start."""
    state = cs.state
    if state and state.terminated and state.terminated.exit_code != 0:
        return _init_failed(kube, namespace, pod, cs, state.terminated.exit_code, previous=False)
    if state and state.waiting and state.waiting.reason in ("CrashLoopBackOff", "Error"):
        last = cs.last_state.terminated if cs.last_state else None
        return _init_failed(kube, namespace, pod, cs, last.exit_code if last else None, previous=True)
    if state and state.running:
        return f"{pod}: waiting for init container {cs.name} to finish"
    return _container_problem(kube, namespace, pod, cs)


def _init_failed(kube: Kube, namespace: str, pod: str, cs: Any, exit_code: int | None, previous: bool) -> str:
    code = f"exit code {exit_code}" if exit_code is not None else "exit code unknown"
    if cs.name == VOLUME_OWNER:
        fix = f"the cause is in its log below; usually: {_volume_fix(namespace)}"
    else:
        fix = (f"the cause is in its log below; `kubectl -n {namespace} logs {pod} -c {cs.name}"
               f"{' --previous' if previous else ''}` shows all of it")
    tail = _tail(kube, namespace, pod, cs.name, previous=previous)
    return (f"{pod}: init container {cs.name} failed ({code}, {cs.restart_count} restarts), so the pod's "
            f"containers never start; fix: {fix}; last log lines:\n{tail}")


def _not_ready(kube: Kube, namespace: str, pod: str, deployment: str, port: int) -> str:
    status, body = kube.proxy_get(namespace, pod, port, "readyz")
    if status == 200:
        return ""
    if deployment == WRITER and "not writable" in body:
        return (f"{pod}: the config volume at {CONFIG_DIR} is not writable by the writer (uid {WRITER_UID}): "
                "the claim's directory is owned by another user (as on Docker Desktop's hostpath and kind's "
                f"local-path volumes) and the {VOLUME_OWNER} init container did not fix it "
                f"(/readyz: {_readyz_error(body)}); fix: {_volume_fix(namespace)}")
    return f"{pod}: running but not ready: {body.strip()[:300]}"


def _readyz_error(body: str) -> str:
    try:
        return str(json.loads(body)["error"])[:300]
    except (ValueError, KeyError, TypeError):
        return body.strip()[:300]


def _volume_fix(namespace: str) -> str:
    return (f"make sure the {VOLUME_OWNER} init container may run as root with CAP_CHOWN (a PodSecurity "
            f"'restricted' namespace forbids it: `kubectl label namespace {namespace} "
            "pod-security.kubernetes.io/enforce=baseline --overwrite`) or pre-create the claim's directory "
            f"writable by uid {WRITER_UID}")


def _tail(kube: Kube, namespace: str, pod: str, container: str, previous: bool) -> str:
    # The log is a bonus: failing to read it must not hide the reason already found.
    try:
        return kube.logs(namespace, pod, container, tail=5, previous=previous).strip()
    except KubeError as e:
        return f"(its log could not be read: {e})"


def _pvc_hint(kube: Kube, namespace: str) -> str:
    pvc = kube.core.read_namespaced_persistent_volume_claim("trader-config", namespace)
    if pvc.status.phase != "Bound":
        return ("; the claim trader-config is not bound: the cluster needs a default StorageClass "
                "(Docker Desktop and `invoke cluster.up` provide one named hostpath)")
    return ""


def wait_rollouts(kube: Kube, namespace: str, names: list[str], timeout: float,
                  on_progress: Callable[[list[WaitState]], None] = lambda states: None) -> list[WaitState]:
    """Poll until every deployment's rollout is complete; raise with the reason on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            states = [_deployment_state(kube, namespace, n) for n in names]
        except Exception as e:
            raise api_error(e, "reading the deployments") from e
        for s in states:
            if not s.done:
                s.reason = explain(kube, namespace, s.name) or s.reason
        on_progress(states)
        if all(s.done for s in states):
            return states
        if time.monotonic() > deadline:
            stuck = "\n".join(f"  {s.name} ({s.ready} ready): {s.reason}" for s in states if not s.done)
            raise DeployError(f"not everything runs after {timeout:.0f} s:\n{stuck}")
        time.sleep(1)


def writer_pod(kube: ClusterApi, namespace: str, pods: list[Pod] | None = None) -> str:
    """The running config writer's pod (from `pods` when the caller listed them already)."""
    listed = pods if pods is not None else kube.pods(namespace, WRITER)
    running = [p for p in listed if p.app == WRITER and p.phase == "Running" and not p.deleting]
    if not running:
        raise DeployError(f"no running {WRITER} pod in {namespace}; `invoke deploy` starts it")
    return running[0].name


def config_in_volume(kube: ClusterApi, namespace: str) -> dict[str, Any]:
    """What the volume holds now: {exists, sha256, bytes}."""
    out = kube.exec(namespace, writer_pod(kube, namespace), ["/configwriter", "stat", f"{CONFIG_DIR}/{CONFIG_NAME}"])
    return json.loads(out.stdout)


def put_config(kube: ClusterApi, namespace: str, data: bytes, sha256: str, writer: str | None = None) -> bool:
    """Write `data` into the volume atomically through the writer; False when it was already there."""
    argv = ["/configwriter", "put", f"{CONFIG_DIR}/{CONFIG_NAME}", sha256, base64.b64encode(data).decode()]
    try:
        out = kube.exec(namespace, writer or writer_pod(kube, namespace), argv)
    except KubeError as e:
        raise DeployError(f"could not write the config into the volume: {e}") from e
    return bool(json.loads(out.stdout)["changed"])


def service_pods(kube: ClusterApi, namespace: str, deployment: str) -> list[Pod]:
    return [p for p in kube.pods(namespace, deployment) if not p.deleting]


def read_service_status(kube: ClusterApi, namespace: str, pod: str, deployment: str) -> dict[str, Any] | None:
    status, body = kube.proxy_get(namespace, pod, SERVICE_PORTS[deployment], "status")
    if status != 200:
        return None
    return json.loads(body)


def stack_status(kube: ClusterApi, namespace: str, local_sha256: str | None = None) -> StackStatus:
    """Every pod of the stack with readiness, restarts and (for services) the config it runs.

    One listing of the namespace's pods, then the services' /status read side by side:
    `invoke status` costs about one round trip more than the listing.
    """
    from concurrent.futures import ThreadPoolExecutor

    out = StackStatus(namespace, local_sha256=local_sha256)
    order = (WRITER, *SERVICE_PORTS)
    pods = sorted((p for p in kube.pods(namespace) if p.app in order), key=lambda p: (order.index(p.app), p.name))
    out.pods = [PodStatus(p.app, p.name, p.phase, p.ready, p.restarts) for p in pods]

    def read(ps: PodStatus) -> None:
        try:
            ps.service_status = read_service_status(kube, namespace, ps.pod, ps.deployment)
        except KubeError as e:
            ps.error = str(e)
        except ValueError:
            ps.error = "its /status is not JSON"

    asking = [ps for ps in out.pods if ps.deployment in SERVICE_PORTS and ps.phase == "Running"]
    if asking:
        with ThreadPoolExecutor(max_workers=len(asking)) as pool:
            list(pool.map(read, asking))
    return out


def remove(kube: Kube, namespace: str, purge: bool = False) -> list[str]:
    """Delete what the toolkit applied; the config volume and namespace go only with `purge`."""
    selector = f"{manifests.MANAGED_BY}={manifests.TOOL}"
    removed = []
    for api_version, kind in PRUNABLE + ([CLAIMS] if purge else []):
        resource = kube.dynamic.resources.get(api_version=api_version, kind=kind)
        try:
            items = resource.get(namespace=namespace, label_selector=selector).items
            for item in items:
                resource.delete(name=item.metadata.name, namespace=namespace)
                removed.append(f"{kind}/{item.metadata.name}")
        except Exception as e:
            raise api_error(e, f"deleting {kind}s in {namespace}") from e
    if purge:
        try:
            kube.core.delete_namespace(namespace)
            removed.append(f"Namespace/{namespace}")
        except Exception as e:
            raise api_error(e, f"deleting namespace {namespace}") from e
    return removed
