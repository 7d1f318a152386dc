"""Run checks against a service command: a fresh process and folder per check."""
from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ._checks import Check, Run, all_checks
from ._files import Configs, sha256
from ._process import CheckFailed, Service, start

START_TIMEOUT = 20.0  # a cold interpreter or a first-run binary on a loaded machine


@dataclass
class Result:
    name: str
    description: str
    outcome: str  # "pass", "FAIL" or "skip"
    seconds: float
    detail: str
    folder: str | None = None  # kept on failure: the config folder and the service's output

    @property
    def passed(self) -> bool:
        return self.outcome != "FAIL"

    def as_dict(self) -> dict:
        return {"check": self.name, "description": self.description, "result": self.outcome,
                "seconds": round(self.seconds, 3), "detail": self.detail, "folder": self.folder}


def select(checks: list[Check], only: Iterable[str] = ()) -> list[Check]:
    """The checks named in `only` (all when empty); an unknown name is an error listing the known ones."""
    wanted = [n for n in only if n]
    known = {c.name for c in checks}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f"unknown check(s) {', '.join(unknown)}; the checks are: {', '.join(sorted(known))}")
    return [c for c in checks if not wanted or c.name in wanted]


def _started(svc: Service, good: bytes | None, timeout: float) -> None:
    svc.wait_for(lambda: svc.get("/healthz", timeout=1.0)[0] == 200, START_TIMEOUT,
                 f"/healthz 200 after the start (`{' '.join(svc.argv)}`)")
    if good is not None:
        sha = sha256(good)
        svc.wait_for(lambda: svc.status().get("config_sha256") == sha, timeout,
                     f"/status config_sha256 {sha[:12]}… of the config it was started on",
                     lambda: f"config_sha256 {svc.status().get('config_sha256')!r}, "
                             f"last_error {svc.status().get('last_error')!r}")


def run_check(check: Check, command: str, configs: Configs, workdir: Path, *, base_url: str,
              timeout: float, use_signal: bool, keep: bool = False) -> Result:
    folder = Path(tempfile.mkdtemp(prefix=f"{check.name}-", dir=workdir))
    config_dir = folder / "config"
    config_dir.mkdir()
    path = config_dir / "config.toml"
    good = configs.make(**check.start_with)
    if check.before_start:
        check.before_start(path)
    else:
        path.write_bytes(good)
    begin = time.monotonic()
    svc: Service | None = None
    try:
        svc = start(command, folder, path, base_url=base_url)
        _started(svc, None if check.before_start else good, timeout)
        detail = check.run(Run(svc, path, configs, timeout, use_signal, good))
        if not svc.alive():
            raise CheckFailed("the service to keep running", f"it {svc.state()}")
        outcome = "pass"
    except CheckFailed as e:
        outcome, detail = "FAIL", str(e)
    except Exception as e:  # a bug in the check or the harness: still a failed, explained row
        outcome, detail = "FAIL", f"{type(e).__name__}: {e}"
    finally:
        if svc is not None:
            svc.stop()
    seconds = time.monotonic() - begin
    if outcome == "FAIL":
        where = f"look at {folder}/service.stderr and service.stdout (config in {config_dir})"
        tail = svc.tail() if svc is not None else ""
        detail = f"{detail}\n{where}" + (f"\n{tail}" if tail else "")
    kept = outcome == "FAIL" or keep
    if not kept:
        shutil.rmtree(folder, ignore_errors=True)
    return Result(check.name, check.description, outcome, seconds, detail, str(folder) if kept else None)


def run_suite(command: str, schema_path: Path, *, only: Iterable[str] = (), use_signal: bool = False,
              base_url: str = "http://127.0.0.1:{port}", timeout: float = 5.0, workdir: Path | None = None,
              keep: bool = False, progress: Callable[[Result], None] | None = None) -> list[Result]:
    """Run each chosen check against a fresh process of `command`; results in order."""
    configs = Configs(schema_path)
    checks = select(all_checks(configs), only)
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="conformance-"))
    root.mkdir(parents=True, exist_ok=True)
    results = []
    for check in checks:
        if check.needs_signal and not use_signal:
            result = Result(check.name, check.description, "skip", 0.0, "the service does not claim SIGUSR1 (--signal)")
        else:
            result = run_check(check, command, configs, root, base_url=base_url, timeout=timeout,
                               use_signal=use_signal, keep=keep)
        results.append(result)
        if progress:
            progress(result)
    if not keep and all(r.passed for r in results):
        shutil.rmtree(root, ignore_errors=True)
    return results


def exit_code(results: list[Result]) -> int:
    return 0 if results and all(r.passed for r in results) else 1
