"""Provider detection against recorded kubeconfigs, node lists and `docker info` output.

Each file in tests/data/clusters holds one machine's view: the kubeconfig, the
`kubectl get nodes -o json` items and the relevant `docker info` fields.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from traderadmin.cluster import detect, kube, providers

CASES = sorted((Path(__file__).parent / "data" / "clusters").glob("*.json"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _node_infos(case: dict) -> list[kube.NodeInfo]:
    return [
        kube.NodeInfo(
            n["metadata"]["name"],
            any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]),
            n["status"]["nodeInfo"]["kubeletVersion"],
            n["status"]["nodeInfo"]["containerRuntimeVersion"],
        )
        for n in case["nodes"]
    ]


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """Point the kube helpers at one recorded machine."""

    def use(case: dict) -> None:
        config = tmp_path / "config"
        config.write_text(yaml.safe_dump(case["kubeconfig"]))
        monkeypatch.setenv("KUBECONFIG", str(config))
        monkeypatch.setattr(kube, "list_nodes", lambda context, kubeconfig=None, timeout=10.0: _node_infos(case))
        monkeypatch.setattr(kube, "docker_info", lambda: case["docker_info"])

    return use


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_recorded_cluster_is_classified(path, recorded):
    case = _load(path)
    recorded(case)
    context = case["kubeconfig"]["current-context"]
    detection, nodes = providers.detect_context(context)
    expect = case["expect"]
    assert (detection.provider, detection.mode, detection.supported) == (
        expect["provider"],
        expect["mode"],
        expect["supported"],
    ), detection.reason
    assert len(detection.problems) == expect["problems"], detection.problems
    if "problem_mentions" in expect:
        assert expect["problem_mentions"] in detection.problems[0]
        assert "Fix:" in detection.problems[0]
    assert detection.reason  # every answer says why
    assert [n.name for n in nodes] == [n["metadata"]["name"] for n in case["nodes"]]


def test_context_server_is_read_from_kubeconfig(recorded):
    recorded(_load(Path(__file__).parent / "data" / "clusters" / "docker-desktop-kubeadm.json"))
    contexts, current = kube.list_contexts()
    assert current == "docker-desktop"
    assert contexts == [
        detect.ContextFacts("docker-desktop", "docker-desktop", "https://kubernetes.docker.internal:6443")
    ]


def test_unknown_image_store_is_a_problem_not_a_guess():
    detection = detect.classify(detect.ContextFacts("docker-desktop"), ["desktop-control-plane"], None)
    assert detection.mode == "kind" and not detection.ok
    assert "containerd image store" in detection.problems[0]


def test_no_nodes_is_unknown():
    detection = detect.classify(detect.ContextFacts("docker-desktop"), [])
    assert detection.provider == "unknown" and "no nodes" in detection.reason


def test_kind_context_whose_nodes_do_not_match_is_unknown():
    detection = detect.classify(detect.ContextFacts("kind-dev"), ["something-else"])
    assert detection.provider == "unknown"


@pytest.mark.parametrize(
    ("contexts", "desktop_engine", "linux_root", "expected"),
    [
        ([], True, False, "docker-desktop"),
        (["docker-desktop"], False, False, "docker-desktop"),
        ([], False, True, "local"),
        (["docker-desktop"], False, True, "local"),  # a copied kubeconfig must not beat the host
    ],
)
def test_auto_provider(contexts, desktop_engine, linux_root, expected):
    assert detect.auto_provider(contexts, desktop_engine, linux_root)[0] == expected


def test_auto_provider_without_any_option_explains():
    with pytest.raises(ValueError, match="Fix"):
        detect.auto_provider([], False, False)


def test_docker_info_store_detection():
    assert detect.uses_containerd_image_store({"DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]})
    assert detect.uses_containerd_image_store({"DriverStatus": [["Backing Filesystem", "extfs"]]}) is False
    assert detect.uses_containerd_image_store({}) is None


def test_provider_status_flags_a_context_that_is_another_provider(recorded):
    recorded(_load(Path(__file__).parent / "data" / "clusters" / "docker-desktop-context-foreign-nodes.json"))
    status = providers.DockerDesktopProvider().status()
    assert status.reachable and status.problems
    assert "looks like provider 'unknown'" in status.problems[0]


def test_docker_desktop_up_without_context_says_how_to_enable(recorded, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(providers.ProviderError, match="Enable Kubernetes"):
        providers.DockerDesktopProvider().up(lambda m: None, lambda m: None)
