"""Build the cluster's binaries from upstream Go modules through the Go proxy.

Each build is a small module written into the cache folder that requires the
upstream module (k8s.io/kubernetes, go.etcd.io/etcd/server/v3) and runs
`go build` on its commands. Finished binaries land in a folder named by a key
over everything that shapes them, so a cache hit is just a directory check, and
Go's own module and build caches make a rebuild after a change incremental.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from traderadmin.errors import ToolkitError
from traderadmin.localcluster import versions
from traderadmin.system.paths import cache_dir
from traderadmin.tails import tail_file

GO_SOURCES = Path(__file__).parent / "gosrc"
COMPLETE_MARKER = ".complete"
MIN_GO = (1, 24)


class BuildError(ToolkitError):
    """A Go build failed; the message names the log to read."""


@dataclass(frozen=True)
class GoBuild:
    """One module folder, one `go build` invocation per output group."""

    name: str
    go_mod: str
    # Folder under <cache>/src holding the go.mod; builds may share one.
    module: str
    # (package path, output path relative to the bin folder, or "" for "by package name")
    targets: tuple[tuple[str, str], ...]
    ldflags: str = ""
    # Extra local packages: folder inside the module -> source folder to copy from.
    local_packages: dict[str, Path] = field(default_factory=dict)
    # Extra environment for `go` (not part of the key: it changes how modules are fetched, not the binary).
    env: dict[str, str] = field(default_factory=dict)

    def key(self, go_version: str) -> str:
        digest = hashlib.sha256()
        for part in (self.go_mod, self.ldflags, repr(self.targets), go_version):
            digest.update(part.encode())
        for rel, src in sorted(self.local_packages.items()):
            for file in sorted(src.glob("*.go")):
                digest.update(f"{rel}/{file.name}".encode())
                digest.update(file.read_bytes())
        return digest.hexdigest()[:12]


def go_binary() -> str:
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "Go is not installed (needed to build Kubernetes). Fix: install Go >= "
            f"{MIN_GO[0]}.{MIN_GO[1]} from https://go.dev/dl/ and put its bin folder on PATH"
        )
    return go


def go_version() -> str:
    out = subprocess.run([go_binary(), "env", "GOVERSION"], capture_output=True, text=True, check=True)
    version = out.stdout.strip()
    parts = version.removeprefix("go").split(".")
    if tuple(int(p) for p in parts[:2] if p.isdigit()) < MIN_GO:
        raise BuildError(f"{version} is too old to build Kubernetes {versions.KUBERNETES_VERSION}; install Go >= 1.24")
    return version


def kubernetes_go_mod(version: str = versions.KUBERNETES_VERSION) -> str:
    staging = versions.staging_version(version)
    replaces = "\n".join(f"\t{m} => {m} {staging}" for m in versions.KUBERNETES_STAGING_MODULES)
    return (
        "module traderadmin.local/kubernetes-build\n\n"
        "go 1.24.0\n\n"
        f"require k8s.io/kubernetes {version}\n\n"
        f"replace (\n{replaces}\n)\n"
    )


def etcd_go_mod(version: str = versions.ETCD_VERSION) -> str:
    return (
        "module traderadmin.local/etcd-build\n\n"
        "go 1.26.0\n\n"
        f"require go.etcd.io/etcd/server/v3 {version}\n"
    )


def kubernetes_ldflags(version: str = versions.KUBERNETES_VERSION) -> str:
    """The -X flags upstream's release build sets, so components report their real version."""
    major, minor, _ = version.lstrip("v").split(".")
    values = {
        "gitVersion": version,
        "gitMajor": major,
        "gitMinor": minor,
        "gitTreeState": "clean",
        "gitCommit": f"module-{version}",
        # A fixed date keeps the build key, and so the cache, stable across runs.
        "buildDate": "1970-01-01T00:00:00Z",
    }
    flags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {pkg}.{name}={value}" for name, value in values.items()]
    return " ".join(flags)


def kubernetes_build(version: str = versions.KUBERNETES_VERSION) -> GoBuild:
    return GoBuild(
        name=f"kubernetes-{version}",
        go_mod=kubernetes_go_mod(version),
        module=f"kubernetes-{version}",
        targets=tuple((f"k8s.io/kubernetes/cmd/{c}", "") for c in versions.KUBERNETES_COMPONENTS),
        ldflags=kubernetes_ldflags(version),
    )


HELPERS = ("hostpath-provisioner", "pause", "runc-oom-clamp")


def helpers_build(version: str = versions.KUBERNETES_VERSION) -> GoBuild:
    """Our small programs (provisioner, pause, the runc wrapper): in the Kubernetes module
    (same client-go, all compiled already) but a build of their own, so editing them
    relinks only them."""
    return GoBuild(
        name=f"helpers-{version}",
        go_mod=kubernetes_go_mod(version),
        module=f"kubernetes-{version}",
        targets=tuple((f"./{name}", "") for name in HELPERS),
        ldflags="-s -w",
        local_packages={name: GO_SOURCES / name for name in HELPERS},
    )


def cri_dockerd_go_mod() -> str:
    replaces = "\n".join(
        f"\t{module} => {target}"
        for module, target in (
            (versions.CRI_DOCKERD_MODULE, f"{versions.CRI_DOCKERD_FORK} {versions.CRI_DOCKERD_VERSION}"),
            *versions.CRI_DOCKERD_REPLACES,
        )
    )
    # `tool` keeps the requirement: a main package cannot be imported, so without it
    # `go mod tidy` (and -mod=mod) would drop the module.
    return (
        "module traderadmin.local/cri-dockerd-build\n\n"
        "go 1.26.0\n\n"
        f"require {versions.CRI_DOCKERD_MODULE} v0.0.0\n\n"
        f"tool {versions.CRI_DOCKERD_MODULE}\n\n"
        f"replace (\n{replaces}\n)\n"
    )


def cri_dockerd_build(version: str = versions.CRI_DOCKERD_VERSION) -> GoBuild:
    """cri-dockerd, the CRI shim Docker Desktop's kubeadm mode puts between the kubelet and the Docker Engine."""
    return GoBuild(
        name=f"cri-dockerd-{version}",
        go_mod=cri_dockerd_go_mod(),
        module=f"cri-dockerd-{version}",
        targets=((versions.CRI_DOCKERD_MODULE, "cri-dockerd"),),
        ldflags=f"-s -w -X {versions.CRI_DOCKERD_MODULE}/cmd/version.Version={version}",
        env={"GONOSUMDB": versions.CRI_DOCKERD_GONOSUMDB},
    )


def etcd_build(version: str = versions.ETCD_VERSION) -> GoBuild:
    return GoBuild(
        name=f"etcd-{version}",
        go_mod=etcd_go_mod(version),
        module=f"etcd-{version}",
        targets=(("go.etcd.io/etcd/server/v3", "etcd"),),
        ldflags="-s -w",
    )


def bin_dir_for(build: GoBuild, go_ver: str, root: Path | None = None) -> Path:
    return (root or cache_dir()) / "bin" / f"{build.name}-{build.key(go_ver)}"


def prepare_module(build: GoBuild, module_dir: Path) -> None:
    module_dir.mkdir(parents=True, exist_ok=True)
    header = f"// traderadmin build module {build.module}; go build adds the indirect requirements below.\n"
    go_mod = module_dir / "go.mod"
    # `go build -mod=mod` appends indirect requirements: only reset the file when
    # what we asked for changed, so go.sum and those lines stay valid.
    if not go_mod.exists() or not go_mod.read_text().startswith(header + build.go_mod):
        go_mod.write_text(header + build.go_mod)
    for rel, src in build.local_packages.items():
        dest = module_dir / rel
        dest.mkdir(parents=True, exist_ok=True)
        for file in src.glob("*.go"):
            shutil.copyfile(file, dest / file.name)


def _build_env() -> dict[str, str]:
    # Static binaries, like upstream's release builds; they also run inside FROM scratch images.
    # GOTOOLCHAIN is left alone: with an older local Go, `go` fetches the toolchain a
    # module asks for (etcd 3.6.16 wants go 1.26) through the module proxy.
    return {**os.environ, "CGO_ENABLED": "0"}


def run_build(
    build: GoBuild,
    log_path: Path,
    progress: Callable[[str], None] = lambda _msg: None,
    root: Path | None = None,
) -> Path:
    """Build `build` unless its binaries are cached; return the folder holding them."""
    go_ver = go_version()
    out_dir = bin_dir_for(build, go_ver, root)
    if (out_dir / COMPLETE_MARKER).exists():
        return out_dir
    module_dir = (root or cache_dir()) / "src" / build.module
    prepare_module(build, module_dir)
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log_path, "a") as log:
        log.write(f"\n=== {_dt.datetime.now().isoformat(timespec='seconds')} building {build.name} in {module_dir}\n")
        groups: dict[str, list[str]] = {}
        for package, output in build.targets:
            groups.setdefault(output, []).append(package)
        for output, packages in groups.items():
            target = str(staging / output) if output else str(staging) + os.sep
            cmd = [go_binary(), "build", "-mod=mod", "-v", "-ldflags", build.ldflags, "-o", target, *packages]
            log.write("$ " + " ".join(cmd) + "\n")
            log.flush()
            _run_logged(cmd, module_dir, log, log_path, build.name, started, progress, build.env)
    (staging / COMPLETE_MARKER).write_text(f"{go_ver}\n{time.monotonic() - started:.0f}s\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    # Older builds of the same thing are ~500 MB each; running processes keep their
    # (deleted) executables until `cluster.up` restarts them on the new ones.
    for old in out_dir.parent.glob(f"{build.name}-*"):
        if old != out_dir and len(old.name) == len(out_dir.name):
            shutil.rmtree(old, ignore_errors=True)
    return out_dir


def _run_logged(
    cmd: list[str],
    cwd: Path,
    log,
    log_path: Path,
    name: str,
    started: float,
    progress: Callable[[str], None],
    extra_env: dict[str, str],
) -> None:
    proc = subprocess.Popen(cmd, cwd=cwd, env={**_build_env(), **extra_env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    compiled = 0
    for line in proc.stdout:
        log.write(line)
        log.flush()
        if not line.startswith(("go: downloading", "#")):
            compiled += 1
        progress(f"building {name}: {compiled} packages compiled, {time.monotonic() - started:.0f}s (log: {log_path})")
    if proc.wait() != 0:
        log.flush()
        raise BuildError(
            f"`go build` for {name} failed (exit {proc.returncode}). Last lines of {log_path}:\n{tail_file(log_path)}"
        )


def mirror_build() -> GoBuild:
    """The registry mirror the kind flavor's node pulls through; its own module, as its
    Docker client pins differ from Kubernetes'."""
    return GoBuild(
        name="registry-mirror",
        go_mod=(
            "module traderadmin.local/registry-mirror-build\n\n"
            "go 1.25.0\n\n"
            f"require github.com/google/go-containerregistry {versions.GO_CONTAINERREGISTRY_VERSION}\n"
        ),
        module="registry-mirror",
        targets=(("./registry-mirror", ""),),
        ldflags="-s -w",
        local_packages={"registry-mirror": GO_SOURCES / "registry-mirror"},
    )


def dockerd_build() -> GoBuild:
    """A Docker Engine that has the containerd image store (see engines.py)."""
    return GoBuild(
        name=f"dockerd-{versions.DOCKER_VERSION}",
        go_mod=(
            "module traderadmin.local/dockerd-build\n\n"
            "go 1.26.3\n\n"
            f"require {versions.MOBY_MODULE} {versions.MOBY_VERSION}\n\n"
            f"tool {versions.MOBY_MODULE}/cmd/dockerd\n"
        ),
        module=f"dockerd-{versions.DOCKER_VERSION}",
        # docker-proxy publishes ports bound to loopback; Debian's belongs to its older engine.
        targets=((f"{versions.MOBY_MODULE}/cmd/dockerd", "dockerd"),
                 (f"{versions.MOBY_MODULE}/cmd/docker-proxy", "docker-proxy")),
        ldflags=(f"-s -w -X {versions.MOBY_MODULE}/dockerversion.Version={versions.DOCKER_VERSION}"
                 f" -X {versions.MOBY_MODULE}/dockerversion.GitCommit={versions.MOBY_VERSION}"),
    )


# Builds only some flavors need, by the name a flavor lists them under.
EXTRA_BUILDS: dict[str, Callable[[], GoBuild]] = {
    "cri-dockerd": cri_dockerd_build,
    "registry-mirror": mirror_build,
    "dockerd": dockerd_build,
}


def all_builds(extras: tuple[str, ...] | None = None) -> tuple[GoBuild, ...]:
    """The core builds plus `extras` (None: every extra, as status and down look for all)."""
    names = tuple(EXTRA_BUILDS) if extras is None else extras
    return (kubernetes_build(), helpers_build(), etcd_build(), *(EXTRA_BUILDS[n]() for n in names))


def build_all(
    log_path: Path,
    progress: Callable[[str], None] = lambda _msg: None,
    root: Path | None = None,
    extras: tuple[str, ...] = (),
) -> dict[str, Path]:
    """Build (or find cached) Kubernetes, etcd and `extras`; map each binary name to its path."""
    binaries: dict[str, Path] = {}
    for build in all_builds(extras):
        folder = run_build(build, log_path, progress, root)
        for path in folder.iterdir():
            if not path.name.startswith("."):
                binaries[path.name] = path
    return binaries
