"""Run the whole test suite: what CI runs."""
from invoke import Exit

from ._common import ROOT, check_names, task


@task(name="all", default=True, help={
    "only": "Run only the steps whose name contains this word (e.g. go, pytest, app).",
    "pytest_args": "Extra arguments for pytest, e.g. \"-k reload -x\" or \"--keep-namespace\".",
    "fail_fast": "Stop at the first failing step.",
    "provider": "Cluster for the acceptance gate: auto (default: the local cluster's flavors on Linux as root, "
                "else Docker Desktop), local or docker-desktop.",
    "flavors": "Local cluster flavors the gate runs on, one after the other, comma-separated "
               "(default plain,kubeadm,kind: our own cluster, then Docker Desktop's kubeadm and kind modes reproduced).",
})
def all_(c, only=None, pytest_args="", fail_fast=False, provider=None, flavors="plain,kubeadm,kind"):
    """Run everything: Go vet/tests, unit tests, the acceptance gate on each cluster flavor, the desktop app smoke test."""
    import shlex
    import shutil

    from traderadmin import testrun
    from traderadmin.errors import ToolkitError
    from traderadmin.system.distro import linux_root_debian

    from traderadmin.cli.args import choice
    from traderadmin.localcluster.flavors import FLAVORS

    check_names(provider)  # a typo is exit 2 with did-you-mean, before any step runs
    for flavor in [f.strip() for f in flavors.split(",") if f.strip()]:
        choice(flavor, "--flavors", list(FLAVORS))
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    try:
        passes = testrun.gate_passes(provider or c.config.traderadmin.provider,
                                     [f.strip() for f in flavors.split(",") if f.strip()], linux_root_debian())
    except ToolkitError as e:
        raise Exit(f"invoke test: {e}", code=2)
    chosen = [s for s in testrun.steps(ROOT, reports, shlex.split(pytest_args), passes)
              if not only or only in s.name]
    if any("bootstrap" in s.name for s in chosen):
        shutil.rmtree(ROOT / "build" / "app", ignore_errors=True)  # the app is rendered afresh from template/
    outcomes = testrun.run(chosen, keep_going=not fail_fast)
    print("\n=== summary")
    for o in outcomes:
        print(f"  {'ok  ' if o.ok else 'FAIL'} {o.step.name} ({o.seconds:.1f} s)")
    failed = [o for o in outcomes if not o.ok]
    print(f"steps: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise Exit(f"{len(failed)} step(s) failed: " + ", ".join(o.step.name for o in failed), code=1)
