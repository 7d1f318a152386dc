"""One shape for every cluster handle: the light client, the SDK-backed one, and the tests' fake."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from tests.fake_kube import FakeKube
from traderadmin.kube.api import KubeApi
from traderadmin.kube.protocol import Cluster, ClusterApi
from traderadmin.kube.sdk import Kube


def _members(protocol: type) -> dict[str, object]:
    """The Protocol's calls, its bases' included."""
    out: dict[str, object] = {}
    for cls in reversed(protocol.__mro__):
        if cls in (ClusterApi, Cluster):
            out.update({n: v for n, v in vars(cls).items() if callable(v) and not n.startswith("_")})
    return out


def _check(handle: type, protocol: type) -> None:
    for name, call in _members(protocol).items():
        assert hasattr(handle, name), f"{handle.__name__} lacks {protocol.__name__}.{name}"
        want = inspect.signature(call).parameters
        got = inspect.signature(getattr(handle, name)).parameters
        assert list(got) == list(want), f"{handle.__name__}.{name}{list(got)} differs from the Protocol's {list(want)}"
        assert [p.default for p in got.values()] == [p.default for p in want.values()], \
            f"{handle.__name__}.{name} has other defaults than the Protocol's"


def test_the_daily_loop_protocol_is_what_reload_status_logs_and_watch_call():
    assert set(_members(ClusterApi)) == {"pods", "exec", "proxy_get", "logs", "stream_logs", "patch_deployment",
                                         "scale"}
    assert "context" in ClusterApi.__annotations__  # an instance attribute of each handle


@pytest.mark.parametrize("handle", [KubeApi, Kube, FakeKube], ids=lambda c: c.__name__)
def test_every_handle_satisfies_the_daily_loop_protocol(handle):
    _check(handle, ClusterApi)


@pytest.mark.parametrize("handle", [Kube, FakeKube], ids=lambda c: c.__name__)
def test_the_deploy_handle_and_the_fake_satisfy_the_whole_protocol(handle):
    _check(handle, Cluster)


def test_the_fake_passes_for_both_protocols_at_run_time():
    assert isinstance(FakeKube(), Cluster) and isinstance(FakeKube(), ClusterApi)


SDK_CLIENTS = ("core", "apps", "dynamic", "api_client")


def sdk_uses(source: str, filename: str) -> list[str]:
    """Where `source` imports the kubernetes package or reaches a handle's SDK clients (`kube.core`, `g.kube.apps`)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found += [f"{filename}:{node.lineno} imports {n}" for n in names if n.split(".")[0] == "kubernetes"]
        if isinstance(node, ast.Attribute) and node.attr in SDK_CLIENTS:
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id == "kube" or isinstance(owner, ast.Attribute) and owner.attr == "kube":
                found.append(f"{filename}:{node.lineno} reaches .{node.attr}")
    return found


def test_the_sdk_check_sees_imports_and_client_use():
    code = "from kubernetes import client\nimport kubernetes.stream\nkube.core.list_node()\ngate.kube.apps.x()\n"
    assert len(sdk_uses(code, "x.py")) == 4


def test_only_the_kube_package_imports_kubernetes_or_reaches_the_sdk_clients():
    """The typed handle is the one way to the cluster: no other code imports the SDK or uses its clients
    (but the test of how the SDK's errors map to the family)."""
    root = Path(__file__).resolve().parents[1]
    allowed = {root / "tests" / "test_kube_api.py"}
    offenders = []
    for folder in ("traderadmin", "tasks", "steps", "bench", "features", "tests"):
        for path in sorted((root / folder).rglob("*.py")):
            if not path.is_relative_to(root / "traderadmin" / "kube") and path not in allowed:
                offenders += sdk_uses(path.read_text(), str(path.relative_to(root)))
    assert not offenders, offenders
