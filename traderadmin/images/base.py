"""The Python base image of the orchestrator, found or made without a registry.

Order: the standard `python:3.11-slim` when it is already local, then our own
Debian base when it was made before, then a pull of the slim image (it fails in a
fraction of a second when no registry is reachable), and last a base made from
Debian packages: `debootstrap --variant=minbase` of the recipe below into a cache
outside the repository, pruned, and `docker import`ed as
`traderadmin/python-base:<hash of the recipe>`. The recipe hash names the image,
so a changed recipe makes a new base and an unchanged one is reused.

Both bases are Debian bookworm-compatible (glibc 2.36 or newer), which is what
the orchestrator's manylinux wheels are chosen for (see staging.py).
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traderadmin.images.contenthash import mapping_digest, short
from traderadmin.images.errors import BaseImageError
from traderadmin.tails import tail

SLIM_REPOSITORY = "python"
SLIM_TAG = "3.11-slim"
SLIM_REF = f"{SLIM_REPOSITORY}:{SLIM_TAG}"
DEBIAN_REPOSITORY = "traderadmin/python-base"
DEFAULT_MIRROR = "http://deb.debian.org/debian"

# Docker reports the kernel's machine name; debootstrap and dpkg want Debian's.
DPKG_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

# Files no program in the image reads: package caches and lists, manuals,
# translations, logs of the bootstrap itself, device nodes (the runtime makes /dev).
PRUNED_PATHS = (
    "var/cache/apt/archives",
    "var/cache/apt/pkgcache.bin",
    "var/cache/apt/srcpkgcache.bin",
    "var/lib/apt/lists",
    "var/log",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "dev",
)

IMPORT_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)

Log = Callable[[str], None]


@dataclass(frozen=True)
class DebianRecipe:
    """What goes into the Debian-made base; its hash is the image tag."""

    arch: str = "amd64"
    suite: str = "bookworm"
    variant: str = "minbase"
    # python3 for the interpreter; ca-certificates so TLS to alert webhooks verifies.
    packages: tuple[str, ...] = ("python3", "ca-certificates")
    pruned: tuple[str, ...] = PRUNED_PATHS
    changes: tuple[str, ...] = IMPORT_CHANGES

    @property
    def digest(self) -> str:
        return mapping_digest(
            {
                "arch": self.arch,
                "suite": self.suite,
                "variant": self.variant,
                "packages": ",".join(sorted(self.packages)),
                "pruned": ",".join(self.pruned),
                "changes": "\n".join(self.changes),
            }
        )

    @property
    def tag(self) -> str:
        return short(self.digest)

    @property
    def ref(self) -> str:
        return f"{DEBIAN_REPOSITORY}:{self.tag}"


@dataclass(frozen=True)
class BaseImage:
    """The base the orchestrator is built FROM, and how it was obtained."""

    ref: str
    image_id: str
    source: str  # "local" | "pulled" | "cached" | "debootstrap"
    kind: str  # "python-slim" | "debian"
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        how = {
            "local": "already present",
            "pulled": "pulled from the registry",
            "cached": "made earlier from Debian packages",
            "debootstrap": f"made from Debian packages in {self.seconds:.0f}s",
        }[self.source]
        return f"{self.ref} ({how})"


def _image_id(client: Any, ref: str) -> str | None:
    import docker.errors

    try:
        return client.api.inspect_image(ref)["Id"]
    except docker.errors.ImageNotFound:
        return None


def recipe_for(client: Any) -> DebianRecipe:
    """The recipe for the engine's architecture (an arm64 Mac gets an arm64 base)."""
    machine = client.info().get("Architecture", platform.machine())
    arch = DPKG_ARCH.get(machine)
    if arch is None:
        raise BaseImageError(f"no Debian architecture known for Docker's architecture {machine!r}")
    return DebianRecipe(arch=arch)


def resolve_base(
    client: Any,
    cache_root: Path,
    *,
    mirror: str = DEFAULT_MIRROR,
    pull: bool = True,
    log: Log = lambda _msg: None,
) -> BaseImage:
    """Find, pull or make the Python base image (see the module docstring for the order)."""
    recipe = recipe_for(client)
    slim_id = _image_id(client, SLIM_REF)
    if slim_id:
        return BaseImage(SLIM_REF, slim_id, "local", "python-slim")
    debian_id = _image_id(client, recipe.ref)
    if debian_id:
        return BaseImage(recipe.ref, debian_id, "cached", "debian")
    notes: list[str] = []
    if pull:
        started = time.monotonic()
        reason = _try_pull(client)
        if reason is None:
            slim_id = _image_id(client, SLIM_REF)
            if slim_id:
                return BaseImage(SLIM_REF, slim_id, "pulled", "python-slim", time.monotonic() - started)
            reason = "the pull reported success but the image is not there"
        notes.append(f"pull of {SLIM_REF} failed in {time.monotonic() - started:.1f}s: {reason}")
        log(notes[-1])
    started = time.monotonic()
    image_id = make_debian_base(client, recipe, cache_root, mirror=mirror, log=log)
    return BaseImage(recipe.ref, image_id, "debootstrap", "debian", time.monotonic() - started, tuple(notes))


def _try_pull(client: Any) -> str | None:
    """Pull the slim image; return why it failed, or None."""
    import docker.errors
    import requests

    try:
        client.api.pull(SLIM_REPOSITORY, tag=SLIM_TAG)
    except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
        return str(getattr(exc, "explanation", None) or exc).strip().splitlines()[0][:300]
    return None


def _ensure_debootstrap(log: Log) -> str:
    found = shutil.which("debootstrap")
    if found:
        return found
    if platform.system() != "Linux" or os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise BaseImageError(
            f"{SLIM_REF} cannot be pulled and no base can be made here: making one from Debian packages "
            "needs debootstrap as root on Debian/Ubuntu. Fix: load the image from another machine "
            f"(`docker save {SLIM_REF}` there, `docker load` here), or run this on Linux as root."
        )
    log("installing debootstrap with apt-get")
    proc = subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "debootstrap"],
        capture_output=True,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("debootstrap") or ("/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").exists() else None)
    if proc.returncode != 0 or not found:
        raise BaseImageError(
            f"`apt-get install -y debootstrap` failed (exit {proc.returncode}):\n{tail(proc.stderr)}\n"
            "Fix: run `apt-get update` and retry."
        )
    return found


def _prune(rootfs: Path, pruned: tuple[str, ...]) -> None:
    """Empty each pruned directory (keeping it, as packages expect it) or delete the file."""
    for rel in pruned:
        path = rootfs / rel
        if path.is_dir() and not path.is_symlink():
            for child in path.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        elif path.exists() or path.is_symlink():
            path.unlink()


def make_debian_base(
    client: Any,
    recipe: DebianRecipe,
    cache_root: Path,
    *,
    mirror: str = DEFAULT_MIRROR,
    log: Log = lambda _msg: None,
) -> str:
    """Make (or re-import from the cached tarball) the Debian base; return its image id."""
    from filelock import FileLock

    work = cache_root / "python-base" / recipe.tag
    tarball = work / "rootfs.tar"
    work.mkdir(parents=True, exist_ok=True)
    # The cache is shared by every checkout on the machine: one debootstrap at a time.
    with FileLock(str(work.parent / f"{recipe.tag}.lock")):
        if not tarball.exists():
            _bootstrap_tarball(recipe, work, tarball, mirror=mirror, log=log)
    log(f"importing {tarball} as {recipe.ref}")
    changes = [*recipe.changes, f"LABEL traderadmin.recipe-sha256={recipe.digest}"]
    try:
        client.api.import_image_from_file(str(tarball), repository=DEBIAN_REPOSITORY, tag=recipe.tag, changes=changes)
    except Exception as exc:  # the SDK raises several unrelated types for a failed upload
        raise BaseImageError(f"`docker import` of {tarball} failed: {exc}. Fix: delete {work} and retry.") from exc
    image_id = _image_id(client, recipe.ref)
    if image_id is None:
        raise BaseImageError(f"`docker import` of {tarball} reported success but {recipe.ref} is missing")
    return image_id


def _bootstrap_tarball(recipe: DebianRecipe, work: Path, tarball: Path, *, mirror: str, log: Log) -> None:
    debootstrap = _ensure_debootstrap(log)
    work.mkdir(parents=True, exist_ok=True)
    debs = work.parent / "debs"
    debs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rootfs-", dir=work) as scratch:
        rootfs = Path(scratch) / "rootfs"
        command = [
            debootstrap,
            f"--variant={recipe.variant}",
            f"--arch={recipe.arch}",
            f"--include={','.join(recipe.packages)}",
            f"--cache-dir={debs.resolve()}",
            recipe.suite,
            str(rootfs),
            mirror,
        ]
        log("running " + " ".join(command))
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BaseImageError(
                f"`{' '.join(command)}` failed (exit {proc.returncode}):\n{tail(proc.stdout + proc.stderr)}\n"
                f"Fix: check that {mirror} answers (or pass another Debian mirror) and retry."
            )
        _prune(rootfs, recipe.pruned)
        partial = Path(scratch) / "rootfs.tar"
        proc = subprocess.run(
            ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(partial), "."],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise BaseImageError(f"packing {rootfs} failed:\n{tail(proc.stderr)}")
        partial.replace(tarball)
