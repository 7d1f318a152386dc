"""Reload confirmation by hash, against a fake API."""
from traderadmin.stack import reload
from tests.fake_kube import FakeKube, pod


def _stack(kube: FakeKube) -> None:
    kube.pod_objects = [pod("w-1", "config-writer"), pod("o-1", "orchestrator"), pod("s-1", "scanner")]


OLD, NEW = {"config_sha256": "old", "last_error": None}, {"config_sha256": "new", "last_error": None}


def test_push_writes_once_and_waits_for_both_hashes_without_a_signal():
    kube = FakeKube()
    _stack(kube)
    kube.status = {"o-1": [OLD, OLD, NEW], "s-1": [OLD, NEW]}
    outcome = reload.push(kube, "ns", b"x", "new", timeout=5)
    assert outcome.ok and outcome.written
    # Services that follow their watch need nothing more than the write: one exec per reload.
    assert outcome.signalled == [] and [argv[1] for _, argv in kube.execs] == ["put"]
    assert {r.service for r in outcome.results} == {"orchestrator", "scanner"}


def test_an_orchestrator_that_does_not_move_is_signalled_once(monkeypatch):
    monkeypatch.setattr(reload, "SIGNAL_AFTER", 0.05)
    kube = FakeKube()
    _stack(kube)
    kube.status = {"o-1": [OLD], "s-1": [NEW]}
    real_exec = kube.exec

    def exec_and_react(namespace, pod, argv, container=None, timeout=30, check=True):
        if argv == reload.SIGNAL_ARGV:
            kube.status[pod] = [NEW]  # the signal makes it read the file
        return real_exec(namespace, pod, argv, container, timeout, check)

    kube.exec = exec_and_react
    outcome = reload.push(kube, "ns", b"x", "new", timeout=5)
    assert outcome.ok and outcome.signalled == ["o-1"]
    assert [pod for pod, argv in kube.execs if argv == reload.SIGNAL_ARGV] == ["o-1"]


def test_the_reload_lists_the_pods_once_when_given_them():
    kube = FakeKube()
    _stack(kube)
    kube.status = {"o-1": [NEW], "s-1": [NEW]}
    calls = []
    real = kube.pods
    kube.pods = lambda ns, app=None: calls.append(app) or real(ns, app)
    listed = real("ns")
    assert reload.push(kube, "ns", b"x", "new", timeout=5, pods=listed).ok
    assert calls == [], "the writer lookup and the wait must reuse the caller's listing"


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
