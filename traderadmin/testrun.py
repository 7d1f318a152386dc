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


def steps(root: Path, reports: Path, pytest_args: list[str] | None = None, provider: str = "auto") -> list[Step]:
    """Every step of the suite, in order."""
    go = []
    for mod in (root / "services" / "scanner", root / "services" / "configwriter"):
        go.append(Step(f"go vet ({mod.name})", ["go", "vet", "./..."], mod))
        go.append(Step(f"go test ({mod.name})", ["go", "test", "-race", "-count=1", "./..."], mod))
    app_dir = root / "build" / "app"
    py = [sys.executable, "-m", "pytest", "tests", "services/orchestrator/tests", "features",
          f"--junitxml={reports / 'junit.xml'}", f"--cucumberjson={reports / 'cucumber.json'}",
          f"--provider={provider}", *(pytest_args or [])]
    return go + [
        Step("prerequisites (desktop app)", _invoke("app.prereqs", "--smoke"), root),
        Step("cluster up", _invoke("cluster.up", f"--provider={provider}"), root),
        Step("pytest (unit, services, acceptance gate)", py, root),
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
