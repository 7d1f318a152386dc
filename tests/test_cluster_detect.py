"""Provider detection against recorded kubeconfigs, node lists and `docker info` output.

Each file in tests/data/clusters holds one machine's view: the kubeconfig, the
`kubectl get nodes -o json` items and the relevant `docker info` fields, and
what the toolkit must make of it (provider, mode, the cluster name its CLI takes).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from traderadmin.cluster import detect, probes, providers
from traderadmin.kube.errors import KubeUnreachable
from traderadmin.kube.objects import NodeInfo
from traderadmin.localcluster import flavors

DATA = Path(__file__).parent / "data" / "clusters"
CASES = sorted(DATA.glob("*.json"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _node_infos(case: dict) -> list[NodeInfo]:
    return [
        NodeInfo(
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
        monkeypatch.setattr(probes, "list_nodes", lambda context, kubeconfig=None, timeout=10.0: _node_infos(case))
        monkeypatch.setattr(probes, "docker_info", lambda: case["docker_info"])

    return use


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_recorded_cluster_is_classified(path, recorded):
    case = _load(path)
    recorded(case)
    context = case["kubeconfig"]["current-context"]
    detection, nodes = providers.detect_context(context)
    expect = case["expect"]
    assert (detection.provider, detection.mode, detection.cluster, detection.supported) == (
        expect["provider"],
        expect["mode"],
        expect.get("cluster", ""),
        expect["supported"],
    ), detection.reason
    assert len(detection.problems) == expect["problems"], detection.problems
    if "problem_mentions" in expect:
        assert expect["problem_mentions"] in detection.problems[0]
        assert "Fix:" in detection.problems[0]
    assert detection.reason  # every answer says why
    assert [n.name for n in nodes] == [n["metadata"]["name"] for n in case["nodes"]]


def test_context_server_is_read_from_kubeconfig(recorded):
    recorded(_load(DATA / "docker-desktop-kubeadm.json"))
    contexts, current = probes.list_contexts()
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
    recorded(_load(DATA / "docker-desktop-context-foreign-nodes.json"))
    status = providers.DockerDesktopProvider().status()
    assert status.reachable and status.problems
    assert "looks like provider 'unknown'" in status.problems[0]


def test_docker_desktop_up_without_context_says_how_to_enable(recorded, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(providers.ProviderError, match="Enable Kubernetes"):
        providers.DockerDesktopProvider().up(lambda m: None, lambda m: None)


def test_every_provider_the_toolkit_knows_has_a_recorded_case():
    recorded_providers = {_load(path)["expect"]["provider"] for path in CASES}
    assert set(detect.PROVIDERS) | {"unknown"} <= recorded_providers


def test_minikube_profile_is_read_from_the_kubeconfig_extension(recorded):
    recorded(_load(DATA / "minikube-profile-multi-node.json"))
    (facts,), _ = probes.list_contexts()
    assert facts.written_by == detect.MINIKUBE_KUBECONFIG_PROVIDER


@pytest.mark.parametrize(("context", "nodes", "says"), [
    # Named like a tool's context, but the nodes are someone else's: never a guess.
    ("kind-dev", ["dev-control-plane", "prod-worker"], "not dev-control-plane"),
    ("k3d-dev", ["k3d-dev-agent-0"], "not k3d-dev-server-N"),
    ("minikube", ["minikube", "worker-1"], "not minikube and minikube-m02"),
    ("rancher-desktop", ["lima-rancher-desktop", "lima-rancher-desktop-2"], "single k3s node"),
    ("orbstack", ["my-mac"], "renamed in OrbStack's settings"),
    ("trading", ["trading", "trading-m02"], "matches no known provider"),  # minikube-like, but no minikube mark
])
def test_a_context_whose_nodes_disagree_is_unknown_with_the_reason(context, nodes, says):
    detection = detect.classify(detect.ContextFacts(context), nodes)
    assert (detection.provider, detection.supported, detection.cluster) == ("unknown", False, "")
    assert says in detection.reason


# --- existing clusters through --context ------------------------------------------------


@pytest.fixture
def no_local_cluster(monkeypatch):
    """This host runs no local cluster, whatever the machine running the tests does."""
    monkeypatch.setattr(providers, "linux_root_debian", lambda: False)


@pytest.mark.parametrize(("case", "provider", "cluster"), [
    ("kind-multi-node", "kind", "trading"),
    ("k3d", "k3d", "trading"),
    ("minikube-profile-multi-node", "minikube", "trading"),
    ("rancher-desktop", "rancher-desktop", ""),
    ("orbstack", "orbstack", ""),
])
def test_context_provider_reports_the_recognised_cluster(case, provider, cluster, recorded, no_local_cluster):
    recorded(_load(DATA / f"{case}.json"))
    context = _load(DATA / f"{case}.json")["kubeconfig"]["current-context"]
    chosen, why = providers.choose_provider("auto", context=context)
    assert isinstance(chosen, providers.ContextProvider) and context in why
    status = chosen.up(lambda m: None, lambda m: None)
    assert (status.provider, status.cluster, status.context, status.problems) == (provider, cluster, context, [])
    assert status.reachable and status.node_ready


def test_unknown_cluster_without_registry_is_refused_naming_context_nodes_and_fix(recorded, no_local_cluster):
    case = _load(DATA / "unknown-cloud-cluster.json")
    recorded(case)
    context = case["kubeconfig"]["current-context"]
    status = providers.get_provider(context=context).status()
    assert status.provider == "unknown" and len(status.problems) == 1
    problem = status.problems[0]
    for words in (repr(context), "ip-10-0-1-23.eu-west-1.compute.internal", "matches no known provider",
                  "kind, k3d, minikube", "Fix: push them to a registry", "--registry HOST/PREFIX"):
        assert words in problem
    with pytest.raises(providers.ProviderError) as refused:
        providers.get_provider(context=context).up(lambda m: None, lambda m: None)
    assert str(refused.value) == problem


def test_unknown_cluster_with_a_registry_is_accepted(recorded, no_local_cluster):
    case = _load(DATA / "unknown-cloud-cluster.json")
    recorded(case)
    context = case["kubeconfig"]["current-context"]
    status = providers.get_provider(context=context, registry="registry.example.com/trading").up(
        lambda m: None, lambda m: None)
    assert status.provider == "unknown" and status.problems == [] and status.node_ready


def test_a_registry_also_lifts_rancher_desktops_containerd_problem(recorded, no_local_cluster):
    recorded(_load(DATA / "rancher-desktop-containerd.json"))
    assert "dockerd (moby)" in providers.get_provider(context="rancher-desktop").status().problems[0]
    assert providers.get_provider(context="rancher-desktop", registry="localhost:5000/t").status().problems == []


def test_context_provider_does_not_own_the_cluster(no_local_cluster):
    message = providers.ContextProvider("kind-dev").down(lambda m: None)
    assert "does not own" in message and "kind-dev" in message


def test_context_provider_up_without_that_context_says_how_to_list_them(recorded, no_local_cluster):
    recorded(_load(DATA / "kind.json"))
    with pytest.raises(providers.ProviderError, match="no context 'kind-gone'.*kubectl config get-contexts"):
        providers.ContextProvider("kind-gone").up(lambda m: None, lambda m: None)


@pytest.mark.parametrize(("case", "fix"), [
    ("kind", "docker start dev-control-plane"),
    ("k3d", "k3d cluster start trading"),
    ("minikube", "minikube start --profile minikube"),
    ("rancher-desktop", "start Rancher Desktop"),
    ("orbstack", "orb start k8s"),
])
def test_context_provider_up_on_a_silent_cluster_says_how_to_start_it(case, fix, recorded, monkeypatch,
                                                                     no_local_cluster):
    data = _load(DATA / f"{case}.json")
    recorded(data)

    def unreachable(context, kubeconfig=None, timeout=10.0):
        raise KubeUnreachable(f"cluster of context {context!r} is not reachable: connection refused")

    monkeypatch.setattr(probes, "list_nodes", unreachable)
    context = data["kubeconfig"]["current-context"]
    with pytest.raises(providers.ProviderError, match="does not answer") as caught:
        providers.get_provider(context=context).up(lambda m: None, lambda m: None)
    assert fix in str(caught.value) and "connection refused" in str(caught.value)


def test_contexts_of_the_toolkits_own_providers_stay_theirs(no_local_cluster):
    assert isinstance(providers.get_provider(context="docker-desktop"), providers.DockerDesktopProvider)
    local = providers.get_provider(context="traderadmin-local")
    assert isinstance(local, providers.LocalProvider) and local.flavor.name == "plain"


@pytest.mark.parametrize("flavor", [f.name for f in flavors.FLAVORS.values() if f.context == "docker-desktop"])
def test_the_local_clusters_served_context_stays_the_local_providers(flavor, monkeypatch, tmp_path):
    """On a host whose local cluster stands in for Docker Desktop, `--context docker-desktop`
    is that cluster in the flavor it runs, as `--provider auto` is."""
    monkeypatch.setenv("TRADERADMIN_STATE_DIR", str(tmp_path))
    (tmp_path / "flavor").write_text(f"{flavor}\n")
    monkeypatch.setattr(providers, "linux_root_debian", lambda: True)
    local = providers.get_provider(context="docker-desktop")
    assert isinstance(local, providers.LocalProvider) and local.flavor.name == flavor


@pytest.mark.parametrize(("name", "flavor", "context", "says"), [
    ("local", None, "kind-dev", "--provider local does not serve context 'kind-dev', which is a cluster of your own"),
    ("docker-desktop", None, "traderadmin-local", "which is the local provider's"),
    ("auto", "plain", "kind-dev", "--flavor is for the local provider; context 'kind-dev' is a cluster of your own"),
    ("auto", "plain", "docker-desktop", "context 'docker-desktop' is the docker-desktop provider's"),
    ("auto", "kubeadm", "traderadmin-local", "serves context 'docker-desktop', not 'traderadmin-local'"),
])
def test_contradicting_choices_are_refused_with_the_fix(name, flavor, context, says, no_local_cluster):
    with pytest.raises(providers.ProviderError) as refused:
        providers.get_provider(name, flavor, context=context)
    assert says in str(refused.value) and "Fix: " in str(refused.value)
