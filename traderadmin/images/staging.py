"""Build contexts staged on the host, so `docker build` needs no network and no registry.

Each service gets `build/images/<service>/`: its Dockerfile plus what the
Dockerfile copies in, made on the host — the scanner's static Go binary, the
orchestrator's wheels (its own, the local packages it depends on such as the
config contract in contract/python, and its dependencies as manylinux cp311
wheels) and its launcher. The services' engineers own the Dockerfiles; this module owns
what is put next to them.

Making the inputs is the slow part (a Go build, a wheel build, a pip resolve), so
it is skipped when the service's sources and the staging recipe hash to what was
staged last time and the staged files are still intact. The record of that lives
in `build/images/.state/`, outside the contexts, so it never reaches an image.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from traderadmin.images.contenthash import ignored, tree_digest
from traderadmin.images.errors import StagingError
from traderadmin.tails import tail

STAGE_DIR = Path("build") / "images"
STATE_DIR = STAGE_DIR / ".state"

# Docker's architecture names, mapped for Go and for manylinux wheel tags.
GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
WHEEL_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}

# The bases run CPython 3.11 on Debian bookworm or newer (glibc >= 2.36).
TARGET_PYTHON = "3.11"
TARGET_ABI = "cp311"
TARGET_GLIBC_MINOR = 36
OLDEST_MANYLINUX_MINOR = 17
# Wheels stay byte-identical across rebuilds of the same source (zip timestamps).
SOURCE_DATE_EPOCH = "315532800"
CONSTRAINTS_FILE = "constraints.txt"

Log = Callable[[str], None]

_STAGER_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


@dataclass(frozen=True)
class StagedContext:
    service: str
    path: Path
    digest: str  # content of the staged context (Dockerfile + inputs), base image not included
    restaged: bool
    seconds: float


def manylinux_platforms(arch: str, glibc_minor: int = TARGET_GLIBC_MINOR) -> list[str]:
    """Every manylinux platform tag a glibc-2.<minor> system accepts, newest first.

    pip does not widen `--platform manylinux_2_36_x86_64` to the older tags the
    system also runs, so they are listed one by one (2014/2010/1 are aliases).
    """
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor, OLDEST_MANYLINUX_MINOR - 1, -1)]
    return [*tags, f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]


def _run(
    command: list[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    what: str,
    fix: str,
    hint: str = "",
) -> str:
    """Run a host tool; `fix` is the advice when the tool is missing, `hint` when it fails."""
    try:
        proc = subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise StagingError(f"{what}: {command[0]} not found. Fix: {fix}") from exc
    if proc.returncode != 0:
        raise StagingError(
            f"{what}: `{' '.join(command)}` failed (exit {proc.returncode}):\n{tail(proc.stdout + proc.stderr)}"
            + (f"\nFix: {hint}" if hint else "")
        )
    return proc.stdout


def _copy_required(source: Path, dest: Path, service: str) -> None:
    if not source.is_file():
        raise StagingError(f"{service}: {source} is missing; the service's Dockerfile and files it copies must exist")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, dest)


class Stager(ABC):
    """How one service's build context is made."""

    def __init__(self, service: str, source: Path, arch: str) -> None:
        self.service = service
        self.source = source
        self.arch = arch

    @abstractmethod
    def recipe(self) -> dict[str, str]:
        """Facts besides the source tree that decide the staged bytes."""

    @abstractmethod
    def populate(self, dest: Path, log: Log) -> None:
        """Fill the empty folder `dest` with the Dockerfile and everything it copies."""

    def inputs_digest(self) -> str:
        if not self.source.is_dir():
            raise StagingError(f"{self.service}: source folder {self.source} does not exist")
        # This module's own text counts too: a change in how inputs are made restages them.
        return tree_digest(self.source, extra={**self.recipe(), "stager": _STAGER_DIGEST})


class GoStaticStager(Stager):
    """A Go service `FROM scratch`: its Dockerfile copies the static binary named after
    the service. CGO off, paths trimmed, no VCS stamp, so the same source gives the
    same bytes (a dirty work tree elsewhere must not change the tag)."""

    build_flags = ("-trimpath", "-buildvcs=false", "-ldflags=-s -w")

    def _goarch(self) -> str:
        try:
            return GOARCH[self.arch]
        except KeyError:
            raise StagingError(f"{self.service}: no Go architecture known for Docker's {self.arch!r}") from None

    def recipe(self) -> dict[str, str]:
        version = _run(
            ["go", "env", "GOVERSION"],
            what=f"{self.service}: reading the Go version",
            fix="install Go (https://go.dev/dl/) and put it on PATH",
        ).strip()
        return {
            "go": version, "goos": "linux", "goarch": self._goarch(), "flags": " ".join(self.build_flags),
            **{f"replace {rel}": tree_digest(path) for rel, path in self.local_modules().items()},
        }

    def local_modules(self) -> dict[str, Path]:
        """The folders go.mod's `replace ... => ../dir` lines name (the scanner's config
        contract in contract/go): the host build compiles them in, so a change there
        must restage the binary as a change in the service's own folder does."""
        edit = _run(
            ["go", "mod", "edit", "-json"],
            cwd=self.source,
            what=f"{self.service}: reading go.mod",
            fix="install Go (https://go.dev/dl/) and put it on PATH",
        )
        modules = {}
        for replace in json.loads(edit).get("Replace") or []:
            target = replace["New"]["Path"]
            # A module path (example.com/x) is fetched by version and pinned by go.sum; only a
            # file path points at sources that the tree digest would otherwise miss.
            if target.startswith(("./", "../", "/")):
                path = (self.source / target).resolve()
                if not path.is_dir():
                    raise StagingError(f"{self.service}: go.mod replaces a module with {target}, which is not a folder")
                modules[target] = path
        return modules

    def populate(self, dest: Path, log: Log) -> None:
        _copy_required(self.source / "Dockerfile", dest / "Dockerfile", self.service)
        log(f"{self.service}: go build ({self._goarch()}, static)")
        _run(
            ["go", "build", *self.build_flags, "-o", str(dest / self.service), "."],
            cwd=self.source,
            env={"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": self._goarch()},
            what=f"{self.service}: building the static binary",
            fix="install Go (https://go.dev/dl/) and put it on PATH",
        )


class OrchestratorStager(Stager):
    """Wheels made on the host: the image installs them with no index and no network.

    Local packages the service depends on (the config contract in contract/python) are
    named in its pyproject.toml under [tool.trader-images] local-packages, as folders
    relative to the service: they are built into wheels too, and are inputs of the
    staging, so a change there restages the image.
    """

    def _wheel_arch(self) -> str:
        try:
            return WHEEL_ARCH[self.arch]
        except KeyError:
            raise StagingError(f"orchestrator: no wheel architecture known for Docker's {self.arch!r}") from None

    def recipe(self) -> dict[str, str]:
        return {
            "python": TARGET_PYTHON,
            "abi": TARGET_ABI,
            "platforms": " ".join(manylinux_platforms(self._wheel_arch())),
            "source_date_epoch": SOURCE_DATE_EPOCH,
            **{f"local {rel}": tree_digest(path) for rel, path in self.local_packages().items()},
        }

    def local_packages(self) -> dict[str, Path]:
        """The folders [tool.trader-images] local-packages names in the service's pyproject.toml."""
        pyproject = self.source / "pyproject.toml"
        try:
            declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise StagingError(f"{self.service}: cannot read {pyproject}: {e}") from e
        packages = {}
        for rel in declared.get("tool", {}).get("trader-images", {}).get("local-packages", []):
            path = (self.source / rel).resolve()
            if not (path / "pyproject.toml").is_file():
                raise StagingError(f"{self.service}: local package {rel} in {pyproject} is not a folder with a "
                                   "pyproject.toml")
            packages[rel] = path
        return packages

    def _wheel(self, source: Path, scratch: Path, wheels: Path, log: Log, env: dict[str, str]) -> Path:
        """Build the one wheel of the Python project at `source` into `wheels`."""
        # A clean copy: setuptools leaves build/ and *.egg-info in the tree it builds.
        copy = scratch / f"src-{len(list(scratch.iterdir()))}"
        shutil.copytree(source, copy, ignore=lambda _dir, names: [n for n in names if ignored(n)])
        own = scratch / f"{copy.name}-wheel"
        log(f"orchestrator: pip wheel ({source.name if source != self.source else 'the service itself'})")
        _run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-input", "--progress-bar", "off",
             "--wheel-dir", str(own), str(copy)],
            env=env,
            what=f"orchestrator: building the wheel of {source}",
            fix="install pip for this Python (python3 -m ensurepip)",
            hint=f"check that `pip wheel {source}` works",
        )
        built = sorted(own.glob("*.whl"))
        if len(built) != 1:
            raise StagingError(f"orchestrator: `pip wheel` made {len(built)} wheels, expected one: {built}")
        shutil.copy(built[0], wheels / built[0].name)
        return wheels / built[0].name

    def populate(self, dest: Path, log: Log) -> None:
        _copy_required(self.source / "Dockerfile", dest / "Dockerfile", self.service)
        _copy_required(self.source / "bin" / "orchestrator", dest / "bin" / "orchestrator", self.service)
        wheels = dest / "wheels"
        wheels.mkdir()
        pip_env = {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        fix = "install pip for this Python (python3 -m ensurepip)"
        hint = "check that PyPI is reachable (pip config, proxy) and that `pip wheel services/orchestrator` works"
        with tempfile.TemporaryDirectory(prefix="orchestrator-wheel-") as scratch:
            own_wheel = self._wheel(self.source, Path(scratch), wheels, log, pip_env)
            for package in self.local_packages().values():
                self._wheel(package, Path(scratch), wheels, log, pip_env)
        platforms = [arg for tag in manylinux_platforms(self._wheel_arch()) for arg in ("--platform", tag)]
        # The service pins its whole dependency set there, so the same source gives the same wheels.
        constraints = self.source / CONSTRAINTS_FILE
        pins = ["--constraint", str(constraints)] if constraints.is_file() else []
        log(f"orchestrator: pip download of its dependencies (cp311, {self._wheel_arch()} manylinux)")
        _run(
            [sys.executable, "-m", "pip", "download", "--no-input", "--progress-bar", "off",
             "--only-binary=:all:", "--implementation", "cp", "--python-version", TARGET_PYTHON,
             "--abi", TARGET_ABI, *platforms, *pins, "--find-links", str(wheels), "--dest", str(wheels),
             str(own_wheel)],
            env=pip_env,
            what="orchestrator: downloading dependency wheels",
            fix=fix,
            hint=hint + f"; every dependency must have a cp311 manylinux wheel (see {CONSTRAINTS_FILE})",
        )


STAGERS: dict[str, type[Stager]] = {
    "configwriter": GoStaticStager,
    "orchestrator": OrchestratorStager,
    "scanner": GoStaticStager,
}
SERVICES = tuple(sorted(STAGERS))


def _read_record(path: Path) -> dict[str, str]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def stage(service: str, root: Path, arch: str, *, log: Log = lambda _msg: None) -> StagedContext:
    """Make `build/images/<service>/` unless it already holds what the sources give."""
    started = time.monotonic()
    try:
        stager = STAGERS[service](service, root / "services" / service, arch)
    except KeyError:
        raise StagingError(f"unknown service {service!r}; known: {', '.join(SERVICES)}") from None
    context = root / STAGE_DIR / service
    record_path = root / STATE_DIR / f"{service}.json"
    inputs = stager.inputs_digest()
    record = _read_record(record_path)
    if record.get("inputs") == inputs and context.is_dir():
        digest = tree_digest(context, ignore=False)
        if digest == record.get("context"):
            return StagedContext(service, context, digest, False, time.monotonic() - started)
        log(f"{service}: staged files changed since they were made; staging again")
    context.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{service}-", dir=context.parent))
    try:
        stager.populate(fresh, log)
        digest = tree_digest(fresh, ignore=False)
        if context.exists():
            shutil.rmtree(context)
        fresh.rename(context)
    finally:
        if fresh.exists():
            shutil.rmtree(fresh)
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps({"inputs": inputs, "context": digest}, indent=2) + "\n")
    return StagedContext(service, context, digest, True, time.monotonic() - started)
