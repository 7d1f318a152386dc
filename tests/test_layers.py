"""The layer rules in pyproject's [tool.importlinter] hold: `lint-imports` passes on this checkout."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    # The console script of the interpreter running the tests, so the pinned import-linter is used.
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports not found. Fix: pip install -e '.[dev]' (import-linter is a dev extra)")
    return found


def test_layer_contracts_are_kept() -> None:
    # This checkout's orchestrator and contract package, not whichever copy an editable install points at.
    here = [str(ROOT / "services" / "orchestrator"), str(ROOT / "contract" / "python")]
    path = os.pathsep.join(filter(None, [*here, os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(
        [_lint_imports(), "--no-cache", "--no-logo"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"lint-imports found a broken layer rule:\n{proc.stdout}\n{proc.stderr}"
    assert "0 broken" in proc.stdout, proc.stdout


def test_every_error_family_is_a_toolkit_error():
    """The task layer turns any ToolkitError into a message; a family outside it would end in a traceback."""
    import importlib
    import inspect
    import pkgutil

    import traderadmin
    from traderadmin.errors import ToolkitError

    outside = []
    for info in pkgutil.walk_packages(traderadmin.__path__, "traderadmin."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and obj.__module__ == info.name and issubclass(obj, Exception)
                    and not issubclass(obj, ToolkitError)):
                outside.append(f"{info.name}.{name}")
    assert not outside, f"error classes outside ToolkitError: {outside}"


def _lint_copy(tmp_path: Path, plant) -> subprocess.CompletedProcess[str]:
    """lint-imports on a copy of this checkout after `plant(copy_root)` changed it."""
    for part in ("traderadmin", "tasks", "steps", "services/orchestrator/orchestrator",
                 "contract/python/configcontract"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    plant(tmp_path)
    path = os.pathsep.join([str(tmp_path / "services" / "orchestrator"), str(tmp_path / "contract" / "python"),
                            str(tmp_path)])
    return subprocess.run([_lint_imports(), "--no-cache", "--no-logo"], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("importer,imported", [
    ("traderadmin/system/processes.py", "traderadmin.stack.pipeline"),   # the host layer reaching up
    ("traderadmin/dockerengine.py", "traderadmin.localcluster.lifecycle"),  # a cycle that once was
    ("traderadmin/stack/volume.py", "traderadmin.stack.pipeline"),
    ("traderadmin/kube/objects.py", "traderadmin.kube.sdk"),
    ("traderadmin/app/scaffold.py", "traderadmin.stack.status"),        # siblings stay apart
    ("contract/python/configcontract/__init__.py", "traderadmin.errors"),
])
def test_an_upward_import_breaks_the_contract(tmp_path, importer, imported):
    def plant(root: Path) -> None:
        with (root / importer).open("a") as f:
            f.write(f"\nimport {imported}  # planted\n")

    proc = _lint_copy(tmp_path, plant)
    assert proc.returncode != 0 and "BROKEN" in proc.stdout, proc.stdout
    assert imported in proc.stdout, proc.stdout


def test_a_module_in_no_layer_breaks_the_contract(tmp_path):
    """Every new part of the library must be given its place."""
    proc = _lint_copy(tmp_path, lambda root: (root / "traderadmin" / "newpart.py").write_text("X = 1\n"))
    assert proc.returncode != 0 and "traderadmin.newpart" in proc.stdout, proc.stdout
