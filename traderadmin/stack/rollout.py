"""Waiting until the stack runs: a namespace still being deleted, then every Deployment's rollout.

Each wait names what it waits for, and a rollout that does not finish says why
(traderadmin.stack.explain).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from traderadmin.kube.protocol import Cluster
from traderadmin.polling import poll_until
from traderadmin.stack.errors import DeployError
from traderadmin.stack.explain import explain


@dataclass
class WaitState:
    """One Deployment's rollout as last seen, with the reason it is not done yet."""

    name: str
    done: bool
    ready: str
    reason: str = ""


def wait_namespace_usable(kube: Cluster, namespace: str, timeout: float,
                          on_wait: Callable[[str], None] = lambda msg: None) -> None:
    """Wait out the deletion of `namespace` (after `down --purge`): nothing can be created in it meanwhile."""
    def usable() -> bool:
        if kube.namespace_phase(namespace) != "Terminating":
            return True
        on_wait(f"namespace {namespace} is being deleted; waiting before deploying into it")
        return False

    poll_until(usable, timeout, interval=1, describe=f"namespace {namespace} to be deleted",
               timeout_error=lambda _: DeployError(
                   f"namespace {namespace} is still being deleted after {timeout:.0f} s; "
                   f"see `kubectl get namespace {namespace} -o yaml` for what holds it"))


def _deployment_state(kube: Cluster, namespace: str, name: str) -> WaitState:
    d = kube.deployment(namespace, name)
    want = d.replicas
    ready = f"{d.ready_replicas}/{want}"
    if d.observed_generation < d.generation:
        return WaitState(name, False, ready, "the controller has not seen the new spec yet")
    if d.updated_replicas < want:
        return WaitState(name, False, ready, f"{d.updated_replicas} of {want} pods updated")
    if d.total_replicas > d.updated_replicas:
        return WaitState(name, False, ready, f"{d.total_replicas - d.updated_replicas} old pod(s) still terminating")
    if d.available_replicas < want:
        return WaitState(name, False, ready, "pods are not ready yet")
    return WaitState(name, True, ready)


def wait_rollouts(kube: Cluster, namespace: str, names: list[str], timeout: float,
                  on_progress: Callable[[list[WaitState]], None] = lambda states: None) -> list[WaitState]:
    """Poll until every deployment's rollout is complete; raise with the reason on timeout."""
    if not names:
        return []
    last: list[WaitState] = []

    def all_done() -> list[WaitState] | None:
        states = [_deployment_state(kube, namespace, n) for n in names]
        for s in states:
            if not s.done:
                s.reason = explain(kube, namespace, s.name) or s.reason
        on_progress(states)
        last[:] = states
        return states if all(s.done for s in states) else None

    def stuck(_: object) -> DeployError:
        lines = "\n".join(f"  {s.name} ({s.ready} ready): {s.reason}" for s in last if not s.done)
        return DeployError(f"not everything runs after {timeout:.0f} s:\n{lines}")

    return poll_until(all_done, timeout, interval=1, describe="every rollout", timeout_error=stuck)
