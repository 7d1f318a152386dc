"""The acceptance gate's run: one cluster, one namespace per run, diagnostics on failure.

Every run deploys the stack into a namespace of its own (`ta-gate-<random>`),
with a config of its own in a temp folder (the user's config/config.toml is
never touched), and deletes the namespace afterwards — unless a step failed and
`--keep-namespace` was given, so a person can look at what went wrong.
"""
from __future__ import annotations

import os
import secrets
import shutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from traderadmin.config import ConfigFiles, init_config, read, set_values, sha256
from traderadmin.kube.errors import KubeError
from traderadmin.kube.sdk import Kube, connect
from traderadmin.polling import PollTimeout, poll_until
from traderadmin.stack.pipeline import DeployReport, deploy_stack
from traderadmin.stack.rollout import wait_rollouts
from traderadmin.stack.status import SERVICE_PORTS

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("traderadmin gate")
    group.addoption("--keep-namespace", action="store_true",
                    help="keep the run's namespace when a step failed, for inspection")
    group.addoption("--provider", default=os.environ.get("TRADERADMIN_PROVIDER", "auto"),
                    help="cluster provider to run against: auto, local or docker-desktop")
    group.addoption("--expect-cluster", default=os.environ.get("TRADERADMIN_EXPECT_CLUSTER", ""),
                    help="fail unless the cluster is recognised as this: provider or provider/mode, "
                         "e.g. local or docker-desktop/kubeadm (what `invoke test` runs each pass on)")
    group.addoption("--deadline-scale", type=float, default=float(os.environ.get("TRADERADMIN_DEADLINE_SCALE", "1")),
                    help="multiply every step deadline (slow machines)")


@dataclass
class Gate:
    """What every step shares during one run."""

    kube: Kube
    provider: str
    mode: str
    namespace: str
    files: ConfigFiles
    deadline_scale: float
    expect_cluster: str = ""
    context: str = ""  # the kubeconfig context of the cluster
    images: dict[str, str] | None = None
    deployed: DeployReport | None = None
    failed: bool = False
    notes: dict[str, Any] = field(default_factory=dict)

    def deadline(self, seconds: float) -> float:
        return seconds * self.deadline_scale

    def deploy(self, rebuild: bool = False) -> DeployReport:
        report = deploy_stack(
            self.kube, root=ROOT, files=self.files, namespace=self.namespace, provider=self.provider,
            desktop_mode=self.mode or None, images=None if rebuild or self.images is None else self.images,
            timeout=self.deadline(240))
        self.images = report.images
        self.deployed = report
        return report

    def local_config(self) -> tuple[bytes, str]:
        data, _ = read(self.files)
        return data, sha256(data)


def poll(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Call `check` until it returns something truthy; fail with `what` and the last value at the deadline."""
    try:
        return poll_until(check, timeout, interval, what, tolerate=(KubeError, ValueError))
    except PollTimeout as e:
        timed_out = e
    pytest.fail(f"{what}: not reached within {timeout:.1f} s (last seen: {timed_out.last!r})")


class GateUnavailable(Exception):
    """No cluster to run against; the message says why and how to get one."""


def open_gate(provider_name: str, folder: Path, deadline_scale: float = 1.0, expect_cluster: str = "",
              prefix: str = "ta-gate") -> Gate:
    """Pick the cluster, check it is Ready, and lay out a run of its own: a random namespace
    (`<prefix>-<hex>`, not created yet: deploying creates it) and a config from the schema's
    defaults in `folder`. Shared by the gate and other live suites (the desktop app's e2e)."""
    from traderadmin.cluster.providers import ProviderError, get_provider

    try:
        provider = get_provider(provider_name)
        status = provider.status()
    except (ProviderError, KubeError, OSError) as e:
        raise GateUnavailable(f"no cluster to run against: {e}. Bring one up with `invoke cluster.up`.") from e
    if not status.reachable or not status.node_ready:
        raise GateUnavailable(f"the {provider.name} cluster (context {provider.context}) is not ready: "
                              f"{status.detail or status.problems}. Bring it up with `invoke cluster.up`.")
    try:
        kube = connect(provider.context)
    except KubeError as e:
        raise GateUnavailable(f"cannot reach the {provider.name} cluster: {e}") from e
    files = ConfigFiles(folder / "config.toml", ROOT / "config" / "schema.json")
    init_config(files)
    # A slow fallback poll, so a change applied within a second was applied by the watch or the
    # signal the scenario is about, not by a poll that happened to come at that moment.
    set_values(files, ["reload.poll_interval_s=60"])
    return Gate(kube, status.provider, status.mode, f"{prefix}-{secrets.token_hex(3)}", files,
                deadline_scale, expect_cluster, provider.context)


def close_gate(g: Gate, keep: bool = False) -> None:
    """Delete the run's namespace, unless a step failed and `keep` asks to leave it for inspection."""
    if g.failed and keep:
        print(f"\ngate: kept namespace {g.namespace} for inspection (kubectl -n {g.namespace} get all)")
        return
    try:
        g.kube.delete_namespace(g.namespace)
    except Exception as e:  # cleanup must not hide the run's result
        print(f"\ngate: could not delete namespace {g.namespace}: {e}")


@pytest.fixture(scope="session")
def gate(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    try:
        g = open_gate(request.config.getoption("--provider"), tmp_path_factory.mktemp("gate-config"),
                      request.config.getoption("--deadline-scale"), request.config.getoption("--expect-cluster"))
    except GateUnavailable as e:
        pytest.fail(str(e))
    shutil.rmtree(REPORTS / "diagnostics", ignore_errors=True)  # only this run's failures are reported
    print(f"\ngate: provider {g.provider} ({g.mode or 'n/a'}), context {g.context}, "
          f"namespace {g.namespace}")
    yield g
    close_gate(g, request.config.getoption("--keep-namespace"))


@pytest.fixture
def running_stack(gate: Gate) -> Gate:
    """The stack is deployed in this run's namespace and every pod runs (deployed once per run)."""
    if gate.deployed is None:
        gate.deploy(rebuild=True)
    else:
        wait_rollouts(gate.kube, gate.namespace, ["config-writer", *SERVICE_PORTS], gate.deadline(120))
    return gate


def diagnostics(kube: Kube, namespace: str) -> str:
    """Pod states, logs (with the previous container's), and events: what a person would look at."""
    out = [f"== namespace {namespace}"]
    try:
        for pod in kube.pod_details(namespace):
            out.append(f"-- pod {pod.name}: phase {pod.phase}")
            for cs in pod.container_statuses:
                out.append(f"   container {cs.name}: ready={cs.ready} restarts={cs.restart_count} state={cs.state}")
                for previous in (False, True):
                    try:
                        log = kube.logs(namespace, pod.name, cs.name, tail=40, previous=previous)
                    except KubeError:
                        continue
                    out.append(f"   {'previous ' if previous else ''}log of {cs.name}:")
                    out += ["     " + line for line in log.splitlines()]
        for d in kube.deployments(namespace):
            out.append(f"-- deployment {d.name}: generation {d.generation}, observed {d.observed_generation}, "
                       f"{d.ready_replicas}/{d.replicas} ready, {d.updated_replicas} updated, "
                       f"{d.total_replicas} in all; conditions {list(d.conditions)}")
        out.append("-- events")
        out += [f"   {e.time} {e.type} {e.kind}/{e.name}: {e.reason}: {e.message}" for e in kube.events(namespace)[-40:]]
    except Exception as e:  # diagnostics are best effort; the step's own failure is the result
        out.append(f"(collecting diagnostics failed: {e})")
    return "\n".join(out)


def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    """Attach the cluster's state to the failed scenario: printed (JUnit system-out) and saved as a file."""
    try:
        g: Gate = request.getfixturevalue("gate")
    except Exception:
        return
    g.failed = True
    text = diagnostics(g.kube, g.namespace)
    folder = REPORTS / "diagnostics"
    folder.mkdir(parents=True, exist_ok=True)
    name = "".join(ch if ch.isalnum() else "-" for ch in scenario.name).strip("-")
    cause = "".join(traceback.format_exception(exception))
    (folder / f"{name}.txt").write_text(f"step failed: {step.keyword} {step.name}\n{cause}\n{text}\n")
    print(f"\n==== diagnostics for '{scenario.name}' (step: {step.name})\n{text}")
