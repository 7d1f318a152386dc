"""Steps that run the toolkit's commands, and that act with the toolkit's own (namespaced) rights."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from typing import Callable

import pytest
from pytest_bdd import given, parsers, then, when

from traderadmin.config import read, set_values, sha256
from traderadmin.kube import api
from traderadmin.kube.errors import KubeError, KubeForbidden
from traderadmin.stack import reload

from .gate import ROOT, Gate


def _run(gate: Gate, command: str) -> subprocess.CompletedProcess:
    argv = shlex.split(command)
    assert argv[0] == "invoke", "steps run toolkit commands only"
    env = {**os.environ, "COLUMNS": "200",
           "INVOKE_TRADERADMIN_CONFIG_PATH": str(gate.files.config),
           "INVOKE_TRADERADMIN_NAMESPACE": gate.namespace,
           "INVOKE_TRADERADMIN_PROVIDER": gate.provider}
    return subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), *argv[1:]],
                          capture_output=True, text=True, env=env, timeout=gate.deadline(120))


@when(parsers.parse('I run "{command}"'), target_fixture="ran")
def run_command(gate: Gate, previous: dict, command: str) -> subprocess.CompletedProcess:
    return _run(gate, command)


@then("the command succeeds")
def succeeds(ran: subprocess.CompletedProcess) -> None:
    assert ran.returncode == 0, f"exit {ran.returncode}\nstdout: {ran.stdout}\nstderr: {ran.stderr}"


@then("it reports both services on the config hash of the local file")
def reports_both(gate: Gate, ran: subprocess.CompletedProcess) -> None:
    data, _ = read(gate.files)
    out = json.loads(ran.stdout)
    assert out["ok"] is True and out["sha256"] == sha256(data)
    assert {s["service"] for s in out["services"] if s["ok"]} == {"orchestrator", "scanner"}


@then(parsers.parse('"{command}" reports every service ready on the local config'))
def status_reports(gate: Gate, command: str) -> None:
    ran = _run(gate, command)
    assert ran.returncode == 0, f"exit {ran.returncode}: {ran.stderr}"
    out = json.loads(ran.stdout)
    services = [p for p in out["pods"] if p["service"] in ("orchestrator", "scanner")]
    assert out["healthy"] is True and len(services) >= 2
    assert all(p["ready"] and p["matches_local"] for p in services), services


@then(parsers.parse('the command fails with exit code {code:d} naming "{key}"'))
def fails_naming(ran: subprocess.CompletedProcess, code: int, key: str) -> None:
    assert ran.returncode == code, f"exit {ran.returncode}\nstdout: {ran.stdout}\nstderr: {ran.stderr}"
    assert key in ran.stderr and "nothing was written" in ran.stderr


@given("a connection that acts as the toolkit's service account", target_fixture="toolkit_kube")
def toolkit_connection(gate: Gate) -> api.KubeApi:
    # Impersonation makes the API server authorize every call as the ServiceAccount
    # that deploy/ binds to the namespaced Role: nothing beyond that Role is allowed.
    kube = api.connect(gate.kube.context, impersonate=f"system:serviceaccount:{gate.namespace}:traderadmin-toolkit")
    assert_no_cluster_wide_rights(lambda: kube.nodes(timeout=10))
    return kube


def assert_no_cluster_wide_rights(list_nodes: Callable[[], object]) -> None:
    """Only the API server's 403 Forbidden proves the connection lacks cluster-wide rights.

    Any other failure (401, a 5xx, a timeout, a refused connection, a bad header) says
    nothing about rights: counting it as proof would let a broken connection pass.
    """
    try:
        list_nodes()
    except KubeForbidden:
        return
    except KubeError as e:
        answer = f"HTTP {e.status}" if e.status else "no answer"
        pytest.fail(f"listing nodes as the toolkit's ServiceAccount failed with {answer}, not 403 Forbidden, "
                    f"so it proves nothing about its rights: {e}")
    except Exception as e:  # noqa: BLE001 (every other failure is reported, none is proof)
        pytest.fail(f"listing nodes as the toolkit's ServiceAccount failed before the API server judged it "
                    f"({type(e).__name__}: {e}), so it proves nothing about its rights")
    else:
        pytest.fail("the connection as the toolkit's ServiceAccount listed the nodes: it has cluster-wide rights")


@when(parsers.parse('I reload with "{assignment}" through that connection'), target_fixture="change")
def reload_as_toolkit(gate: Gate, previous: dict, toolkit_kube: api.KubeApi, assignment: str) -> dict:
    set_values(gate.files, [assignment])
    data, config = read(gate.files)
    digest = sha256(data)
    reload.guard_live_in_cluster(toolkit_kube, gate.namespace, config, confirm_live=False)
    outcome = reload.push(toolkit_kube, gate.namespace, data, digest, timeout=gate.deadline(5))
    return {"sha256": digest, "outcome": outcome}


@when(parsers.parse('I follow "{command}" until every service has printed a line'), target_fixture="followed")
def follow_logs(gate: Gate, command: str) -> list[str]:
    """Run a command that never ends on its own, read its lines until each service has spoken, then stop it."""
    import queue
    import threading

    from traderadmin.polling import Deadline
    from traderadmin.stack.status import SERVICE_PORTS

    argv = shlex.split(command)
    assert argv[0] == "invoke", "steps run toolkit commands only"
    env = {**os.environ, "COLUMNS": "200", "INVOKE_TRADERADMIN_CONFIG_PATH": str(gate.files.config),
           "INVOKE_TRADERADMIN_NAMESPACE": gate.namespace, "INVOKE_TRADERADMIN_PROVIDER": gate.provider}
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "-r", str(ROOT), *argv[1:]], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout] + [lines.put(None)], daemon=True).start()
    seen: list[str] = []
    deadline = Deadline(gate.deadline(60))
    try:
        while {s for s in SERVICE_PORTS if any(line.startswith(s) for line in seen)} != set(SERVICE_PORTS):
            try:
                line = lines.get(timeout=max(deadline.remaining(), 0.01))
            except queue.Empty:
                pytest.fail(f"`{command}` printed no line of every service in time: {seen[-10:]}")
            if line is None:
                pytest.fail(f"`{command}` ended (exit {proc.wait()}): {proc.stderr.read()[-2000:]}")
            seen.append(line.rstrip("\n"))
        assert proc.poll() is None, "a follow keeps running until it is stopped"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return seen


@then("each line names its service")
def lines_name_their_service(followed: list[str]) -> None:
    from traderadmin.stack.status import SERVICE_PORTS

    prefixes = tuple(f"{s}" for s in SERVICE_PORTS)
    unnamed = [line for line in followed if not line.startswith(prefixes) or " | " not in line]
    assert not unnamed, f"lines without their service: {unnamed[:5]}"
