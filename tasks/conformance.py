"""Run the reload contract's conformance suite against any service: a command, or a container image."""
from invoke import Exit

from ._common import task


@task(default=True, help={
    "cmd": "Command that starts the service, with {config} (the config path) and {port} (a free port) in it, "
           "e.g. \"python -m orchestrator --config {config} --port {port}\". {dir} is the check's temp folder.",
    "image": "Instead of --cmd: a container image to run once per check with Docker (the check's folder is mounted at "
             "/conformance; SIGUSR1 and SIGTERM reach the container's main process).",
    "args": "With --image: the arguments after the image, with {config} for the config's path inside the container, "
            "e.g. \"--config {config} --port 8080\" (required with --image).",
    "container_port": "With --image: the port the service listens on inside the container (default 8080).",
    "base_url": "Where the service answers /healthz, /readyz and /status (default http://127.0.0.1:{port}).",
    "signal": "The service reloads on SIGUSR1: run the SIGUSR1 checks too (skipped otherwise).",
    "only": "Comma-separated check names to run (default: all; --list shows them).",
    "list": "List the checks with their descriptions and exit.",
    "timeout": "How long a service gets to apply or reject a change: 5, 5s, 1m (default 5 s).",
    "workdir": "Folder for the checks' temp folders (default: a new one under the system temp dir).",
    "keep": "Keep every check's temp folder (failed checks' folders are always kept).",
    "json": "Print the results as JSON instead of a table.",
})
def run(c, cmd="", image="", args="", container_port=8080, base_url="http://127.0.0.1:{port}", signal=False, only="",
        list=False, timeout=5.0, workdir="", keep=False, json=False):
    """Start the service once per check and verify hot reload; a table (or --json), exit 1 if any check fails.

    A process:  invoke conformance --cmd "python -m orchestrator --config {config} --port {port}" --signal
    An image:   invoke conformance --image traderadmin/scanner:TAG --args "--config {config} --addr :8080" --signal
    """
    from traderadmin import conformance
    from traderadmin.conformance import _image

    from ._common import project_path, stdout_console

    schema = project_path(c, "schema_path")
    if list:
        for check in conformance.all_checks(conformance.Configs(schema)):
            extra = " (with --signal)" if check.needs_signal else ""
            print(f"{check.name:20} {check.description}{extra}")
        return
    run_id = ""
    if image and cmd:
        raise Exit("invoke conformance: give --cmd or --image, not both", code=2)
    if image:
        if "{config}" not in args:
            raise Exit(f"invoke conformance: --args {args!r} must contain {{config}}, where the service reads its "
                       "config inside the container, e.g. --args \"--config {config} --port 8080\"", code=2)
        run_id = _image.new_run_id()
        try:
            cmd = _image.image_command(image, args, int(container_port), run_id)
        except ValueError as e:
            raise Exit(f"invoke conformance: {e}", code=2)
    if not cmd.strip():
        raise Exit("invoke conformance: --cmd or --image is required, e.g. "
                   "--cmd \"python -m orchestrator --config {config} --port {port}\"", code=2)
    if not image and ("{config}" not in cmd or ("{port}" not in cmd and "{port}" not in base_url)):
        raise Exit(f"invoke conformance: --cmd {cmd!r} must contain {{config}} and {{port}} "
                   "(the suite picks the path and a free port for each check)", code=2)
    console = stdout_console()

    def progress(result):
        if not json:
            console.print(f"{result.name:20} {result.outcome} ({result.seconds:.1f} s)", highlight=False)

    try:
        results = conformance.run_suite(cmd, schema, only=[n.strip() for n in only.split(",")], use_signal=signal,
                                        base_url=base_url, timeout=float(timeout), workdir=workdir or None, keep=keep,
                                        progress=progress)
    except ValueError as e:
        raise Exit(f"invoke conformance: {e}", code=2)
    finally:
        if run_id:
            _image.remove_containers(run_id)
    if json:
        print(conformance.as_json(results, cmd))
    else:
        console.print(conformance.table(results))
        console.print(conformance.summary(results), highlight=False)
    raise SystemExit(conformance.exit_code(results))
