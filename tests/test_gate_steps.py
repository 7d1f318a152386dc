"""The acceptance gate's own steps cannot pass for the wrong reason (issue 12, section 5)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from steps import cli_steps, reload_steps  # noqa: E402
from traderadmin.kube.errors import error_for_status, unreachable  # noqa: E402


def _raises(error: BaseException):
    def call():
        raise error
    return call


def test_403_forbidden_is_proof_of_no_cluster_wide_rights():
    cli_steps.assert_no_cluster_wide_rights(_raises(error_for_status(403, "listing nodes", "Forbidden")))


@pytest.mark.parametrize("error,shown", [
    (error_for_status(401, "listing nodes", "Unauthorized"), "401"),
    (error_for_status(500, "listing nodes", "Internal Server Error"), "500"),
    (error_for_status(404, "listing nodes", "Not Found"), "404"),
    (unreachable("listing nodes", ConnectionRefusedError("connection refused")), "did not answer"),
    (ConnectionRefusedError("connection refused"), "ConnectionRefusedError"),
    (TimeoutError("timed out"), "TimeoutError"),
    (ValueError("bad header"), "ValueError"),
])
def test_any_other_failure_to_list_nodes_fails_the_step_with_its_reason(error, shown):
    with pytest.raises(pytest.fail.Exception) as failed:
        cli_steps.assert_no_cluster_wide_rights(_raises(error))
    assert shown in str(failed.value) and "proves nothing" in str(failed.value)


def test_listing_nodes_successfully_fails_the_step():
    with pytest.raises(pytest.fail.Exception, match="cluster-wide rights"):
        cli_steps.assert_no_cluster_wide_rights(lambda: [])


class _SlowExecCluster:
    """An exec that takes `exec_seconds` to return; the pod applies the new hash `applies_after` s after the
    signal is sent."""

    def __init__(self, exec_seconds: float, applies_after: float, new: str) -> None:
        self.exec_seconds, self.applies_after, self.new = exec_seconds, applies_after, new
        self.sent_at: float | None = None

    def exec(self, namespace, pod, argv, container=None, **kw):
        self.sent_at = time.monotonic()
        time.sleep(self.exec_seconds)

    def proxy_get(self, namespace, pod, port, path, timeout=5):
        applied = self.sent_at is not None and time.monotonic() - self.sent_at >= self.applies_after
        return 200, json.dumps({"config_sha256": self.new if applied else "old"})

    def logs(self, namespace, pod, container=None, tail=20, **kw):
        return json.dumps({"msg": "Config reloaded", "config_sha256": self.new, "trigger": "signal"}) + "\n"


def _gate(kube) -> NS:
    return NS(kube=kube, namespace="ns", deadline=lambda seconds: seconds)


def test_the_sigusr1_clock_starts_when_the_signal_is_sent_not_when_the_exec_returns():
    kube = _SlowExecCluster(exec_seconds=0.6, applies_after=0.0, new="abc")
    before = time.monotonic()
    started = reload_steps.signal_nowatch(_gate(kube), "nowatch")
    assert before <= started <= kube.sent_at, "the step's clock starts before the exec, not after it returns"


def test_a_reload_later_than_the_budget_after_the_signal_fails_even_if_the_exec_was_slow():
    # The exec takes 0.7 s and the pod applies 1.3 s after the signal: within 1 s of the exec returning,
    # but not within 1 s of the signal. The old step passed this.
    kube = _SlowExecCluster(exec_seconds=0.7, applies_after=1.3, new="abc")
    gate = _gate(kube)
    sent = reload_steps.signal_nowatch(gate, "nowatch")
    with pytest.raises(pytest.fail.Exception):
        reload_steps.nowatch_applied(gate, {"sha256": "abc"}, sent, 1)


def test_a_reload_within_the_budget_after_the_signal_passes():
    kube = _SlowExecCluster(exec_seconds=0.2, applies_after=0.4, new="abc")
    gate = _gate(kube)
    sent = reload_steps.signal_nowatch(gate, "nowatch")
    reload_steps.nowatch_applied(gate, {"sha256": "abc"}, sent, 1)
