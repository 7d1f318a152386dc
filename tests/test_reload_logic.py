"""Reload confirmation by hash, against a fake API."""
from traderadmin import reload
from tests.fake_kube import FakeKube, pod


def _stack(kube: FakeKube) -> None:
    kube.pods = [pod("w-1", "config-writer"), pod("o-1", "orchestrator"), pod("s-1", "scanner")]


def test_push_writes_signals_and_waits_for_both_hashes():
    kube = FakeKube()
    _stack(kube)
    old, new = {"config_sha256": "old", "last_error": None}, {"config_sha256": "new", "last_error": None}
    kube.status = {"o-1": [old, old, new], "s-1": [old, new]}
    outcome = reload.push(kube, "ns", b"x", "new", timeout=5)
    assert outcome.ok and outcome.written
    assert outcome.signalled == ["o-1"]
    assert ("o-1", reload.SIGNAL_ARGV) in kube.execs
    assert {r.service for r in outcome.results} == {"orchestrator", "scanner"}


def test_a_service_that_rejects_fails_the_reload_with_its_error():
    kube = FakeKube()
    _stack(kube)
    kube.status = {"o-1": [{"config_sha256": "new", "last_error": None}],
                   "s-1": [{"config_sha256": "old", "last_error": "trading.max_positions: 0 is below 1",
                            "last_rejected_sha256": "new"}]}
    kube.logs_by_pod["s-1"] = '{"msg": "Config reload rejected"}'
    outcome = reload.push(kube, "ns", b"x", "new", timeout=30)
    assert not outcome.ok
    assert outcome.seconds < 5, "a rejection is final: the reload must not wait out its deadline"
    report = reload.failure_report(kube, "ns", outcome)
    assert "scanner (s-1) runs old" in report and "trading.max_positions" in report and "rejected" in report
