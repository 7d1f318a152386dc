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


def test_dependencies_between_the_low_layers_point_one_way():
    """localcluster -> dockerengine -> system, never back: the import graph has no chain the other way."""
    import grimp

    graph = grimp.build_graph("traderadmin")
    assert graph.find_shortest_chain(importer="traderadmin.localcluster.engines", imported="traderadmin.dockerengine")
    assert not graph.chain_exists(importer="traderadmin.dockerengine", imported="traderadmin.localcluster", as_packages=True)
    outside = sorted(
        f"{importer} imports {imported}"
        for importer in graph.find_children("traderadmin.system") | {"traderadmin.system"}
        for imported in graph.find_modules_directly_imported_by(importer)
        if not imported.startswith("traderadmin.system") and imported.split(".")[0] == "traderadmin"
    )
    assert not outside, f"traderadmin.system must stay the lowest layer: {outside}"
