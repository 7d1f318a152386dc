"""The daily loop: deploy the stack, reload its config, see its status and logs, take it down."""
from __future__ import annotations

import json as _json

from invoke import Exit

from ._common import (
    CONTEXT_HELP,
    REGISTRY_HELP,
    ROOT,
    build_reporter,
    check_names,
    cluster_choice,
    config_files,
    fail,
    print_json,
    seconds,
    stderr_console,
    stdout_console,
    target,
    task,
)

_JSON_HELP = "Print JSON for scripts instead of tables."
_NS_HELP = "Namespace of the stack (default from invoke.yaml: traderadmin)."


def _cluster(c, as_json: bool = False, context: str | None = None):
    """The light handle reload, status, logs and watch use: the API server of the chosen context, without
    the kubernetes client (1.5 s to import) or the provider's node checks."""
    from traderadmin.cluster.providers import light_handle
    from traderadmin.errors import ToolkitError

    context, _ = cluster_choice(c, context)
    try:
        return light_handle(c.config.traderadmin.provider, context)
    except ToolkitError as e:
        fail(e, as_json)


def read_config(c) -> dict:
    from traderadmin.config import read

    return read(config_files(c))[1]


def _progress(console):
    def show(phase: str, message: str) -> None:
        console.print(f"[dim]{phase:>8}[/] {message}", highlight=False, markup=True)
    return show


def _status_table(c, kube, namespace: str):
    """The stack's status and its table."""
    from rich.table import Table

    from traderadmin.config import ConfigError, read, sha256
    from traderadmin.stack.status import stack_status

    try:
        local = sha256(read(config_files(c))[0])
    except ConfigError:
        local = None
    report = stack_status(kube, namespace, local)
    table = Table(title=f"namespace {namespace}", title_justify="left")
    for col in ("service", "pod", "phase", "ready", "restarts", "config sha256", "matches local", "last error"):
        table.add_column(col, overflow="fold")
    for r in report.rows():
        table.add_row(r["service"], r["pod"], r["phase"], "yes" if r["ready"] else "no", str(r["restarts"]),
                      (r["config_sha256"] or "")[:12], {True: "yes", False: "NO", None: ""}[r["matches_local"]],
                      r["last_error"] or "")
    return table, report


@task(auto_shortflags=False, help={
    "namespace": _NS_HELP,
    "context": CONTEXT_HELP,
    "registry": REGISTRY_HELP,
    "host_network": "Run the services with hostNetwork (Linux: reach TWS on the host as localhost); "
                    "set traderadmin.host_network in invoke.yaml to make it the default.",
    "timeout": "How long to wait for every pod to run: 300, 90s, 5m (default traderadmin.deploy_timeout).",
    "confirm_live": "Allow the deploy to start LIVE trading (real money).",
    "json": _JSON_HELP,
})
def deploy(c, namespace=None, context=None, registry=None, host_network=False, timeout=None, confirm_live=False,
           json=False):
    """Build images, get them into the cluster, apply deploy/, put the config in its volume, wait, show status."""
    from traderadmin.errors import ToolkitError
    from traderadmin.stack import pipeline

    ns = namespace or c.config.traderadmin.namespace
    context, registry = cluster_choice(c, context, registry)
    provider, status, kube = target(c, json, context, registry)
    out = stdout_console()
    try:
        settings = c.config.traderadmin
        report = pipeline.deploy_stack(
            kube, root=ROOT, files=config_files(c), namespace=ns, provider=status.provider,
            desktop_mode=status.mode or None, cluster=status.cluster, registry=registry, confirm_live=confirm_live,
            host_network=host_network or settings.host_network,
            timeout=seconds(c, timeout, "deploy_timeout"),
            # With --json, stdout is one JSON document: the progress lines go to stderr.
            progress=_progress(stderr_console() if json else out), reporter=build_reporter())
    except ToolkitError as e:
        fail(e, json)
    if json:
        print_json(report.as_dict())
        return
    from traderadmin.doctor import tws_address_finding

    tws = tws_address_finding(read_config(c), status.provider, host_network or settings.host_network)
    if not tws.ok:
        out.print(f"[yellow]! {tws.detail}[/]\n  fix: {tws.fix}")
    verdict = "changed" if report.changed else "nothing changed"
    out.print(f"[green]✓[/] deployed to {status.provider} ({status.mode or provider.context}) namespace {ns} "
              f"in {report.seconds:.1f} s — {verdict}")
    out.print(_status_table(c, kube, ns)[0])


@task(iterable=["set_"], help={
    "set_": "KEY=VALUE to change before reloading (repeatable: --set a=1 --set b=2).",
    "confirm_live": "Allow switching trading.mode to LIVE (real money).",
    "namespace": _NS_HELP,
    "context": CONTEXT_HELP,
    "timeout": "How long to wait for both services to confirm the new config: 30, 30s, 2m "
               "(default traderadmin.reload_timeout).",
    "json": _JSON_HELP,
})
def reload(c, set_=None, confirm_live=False, namespace=None, context=None, timeout=None, json=False):
    """Validate and back up the config, write it into the cluster, and confirm both services run it."""
    from concurrent.futures import ThreadPoolExecutor

    ns = namespace or c.config.traderadmin.namespace
    wait = seconds(c, timeout, "reload_timeout")
    saved = None
    # Reaching the cluster (kubeconfig, TLS, one pod listing) overlaps loading the config library,
    # the two largest costs of a reload after the exec itself.
    with ThreadPoolExecutor(max_workers=1) as pool:
        reaching = pool.submit(_cluster_and_pods, c, json, context, ns)
        files = config_files(c)
        from traderadmin.stack import reload as reloading
        from traderadmin.config import read, set_values, sha256, toml_value
        from traderadmin.errors import ToolkitError

        kube, pods = reaching.result()  # an unreachable cluster stops the reload before the file is edited
    try:
        if set_:
            saved, changes = set_values(files, list(set_), confirm_live)
            if not json:
                for ch in changes:
                    print(f"  {ch.key}: {toml_value(ch.old)} → {toml_value(ch.new)}")
        data, config = read(files)
        reloading.guard_live_in_cluster(kube, ns, config, confirm_live, pods)
    except ToolkitError as e:
        _refused(e, json, saved, ns)
    try:
        outcome = reloading.push(kube, ns, data, sha256(data), pods=pods, timeout=wait)
    except ToolkitError as e:
        _refused(e, json, saved, ns)
    if json:
        print_json({"ok": outcome.ok, "sha256": outcome.sha256, "written": outcome.written,
                    "seconds": round(outcome.seconds, 3), "signalled": outcome.signalled,
                    "services": [r.__dict__ for r in outcome.results]})
    else:
        # Plain lines (colour on a terminal only): rich costs more to load than the reload's own work here.
        ok, bad = _marks()
        for r in outcome.results:
            when = f"after {r.seconds:.2f} s" if r.seconds is not None else f"still on {(r.config_sha256 or 'nothing')[:12]}"
            print(f"{ok if r.ok else bad} {r.service:<12} {r.pod}  {when}")
        if outcome.ok:
            print(f"config {outcome.sha256[:12]} {'written' if outcome.written else 'already in the volume'}; "
                  f"confirmed in {outcome.seconds:.2f} s")
    if not outcome.ok:
        raise Exit(reloading.failure_report(kube, ns, outcome), code=1)


def _refused(error: Exception, as_json: bool, saved, namespace: str):
    """Report a reload that stopped, saying exactly what was written: the local file may have been saved
    (and backed up) by --set before the cluster's guard or the push refused; the cluster never was."""
    if saved is None or not saved.changed:
        fail(error, as_json)  # "nothing was written": neither the local file nor the cluster
    from traderadmin.config import backup_id

    backup = f"backup {backup_id(saved.backup)}" if saved.backup else "no backup (it is the first save)"
    fail(error, as_json, wrote_nothing=False, saved=saved,
         note=f"the local file {saved.path} WAS saved (sha256 {saved.new_sha256[:12]}; the previous one is in "
              f"{saved.path.name}.bak and {backup}); the cluster (namespace {namespace}) was left untouched: it "
              f"still runs its previous config. Fix the cause above and run `invoke reload` "
              f"again, or undo the local save with `invoke config.restore"
              + (f" --backup {backup_id(saved.backup)}`" if saved.backup else "`"))


def _cluster_and_pods(c, as_json: bool, context: str | None, ns: str):
    """The light handle and one listing of the namespace's pods (it serves the guard, the writer and the wait)."""
    from traderadmin.errors import ToolkitError

    kube = _cluster(c, as_json, context)
    try:
        return kube, kube.pods(ns)
    except ToolkitError as e:
        fail(e, as_json)


def _marks() -> tuple[str, str]:
    import sys

    if sys.stdout.isatty():
        return "\033[32m✓\033[0m", "\033[31m✗\033[0m"
    return "✓", "✗"


@task(help={"namespace": _NS_HELP, "context": CONTEXT_HELP, "json": _JSON_HELP})
def status(c, namespace=None, context=None, json=False):
    """Pods, readiness, restarts, and the config hash each service runs (vs. the local file).

    Exit 0: all ready on the local config; 1: no stack; 3: something not ready or not on the local config.
    """
    ns = namespace or c.config.traderadmin.namespace
    from traderadmin.errors import ToolkitError

    kube = _cluster(c, json, context)
    try:
        table, report = _status_table(c, kube, ns)
    except ToolkitError as e:
        fail(e, json)
    if json:
        print_json({"namespace": ns, "local_config_sha256": report.local_sha256, "healthy": report.healthy,
                    "pods": report.rows()})
    elif report.pods:
        stdout_console().print(table)
    if not report.pods:
        raise Exit(f"no stack in namespace {ns}: `invoke deploy` starts it", code=1)
    if not report.healthy:
        raise Exit(code=3)


@task(help={"service": "orchestrator, scanner or config-writer (default: orchestrator and scanner).",
            "follow": "Keep streaming new lines; without --service every service's, each line prefixed with it.",
            "tail": "Lines from the end of each log to start with (default 50).",
            "since": "Only lines newer than this: 30s, 10m, 2h.",
            "previous": "The log of each container's previous run (after a crash or a restart).",
            "namespace": _NS_HELP, "context": CONTEXT_HELP})
def logs(c, service=None, follow=False, tail=50, since=None, previous=False, namespace=None, context=None):
    """Show the services' logs through the API server; -f follows them all at once."""
    import math

    from traderadmin.cli.args import choice
    from traderadmin.errors import ToolkitError
    from traderadmin.stack import logs as podlogs
    from traderadmin.stack.status import SERVICE_PORTS
    from traderadmin.stack.volume import WRITER

    ns = namespace or c.config.traderadmin.namespace
    # A typo is refused before the cluster is asked: exit 2, and the name it was probably meant to be.
    services = [choice(service, "--service", [*SERVICE_PORTS, WRITER])] if service \
        else list(SERVICE_PORTS)
    since_seconds = math.ceil(since) if since else None
    kube = _cluster(c, context=context)
    try:
        found = podlogs.sources(kube, ns, services)
        if not found:
            raise Exit(f"✗ no {' or '.join(services)} pod in namespace {ns}: `invoke deploy` starts the stack",
                       code=1)
        if follow:
            for line in podlogs.follow(kube, ns, services, int(tail), since_seconds, previous, found):
                print(line, flush=True)
        else:
            podlogs.last_lines(kube, ns, services, int(tail), since_seconds, previous)
    except KeyboardInterrupt:
        raise Exit(code=130) from None
    except ToolkitError as e:
        fail(e)


@task(help={
    "confirm_live": "Allow a save that switches trading.mode to LIVE (real money).",
    "namespace": _NS_HELP,
    "context": CONTEXT_HELP,
    "timeout": "How long to wait for both services to confirm each save: 30, 30s, 2m "
               "(default traderadmin.reload_timeout).",
    "json": "Print one JSON object per line (a start line, then one per save) instead of text.",
})
def watch(c, confirm_live=False, namespace=None, context=None, timeout=None, json=False):
    """Push every save of config.toml into the cluster: validated, written, confirmed, one line per save.

    A save the contract refuses is reported and never reaches the cluster. Ctrl-C stops (exit 0).
    """
    import json as jsonlib
    import signal
    import threading

    from traderadmin.stack import watch as configwatch

    files = config_files(c)
    ns = namespace or c.config.traderadmin.namespace
    kube = _cluster(c, json, context)
    pusher = configwatch.ConfigPusher(kube, ns, files, confirm_live,
                                      seconds(c, timeout, "reload_timeout"))
    baseline = pusher.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def emit(obj: dict, text: str) -> None:
        print(jsonlib.dumps(obj) if json else text, flush=True)

    emit({"event": "watching", "path": str(files.config), "namespace": ns, "context": kube.context,
          "sha256": baseline},
         f"watching {files.config} → namespace {ns} (context {kube.context}); "
         f"now {(baseline or 'invalid')[:12]}; Ctrl-C stops")
    try:
        configwatch.watch(pusher, stop, lambda r: emit({"event": "save", **r.as_dict()}, r.line()))
    except KeyboardInterrupt:
        pass  # Ctrl-C is how watching ends
    emit({"event": "stopped"}, "stopped watching")


@task(help={"purge": "Also delete the config volume (the PVC) and the namespace.", "namespace": _NS_HELP,
            "context": CONTEXT_HELP, "json": _JSON_HELP})
def down(c, purge=False, namespace=None, context=None, json=False):
    """Remove the stack; the config volume survives unless --purge."""
    from traderadmin.errors import ToolkitError
    from traderadmin.stack import apply as applying

    ns = namespace or c.config.traderadmin.namespace
    _, _, kube = target(c, json, context=context)
    try:
        removed = applying.remove(kube, ns, purge=purge)
    except ToolkitError as e:
        fail(e, json)
    if json:
        print_json({"ok": True, "namespace": ns, "removed": [str(item) for item in removed], "purged": purge,
                    "config_volume_kept": not purge})
        return
    out = stdout_console()
    for item in removed:
        out.print(f"  deleted {item}")
    out.print(f"[green]✓[/] stack removed from {ns}" + ("" if purge else "; config volume kept (--purge removes it)"))


@task(auto_shortflags=False, help={
    "provider": "auto (default), local or docker-desktop.",
    "flavor": "Local provider only: plain, kubeadm or kind (see `invoke --help cluster.up`).",
    "context": CONTEXT_HELP,
    "registry": REGISTRY_HELP,
    "namespace": _NS_HELP,
    "host_network": "Run the services with hostNetwork (see `invoke --help deploy`).",
    "timeout": "How long the deploy waits for every pod to run: 300, 90s, 5m (default traderadmin.deploy_timeout).",
    "confirm_live": "Allow the deploy to start LIVE trading (real money).",
    "json": "Print one JSON document (config, cluster, deploy) for scripts instead of progress and tables.",
})
def up(c, provider=None, flavor=None, context=None, registry=None, namespace=None, host_network=False, timeout=None,
       confirm_live=False, json=False):
    """From a fresh checkout to a running stack: config (if missing), cluster, images, deploy."""
    import contextlib
    import io

    from traderadmin.config import init_config

    from . import cluster

    from traderadmin.errors import ToolkitError

    check_names(provider, flavor)  # before the config is written or anything starts
    files = config_files(c)
    created = False
    if not files.config.exists():
        try:
            init_config(files)
        except ToolkitError as e:
            fail(e, json)
        created = True
        if not json:
            stdout_console().print(f"[green]✓[/] wrote {files.config} from the schema's defaults")
    if not json:
        cluster.up(c, provider=provider or c.config.traderadmin.provider, flavor=flavor, context=context,
                   registry=registry)
        deploy(c, namespace=namespace, context=context, registry=registry, host_network=host_network,
               timeout=timeout, confirm_live=confirm_live)
        return
    # One JSON document for scripts: each step's own JSON, gathered; a step that fails prints its own
    # {"ok": false, ...} and its exit code is up's.
    documents = {}
    for step, run in (("cluster", lambda: cluster.up(c, provider=provider or c.config.traderadmin.provider,
                                                     flavor=flavor, context=context, registry=registry, json=True)),
                      ("deploy", lambda: deploy(c, namespace=namespace, context=context, registry=registry,
                                                host_network=host_network, timeout=timeout,
                                                confirm_live=confirm_live, json=True))):
        captured = io.StringIO()
        try:
            with contextlib.redirect_stdout(captured):
                run()
        except Exit as stop:
            print(captured.getvalue(), end="")
            raise Exit(code=stop.code) from None
        documents[step] = _json.loads(captured.getvalue())
    print_json({"ok": True, "config_created": created, "config": str(files.config), **documents})
