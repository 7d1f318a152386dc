"""Steps about changing the config of the running stack."""
from __future__ import annotations

import json
import time
import tomllib

import pytest
from pytest_bdd import given, parsers, then, when

from traderadmin.stack import reload
from traderadmin.stack.status import SERVICE_PORTS, read_service_status, service_pods
from traderadmin.stack.volume import config_in_volume, put_config
from traderadmin.config import ConfigInvalid, set_values, sha256
from traderadmin.config.edit import Assignment, apply
from traderadmin.config.validate import parse

from .gate import Gate, poll

RELOAD_DEADLINE = 5.0


def _statuses(gate: Gate) -> dict[str, dict]:
    out = {}
    for service in SERVICE_PORTS:
        for pod in service_pods(gate.kube, gate.namespace, service):
            out[pod.name] = {"service": service,
                             **(read_service_status(gate.kube, gate.namespace, pod.name, service) or {})}
    return out


def _edited(gate: Gate, assignment: str) -> tuple[bytes, str]:
    """The run's config with one assignment applied (saved locally, validated)."""
    set_values(gate.files, [assignment])
    return gate.local_config()


@pytest.fixture
def previous(gate: Gate) -> dict:
    """The hash every service runs before the scenario's change."""
    # A change made by the previous scenario may still be settling in one service (the
    # scanner waits out its debounce twice): wait for agreement, within the reload deadline.
    def agreed():
        hashes = {s.get("config_sha256") for s in _statuses(gate).values()}
        return hashes if len(hashes) == 1 else None
    running = set(poll("the services agree on one config before the change", agreed, gate.deadline(RELOAD_DEADLINE)))
    volume = config_in_volume(gate.kube, gate.namespace)["sha256"]
    return {"sha256": running.pop(), "volume_sha256": volume, "started": time.monotonic()}


@when("I update config/config.toml", target_fixture="change")
def update_config(gate: Gate, previous: dict) -> dict:
    current = gate.files.config.read_text()
    n = 8 if "max_positions = 7" in current else 7
    data, digest = _edited(gate, f"trading.max_positions={n}")
    put_config(gate.kube, gate.namespace, data, digest)
    return {"sha256": digest, "written_at": time.monotonic()}


@when("send SIGUSR1 to orchestrator container")
def send_sigusr1(gate: Gate) -> None:
    assert reload.signal_orchestrators(gate.kube, gate.namespace), "no orchestrator pod to signal"


def _every_service_logs(gate: Gate, what: str, matches) -> None:
    """Poll each service pod's log until a JSON line satisfies `matches`."""
    for service in SERVICE_PORTS:
        for pod in service_pods(gate.kube, gate.namespace, service):
            def logged():
                for line in gate.kube.logs(gate.namespace, pod.name, service, tail=200).splitlines():
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if matches(entry):
                        return entry
                return None
            poll(f"{service} logs {what}", logged, gate.deadline(RELOAD_DEADLINE))


@then(parsers.parse('each service logs "{message}"'))
def each_service_logs(gate: Gate, change: dict, message: str) -> None:
    _every_service_logs(gate, f"{message!r} with hash {change['sha256'][:12]}",
                        lambda e: e.get("msg") == message and e.get("config_sha256") == change["sha256"])


@when(parsers.parse('I reload with "{assignment}"'), target_fixture="change")
def reload_with(gate: Gate, previous: dict, assignment: str) -> dict:
    try:
        data, digest = _edited(gate, assignment)
    except ConfigInvalid as e:
        return {"refused": e, "sha256": None}
    outcome = reload.push(gate.kube, gate.namespace, data, digest, timeout=gate.deadline(RELOAD_DEADLINE))
    return {"sha256": digest, "outcome": outcome}


@given(parsers.parse('a reload with "{assignment}" has been confirmed'), target_fixture="change")
def reload_confirmed(gate: Gate, previous: dict, assignment: str) -> dict:
    change = reload_with(gate, previous, assignment)
    assert change["outcome"].ok, reload.failure_report(gate.kube, gate.namespace, change["outcome"])
    return change


@then("both services report the new config hash")
def both_report_new_hash(gate: Gate, change: dict) -> None:
    outcome = change["outcome"]
    assert outcome.ok, reload.failure_report(gate.kube, gate.namespace, outcome)
    assert {r.service for r in outcome.results} == set(SERVICE_PORTS)
    for status in _statuses(gate).values():
        assert status["config_sha256"] == change["sha256"], status
        assert status["last_error"] is None, status


@then(parsers.parse("the reload took less than {seconds:d} seconds"))
def reload_took(change: dict, seconds: int) -> None:
    assert change["outcome"].seconds < seconds, f"reload took {change['outcome'].seconds:.2f} s"


@when(parsers.parse('a config with "{line}" is written into the config volume'), target_fixture="change")
def write_bad_config(gate: Gate, previous: dict, line: str) -> dict:
    """Bypass the toolkit's validation, as a hand edit on the volume would."""
    key, _, raw = line.partition("=")
    doc = parse(gate.files.config.read_text())
    apply(doc, [Assignment(key.strip(), tomllib.loads(f"v = {raw}")["v"])])
    data = doc.as_string().encode()
    digest = sha256(data)
    put_config(gate.kube, gate.namespace, data, digest)
    return {"sha256": digest, "bad": True}


@then(parsers.parse('both services log "{message}" naming "{key}"'))
def both_log_naming(gate: Gate, change: dict, message: str, key: str) -> None:
    _every_service_logs(gate, f"{message!r} naming {key}",
                        lambda e: e.get("msg") == message and key in str(e.get("error", "")))


@then("both services still report the previous config hash")
def still_previous(gate: Gate, previous: dict, change: dict) -> None:
    for pod, status in _statuses(gate).items():
        assert status["config_sha256"] == previous["sha256"], f"{pod} left the last good config: {status}"
        if change.get("bad"):
            assert status["last_error"], f"{pod} does not show why it refused the config"


@then("both services are still ready")
def still_ready(gate: Gate) -> None:
    for service, port in SERVICE_PORTS.items():
        for pod in service_pods(gate.kube, gate.namespace, service):
            status, body = gate.kube.proxy_get(gate.namespace, pod.name, port, "readyz")
            assert status == 200, f"{pod.name} is not ready: {body}"


@then(parsers.parse('the reload is refused naming "{key}"'))
def refused(change: dict, key: str) -> None:
    assert "refused" in change, "the toolkit accepted an invalid config"
    assert key in [i.key for i in change["refused"].issues]


@then("the config volume still holds the previous config")
def volume_unchanged(gate: Gate, previous: dict) -> None:
    held = config_in_volume(gate.kube, gate.namespace)
    assert held["sha256"] == previous["volume_sha256"], "the refused config reached the volume"


@when(parsers.parse('the config with "{assignment}" is written into the volume without a signal'),
      target_fixture="change")
def write_without_signal(gate: Gate, previous: dict, assignment: str) -> dict:
    data, digest = _edited(gate, assignment)
    put_config(gate.kube, gate.namespace, data, digest)
    return {"sha256": digest}


@then("the scanner reports the new config hash")
def scanner_reports(gate: Gate, change: dict) -> None:
    def applied():
        scanners = [s for s in _statuses(gate).values() if s["service"] == "scanner"]
        return scanners and all(s["config_sha256"] == change["sha256"] for s in scanners)
    poll("the scanner reports the new hash", applied, gate.deadline(RELOAD_DEADLINE))


@when("I delete the orchestrator pod", target_fixture="deleted")
def delete_orchestrator(gate: Gate) -> list[str]:
    names = [p.name for p in service_pods(gate.kube, gate.namespace, "orchestrator")]
    for name in names:
        gate.kube.delete_pod(gate.namespace, name, grace_seconds=1)
    return names


@then("a new orchestrator pod runs the latest config hash")
def new_pod_latest(gate: Gate, deleted: list[str], change: dict) -> None:
    def replaced():
        pods = [p for p in service_pods(gate.kube, gate.namespace, "orchestrator")
                if p.name not in deleted and p.phase == "Running"]
        statuses = [read_service_status(gate.kube, gate.namespace, p.name, "orchestrator") for p in pods]
        return pods and all(s and s["config_sha256"] == change["sha256"] for s in statuses) and statuses
    poll("a new orchestrator pod on the latest hash", replaced, gate.deadline(90))


NO_WATCH = "orchestrator-nowatch"


@pytest.fixture
def nowatch_orchestrator(gate: Gate):
    """An extra orchestrator pod like the deployment's, but with --no-watch: only SIGUSR1 (or the slow
    poll) can make it reload, so a prompt reload proves the signal path."""
    body = gate.kube.deployment(gate.namespace, "orchestrator").template or {}
    body["metadata"] = {"name": NO_WATCH, "labels": {"app.kubernetes.io/name": NO_WATCH}}
    body["spec"]["containers"][0]["args"] += ["--no-watch"]
    gate.kube.create_pod(gate.namespace, body)

    def ready():
        status, _ = gate.kube.proxy_get(gate.namespace, NO_WATCH, SERVICE_PORTS["orchestrator"], "readyz")
        return status == 200
    poll(f"{NO_WATCH} ready", ready, gate.deadline(60))
    yield NO_WATCH
    gate.kube.delete_pod(gate.namespace, NO_WATCH, grace_seconds=0)


def _nowatch_status(gate: Gate) -> dict:
    return read_service_status(gate.kube, gate.namespace, NO_WATCH, "orchestrator") or {}


@given("an orchestrator that does not watch the config folder", target_fixture="nowatch")
def given_nowatch(nowatch_orchestrator: str) -> str:
    return nowatch_orchestrator


@then("that orchestrator still runs the previous config")
def nowatch_not_yet(gate: Gate, change: dict) -> None:
    assert _nowatch_status(gate)["config_sha256"] != change["sha256"], \
        "the orchestrator without a watch applied the change before any signal"


@when("I send SIGUSR1 to that orchestrator", target_fixture="signalled_at")
def signal_nowatch(gate: Gate, nowatch: str) -> float:
    # The clock starts as the signal is sent: the exec's own round trip is part of "within N seconds",
    # and a reload that lands while the exec is still returning counts from here too.
    sent = time.monotonic()
    gate.kube.exec(gate.namespace, nowatch, reload.SIGNAL_ARGV, container="orchestrator")
    return sent


@then(parsers.parse("it runs the new config within {seconds:d} second"))
def nowatch_applied(gate: Gate, change: dict, signalled_at: float, seconds: int) -> None:
    budget = gate.deadline(seconds)
    left = signalled_at + budget - time.monotonic()
    poll("the signalled orchestrator runs the new hash",
         lambda: _nowatch_status(gate).get("config_sha256") == change["sha256"], max(left, 0.0))
    took = time.monotonic() - signalled_at
    assert took <= budget, f"the signalled orchestrator ran the new hash {took:.2f} s after the signal was sent, " \
                           f"more than {budget:.2f} s"
    lines = [json.loads(line) for line in gate.kube.logs(gate.namespace, NO_WATCH, "orchestrator", tail=50).splitlines()
             if line.startswith("{")]
    reloaded = [entry for entry in lines if entry.get("msg") == "Config reloaded"
                and entry.get("config_sha256") == change["sha256"]]
    assert reloaded and reloaded[-1].get("trigger") == "signal", f"not reloaded by the signal: {reloaded}"
