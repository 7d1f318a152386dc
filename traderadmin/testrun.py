"""The whole test suite as a list of steps, so `invoke test` and CI run exactly the same thing.

Order matters: what needs nothing runs first (Go), then what the later steps
need is brought up (the desktop app's build prerequisites, a cluster), then
pytest runs the unit tests and the acceptance gate against that cluster, and
last the desktop app is built and run under Xvfb.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Step:
    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    step: Step
    returncode: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _invoke(*args: str) -> list[str]:
    return [sys.executable, "-m", "invoke", *args]


@dataclass(frozen=True)
class GatePass:
    """One cluster the acceptance gate runs on: how to bring it up, and what it must be recognised as."""

    name: str
    cluster_up: list[str]  # arguments of `invoke cluster.up`
    provider: str  # --provider for pytest
    expect: str = ""  # --expect-cluster: provider or provider/mode; "" for no expectation


def gate_passes(provider: str, local_flavors: list[str], local_possible: bool) -> list[GatePass]:
    """The clusters the gate runs on: each local flavor in turn where the local cluster can
    run and no other provider was asked for, else the one provider asked for."""
    if provider in ("auto", "local") and local_possible:
        from traderadmin.localcluster import flavors

        chosen = [flavors.get(name) for name in local_flavors]
        return [GatePass(f.name, ["--provider=local", f"--flavor={f.name}"], f.looks_like, f.recognised_as)
                for f in chosen]
    return [GatePass(provider, [f"--provider={provider}"], provider)]


def steps(root: Path, reports: Path, pytest_args: list[str] | None = None,
          passes: list[GatePass] | None = None) -> list[Step]:
    """Every step of the suite, in order. The first pass runs every pytest test; later passes
    run what talks to the cluster (the gate and tests/cluster) on their cluster."""
    passes = passes or [GatePass("auto", ["--provider=auto"], "auto")]
    go = []
    # The config contract's Go module first: the scanner and the desktop app build on it.
    go_modules = {"configcontract": root / "contract" / "go", "scanner": root / "services" / "scanner",
                  "configwriter": root / "services" / "configwriter"}
    for name, mod in go_modules.items():
        go.append(Step(f"go vet ({name})", ["go", "vet", "./..."], mod))
        go.append(Step(f"go test ({name})", ["go", "test", "-race", "-count=1", "./..."], mod))
    app_dir = root / "build" / "app"
    cluster_steps = []
    for index, gate in enumerate(passes):
        suffix = "" if index == 0 else f"-{gate.name}"
        selection = (["tests", "contract/python/tests", "services/orchestrator/tests", "features"] if index == 0
                     else ["tests/cluster", "features"])
        py = [sys.executable, "-m", "pytest", *selection,
              f"--junitxml={reports / f'junit{suffix}.xml'}", f"--cucumberjson={reports / f'cucumber{suffix}.json'}",
              f"--provider={gate.provider}", *([f"--expect-cluster={gate.expect}"] if gate.expect else []),
              *(pytest_args or [])]
        what = "unit, services, acceptance gate" if index == 0 else "tests/cluster, acceptance gate"
        cluster_steps += [
            Step(f"cluster up ({gate.name})", _invoke("cluster.up", *gate.cluster_up), root),
            Step(f"pytest ({what}) on {gate.expect or gate.provider} [{gate.name}]", py, root,
                 env={"TRADERADMIN_PROVIDER": gate.provider, "TRADERADMIN_EXPECT_CLUSTER": gate.expect}),
        ]
    return go + [
        Step("prerequisites (desktop app)", _invoke("app.prereqs", "--smoke"), root),
        *cluster_steps,
        Step("bootstrap (render the desktop app)", _invoke("bootstrap", "--no-input", f"--output-dir={app_dir}"), root),
        Step("desktop app smoke (wails build, Xvfb, screenshot)",
             _invoke("app.smoke", f"--app-dir={app_dir / 'TraderAdmin'}", f"--out-dir={reports / 'app-smoke'}"), root),
    ]


def run(selected: list[Step], keep_going: bool = True) -> list[Outcome]:
    """Run the steps in order, streaming their output; stop at the first failure unless keep_going."""
    outcomes = []
    for s in selected:
        print(f"\n=== {s.name}: {' '.join(s.argv)} (in {s.cwd.name}/)", flush=True)
        start = time.monotonic()
        rc = subprocess.run(s.argv, cwd=s.cwd, env={**os.environ, **s.env}).returncode
        outcomes.append(Outcome(s, rc, time.monotonic() - start))
        if rc != 0 and not keep_going:
            break
    return outcomes
