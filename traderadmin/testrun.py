"""The whole test suite as a list of steps, so `invoke test` and CI run exactly the same thing."""
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


def steps(root: Path, reports: Path, pytest_args: list[str] | None = None) -> list[Step]:
    """Go checks first (fast, no cluster), then pytest over the Python suites."""
    go_modules = [root / "services" / "scanner", root / "services" / "configwriter"]
    py = [sys.executable, "-m", "pytest", "tests", "services/orchestrator/tests",
          f"--junitxml={reports / 'junit-tests.xml'}", *(pytest_args or [])]
    go = []
    for mod in go_modules:
        go.append(Step(f"go vet ({mod.name})", ["go", "vet", "./..."], mod))
        go.append(Step(f"go test ({mod.name})", ["go", "test", "-race", "-count=1", "./..."], mod))
    return go + [Step("pytest (toolkit, services)", py, root)]


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
