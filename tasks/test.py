"""Run the whole test suite: what CI runs."""
from invoke import Exit, task

from ._common import ROOT


@task(name="all", default=True, help={
    "only": "Run only the steps whose name contains this word (e.g. go, pytest).",
    "pytest_args": "Extra arguments for pytest, e.g. \"-k reload -x\".",
    "fail_fast": "Stop at the first failing step.",
})
def all_(c, only=None, pytest_args="", fail_fast=False):
    """Run every test: go vet + go test for the scanner, then pytest; reports go to reports/."""
    import shlex

    from traderadmin import testrun

    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    chosen = [s for s in testrun.steps(ROOT, reports, shlex.split(pytest_args)) if not only or only in s.name]
    outcomes = testrun.run(chosen, keep_going=not fail_fast)
    print("\n=== summary")
    for o in outcomes:
        print(f"  {'ok  ' if o.ok else 'FAIL'} {o.step.name} ({o.seconds:.1f} s)")
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise Exit(f"{len(failed)} step(s) failed: " + ", ".join(o.step.name for o in failed), code=1)
