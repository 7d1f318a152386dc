"""One shape for every cluster handle: the light client, the SDK-backed one, and the tests' fake."""
from __future__ import annotations

import inspect

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
