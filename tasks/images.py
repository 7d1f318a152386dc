"""Build the service images (no registry needed), list them, get them into a cluster (or a registry)."""
from __future__ import annotations

from invoke import Collection

from ._common import CONTEXT_HELP, REGISTRY_HELP, ROOT, cluster_choice, fail, print_json, stdout_console, target, task

_JSON_HELP = "Print JSON for scripts instead of a table."


def _settings(c):
    return c.config.images


def _build(c, services, as_json: bool):
    from traderadmin.dockerengine import DockerEngineError
    from traderadmin.images import SERVICES, ImagesError, build_images, cache_root, docker_client
    from traderadmin.images.progress import reporter_for

    from traderadmin.cli.args import UsageError, choice

    try:
        chosen = tuple(choice(s, "--service", SERVICES) for s in services) or SERVICES
    except UsageError as e:  # a typo: exit 2 with the name it was likely meant to be
        fail(e, as_json)
    settings = _settings(c)
    try:
        client = docker_client()
        # Progress goes to stderr, also with --json (stdout stays one JSON document): a build of minutes in a
        # CI log is never silent.
        with reporter_for() as reporter:
            return build_images(ROOT, client, cache_root(), services=chosen, mirror=settings.debian_mirror,
                                pull_base=settings.pull_base, reporter=reporter), client
    except (ImagesError, DockerEngineError) as e:
        fail(e, as_json)


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1e6:.1f} MB"


@task(
    default=True,
    iterable=["service"],
    help={"service": "Build only this service (repeatable): orchestrator, scanner.", "json": _JSON_HELP},
)
def build(c, service=None, json=False):
    """Build the images with content-hash tags; unchanged sources build nothing."""
    report, _ = _build(c, service or [], json)
    if json:
        print_json(report.as_dict())
        return
    out = stdout_console()
    if report.base is not None:
        out.print(f"base: {report.base.describe()}")
        for note in report.base.notes:
            out.print(f"  {note}")
    # Plain lines, not a table: a tag cut short to fit a narrow terminal is useless.
    width = max(len(image.ref) for image in report.images)
    for image in report.images:
        seconds = image.stage_seconds + image.build_seconds
        out.print(f"{image.service:<13} {image.ref:<{width}}  {'built' if image.built else 'unchanged':<9} "
                  f"{_size(image.size_bytes):>9} {seconds:5.1f}s")
    out.print(f"done in {report.seconds:.1f}s")


@task(name="list", help={"json": _JSON_HELP})
def list_(c, json=False):
    """List the service images and Python bases in the local Docker Engine."""
    from traderadmin.dockerengine import DockerEngineError
    from traderadmin.images import docker_client, list_images

    try:
        rows = list_images(docker_client(start=False))
    except DockerEngineError as e:
        fail(e, json)
    if json:
        print_json([row.as_dict() for row in rows])
        return
    out = stdout_console()
    if not rows:
        out.print("no TraderAdmin images yet; run `invoke images.build`")
        return
    width = max(len(row.ref) for row in rows)
    for row in rows:
        out.print(f"{row.role:<13} {row.ref:<{width}}  {row.image_id.removeprefix('sha256:')[:12]}  "
                  f"{_size(row.size_bytes):>9}  {row.created}")


@task(help={
    "context": CONTEXT_HELP,
    "registry": REGISTRY_HELP,
    "socket": "containerd socket of the local cluster (default: the one `cluster.up` starts).",
    "json": _JSON_HELP,
})
def deliver(c, context=None, registry=None, socket=None, json=False):
    """Build (a no-op when unchanged), then get the images into the cluster the way it needs, or push them to --registry."""
    from pathlib import Path

    from traderadmin.images import ImagesError, check_target, deliver_images

    context, registry = cluster_choice(c, context, registry)
    _, status, _ = target(c, json, context, registry)
    where = dict(desktop_mode=status.mode or None, cluster=status.cluster, registry=registry, context=status.context)
    try:
        check_target(status.provider, **where)  # before a build of minutes
    except ImagesError as e:
        fail(e, json)
    report, client = _build(c, [], json)
    refs = [image.ref for image in report.images]
    try:
        deliveries = deliver_images(refs, status.provider, client=client, **where,
                                    containerd_socket=Path(socket) if socket else None)
    except ImagesError as e:
        fail(e, json)
    if json:
        print_json({"provider": status.provider, "context": status.context, "images": [d.as_dict() for d in deliveries]})
        return
    out = stdout_console()
    for d in deliveries:
        pushed = f" as {d.pushed_as}" if d.pushed_as else ""
        out.print(f"{d.ref}: {d.action}{pushed}" + (f" in {d.seconds:.1f}s" if d.seconds else ""))


ns = Collection(build, list_, deliver)
# A top-level key of its own: invoke merges collection settings one level deep only.
# Override in invoke.yaml (images.*) or with INVOKE_IMAGES_* variables.
ns.configure({"images": {"debian_mirror": "http://deb.debian.org/debian", "pull_base": True}})
