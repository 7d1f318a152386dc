"""Load images with the cluster's own CLI: `kind`, `k3d`, `minikube`.

Each reads the image from the local Docker Engine and copies it into every node
of the named cluster. The commands and flags, as each tool documents them:
- `kind load docker-image IMAGE --name CLUSTER` (kubernetes-sigs/kind
  pkg/cmd/kind/load/docker-image: `--name`, default "kind"; it skips nodes that
  already hold the image's ID, so a repeat is cheap);
- `k3d image import IMAGE --cluster CLUSTER` (k3d.io, k3d_image_import: `-c, --cluster`,
  default k3s-default);
- `minikube image load IMAGE --profile PROFILE` (minikube.sigs.k8s.io commands:
  `-p, --profile`, inherited by every subcommand, default "minikube").
"""
from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from traderadmin.images.errors import ClusterToolError
from traderadmin.tails import tail

Run = Callable[..., subprocess.CompletedProcess[str]]
Log = Callable[[str], None]

# Loading a large image into a multi-node cluster can take minutes; a hung CLI must not hang deploy.
TIMEOUT_S = 900.0
REGISTRY_FIX = "deliver through a registry the cluster pulls from with --registry HOST/PREFIX"


@dataclass(frozen=True)
class Loader:
    tool: str
    subcommand: tuple[str, ...]
    cluster_flag: str
    install: str  # where the tool's installation is documented
    inspect: str  # the command that shows which clusters the tool knows

    def argv(self, ref: str, cluster: str) -> list[str]:
        return [self.tool, *self.subcommand, ref, self.cluster_flag, cluster]


LOADERS: dict[str, Loader] = {
    "kind": Loader("kind", ("load", "docker-image"), "--name",
                   "https://kind.sigs.k8s.io/docs/user/quick-start/#installation", "kind get clusters"),
    "k3d": Loader("k3d", ("image", "import"), "--cluster", "https://k3d.io/stable/#installation", "k3d cluster list"),
    "minikube": Loader("minikube", ("image", "load"), "--profile", "https://minikube.sigs.k8s.io/docs/start/",
                       "minikube profile list"),
}


def run_tool(argv: Sequence[str], *, install: str, fix: str, run: Run = subprocess.run,
             timeout: float = TIMEOUT_S) -> None:
    """Run a cluster CLI; any failure is a ClusterToolError with the command, its exit code,
    the end of its stderr and `fix` (`install`: where to get the tool when it is missing)."""
    command = shlex.join(argv)
    try:
        proc = run(list(argv), capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise ClusterToolError(f"{argv[0]} not found on PATH: install it ({install}), or {REGISTRY_FIX}") from exc
    except subprocess.TimeoutExpired as exc:
        raise ClusterToolError(f"`{command}` did not finish within {timeout:.0f} s. Fix: {fix}") from exc
    if proc.returncode != 0:
        failed = subprocess.CalledProcessError(proc.returncode, list(argv), proc.stdout, proc.stderr)
        raise ClusterToolError(
            f"`{command}` exited {proc.returncode}: {tail(proc.stderr or proc.stdout or '(no output)', lines=6, limit=800)}\n"
            f"Fix: {fix}"
        ) from failed


def load_image(ref: str, provider: str, cluster: str, *, run: Run = subprocess.run,
               log: Log = lambda _msg: None) -> float:
    """Load `ref` into `cluster` with `provider`'s CLI; return the seconds it took."""
    loader = LOADERS[provider]
    argv = loader.argv(ref, cluster)
    log(shlex.join(argv))
    started = time.monotonic()
    run_tool(argv, install=loader.install, run=run,
             fix=f"check that {provider} cluster {cluster!r} exists and runs (`{loader.inspect}`), or {REGISTRY_FIX}")
    return time.monotonic() - started
