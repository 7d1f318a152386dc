"""Staging with the real Go toolchain on a tiny module (no Docker needed)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from traderadmin.images.errors import StagingError
from traderadmin.images.staging import STAGE_DIR, GoStaticStager, OrchestratorStager, stage

MAIN_GO = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    if shutil.which("go") is None:
        pytest.fail("these tests need Go on PATH (https://go.dev/dl/)")
    source = tmp_path / "services" / "scanner"
    source.mkdir(parents=True)
    (source / "go.mod").write_text("module example.test/scanner\n\ngo 1.22\n")
    (source / "main.go").write_text(MAIN_GO)
    (source / "Dockerfile").write_text("FROM scratch\nCOPY scanner /scanner\n")
    return tmp_path


def test_go_service_stages_a_static_binary_with_reproducible_bytes(project: Path) -> None:
    first = stage("scanner", project, "x86_64")
    context = project / STAGE_DIR / "scanner"
    assert first.restaged and sorted(p.name for p in context.iterdir()) == ["Dockerfile", "scanner"]
    assert (context / "scanner").read_bytes()[:4] == b"\x7fELF"
    shutil.rmtree(context)
    again = stage("scanner", project, "x86_64")
    assert again.restaged and again.digest == first.digest
    assert not stage("scanner", project, "x86_64").restaged


def test_architecture_go_version_and_sources_are_inputs(project: Path) -> None:
    source = project / "services" / "scanner"
    amd64 = GoStaticStager("scanner", source, "x86_64")
    assert amd64.recipe()["go"].startswith("go") and amd64.recipe()["goarch"] == "amd64"
    assert GoStaticStager("scanner", source, "aarch64").inputs_digest() != amd64.inputs_digest()
    before = amd64.inputs_digest()
    (source / "main_test.go").write_text("package main\n")
    assert amd64.inputs_digest() != before


def test_compile_error_names_the_service_and_shows_the_compiler(project: Path) -> None:
    (project / "services" / "scanner" / "main.go").write_text("package main\n\nfunc main() { undefinedThing() }\n")
    with pytest.raises(StagingError, match="scanner: building the static binary") as caught:
        stage("scanner", project, "x86_64")
    assert "undefinedThing" in str(caught.value)
    assert not (project / STAGE_DIR / "scanner").exists(), "a failed stage must not leave a half context"


def test_missing_dockerfile_is_named(project: Path) -> None:
    (project / "services" / "scanner" / "Dockerfile").unlink()
    with pytest.raises(StagingError, match=r"services/scanner/Dockerfile is missing"):
        stage("scanner", project, "x86_64")


def test_unknown_service_lists_the_known_ones(project: Path) -> None:
    with pytest.raises(StagingError, match="unknown service 'web'; known: configwriter, orchestrator, scanner"):
        stage("web", project, "x86_64")


def test_a_local_module_the_scanner_replaces_in_is_an_input_and_is_built_in(project: Path) -> None:
    """The scanner builds the config contract from contract/go through a relative `replace`."""
    module = project / "contract" / "go"
    module.mkdir(parents=True)
    (module / "go.mod").write_text("module example.test/contract\n\ngo 1.22\n")
    (module / "contract.go").write_text('package contract\n\nconst Greeting = "hello"\n')
    source = project / "services" / "scanner"
    (source / "go.mod").write_text(
        "module example.test/scanner\n\ngo 1.22\n\nrequire example.test/contract v0.0.0\n\n"
        "replace example.test/contract => ../../contract/go\n"
    )
    (source / "main.go").write_text(
        'package main\n\nimport (\n\t"fmt"\n\n\t"example.test/contract"\n)\n\nfunc main() { fmt.Println(contract.Greeting) }\n'
    )
    stager = GoStaticStager("scanner", source, "x86_64")
    assert stager.local_modules() == {"../../contract/go": module.resolve()}
    before = stager.inputs_digest()
    assert stage("scanner", project, "x86_64").restaged
    (module / "contract.go").write_text('package contract\n\nconst Greeting = "hi"\n')
    assert stager.inputs_digest() != before
    assert stage("scanner", project, "x86_64").restaged


def test_a_local_package_the_orchestrator_depends_on_is_an_input(tmp_path: Path) -> None:
    """The orchestrator depends on the config contract in contract/python: a change there restages it."""
    package = tmp_path / "contract" / "python"
    package.mkdir(parents=True)
    (package / "pyproject.toml").write_text('[project]\nname = "contract"\nversion = "0.1.0"\n')
    source = tmp_path / "services" / "orchestrator"
    source.mkdir(parents=True)
    (source / "pyproject.toml").write_text('[tool.trader-images]\nlocal-packages = ["../../contract/python"]\n')
    stager = OrchestratorStager("orchestrator", source, "amd64")
    assert stager.local_packages() == {"../../contract/python": package.resolve()}
    before = stager.inputs_digest()
    (package / "rules.py").write_text("RULE = 1\n")
    assert stager.inputs_digest() != before
    (source / "pyproject.toml").write_text('[tool.trader-images]\nlocal-packages = ["../../nowhere"]\n')
    with pytest.raises(StagingError, match="local package ../../nowhere"):
        stager.local_packages()


def test_the_real_orchestrator_stages_the_contract_package() -> None:
    root = Path(__file__).resolve().parents[1]
    stager = OrchestratorStager("orchestrator", root / "services" / "orchestrator", "amd64")
    assert stager.local_packages() == {"../../contract/python": (root / "contract" / "python").resolve()}
