"""The image form of the suite: each check's service is a container of the user's image.

The check's folder is bind-mounted at /conformance, so the config the suite
edits, removes and replaces on the host is the one the container reads, and the
container's port is published on a free host port. `docker run` stays in the
foreground as the process the suite holds: it forwards SIGUSR1 and SIGTERM to
the container's main process (its signal proxy), and its exit is the
container's. Every container carries one run's label, so `remove_containers`
can clear whatever a service that ignored SIGTERM left behind.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import uuid

MOUNT = "/conformance"
CONFIG_IN_CONTAINER = f"{MOUNT}/config/config.toml"
LABEL = "traderadmin.conformance"


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def image_command(image: str, args: str, container_port: int, run_id: str, docker: str = "docker") -> str:
    """The suite's command template for `image`: `{config}` in `args` is the config's path in the container."""
    if not image.strip():
        raise ValueError("--image is empty")
    if not 1 <= container_port <= 65535:
        raise ValueError(f"--container-port {container_port} is not a TCP port (1-65535)")
    user = f"{os.getuid()}:{os.getgid()}"  # the checks' files are the caller's; the container reads them as such
    # {{ }} keep {dir} and {port} for render_command; {config} becomes the container's path.
    inner = args.replace("{config}", CONFIG_IN_CONTAINER).replace("{", "{{").replace("}", "}}")
    return (f"{shlex.quote(docker)} run --rm -i --label {LABEL}={run_id} --user {user} "
            f"-v {{dir}}:{MOUNT} -p 127.0.0.1:{{port}}:{container_port} {shlex.quote(image)} {inner}").strip()


def remove_containers(run_id: str, docker: str = "docker") -> int:
    """Force-remove this run's containers that are still there; how many there were."""
    found = subprocess.run([docker, "ps", "-aq", "--filter", f"label={LABEL}={run_id}"],
                           capture_output=True, text=True, check=False).stdout.split()
    if found:
        subprocess.run([docker, "rm", "-f", *found], capture_output=True, check=False)
    return len(found)
