"""Which image a pod runs after a rebuild: the toolkit's promise (content-hash tags, so the
image just built is the one that runs) and the cluster's own rule for a rebuilt tag, which
differs between Docker Desktop's modes and must differ the same way on their stand-ins."""
from __future__ import annotations

import secrets

from clusterhelpers import probe_pod_body, recognised, run, wait_probe_ready

# What a node runs after the same tag is rebuilt in the engine (imagePullPolicy IfNotPresent):
# kubeadm mode reads the engine's store directly, so the next pod sees the rebuild; kind mode's
# node keeps what it pulled through the mirror, and the local cluster keeps what it imported.
SAME_TAG_REBUILD_SEEN = {"docker-desktop/kubeadm": True, "docker-desktop/kind": False, "local": False}


def _run(kube, namespace: str, image: str) -> str:
    """The stamp of `image`, read in a new pod that runs it."""
    name = f"fresh-{secrets.token_hex(3)}"
    kube.create_pod(namespace, probe_pod_body(name, image))
    wait_probe_ready(kube, namespace, name)
    return run(kube, namespace, name, "/probe", "read", "/stamp")


def test_the_pod_runs_the_image_just_rebuilt(kube, namespace, build_probe):
    first_stamp, second_stamp = (f"build {secrets.token_hex(4)}" for _ in range(2))
    first = build_probe(first_stamp)
    assert _run(kube, namespace, first) == first_stamp
    second = build_probe(second_stamp)
    assert second != first, "a changed image must get a new tag"
    assert _run(kube, namespace, second) == second_stamp


def test_a_rebuilt_tag_is_served_as_the_cluster_it_stands_for_serves_it(kube, namespace, provider, build_probe):
    kind = recognised(provider)
    tag = f"same-{secrets.token_hex(4)}"
    build_probe("before", tag=tag)
    assert _run(kube, namespace, f"traderadmin-test/probe:{tag}") == "before"
    build_probe("after", tag=tag)
    seen = _run(kube, namespace, f"traderadmin-test/probe:{tag}")
    assert seen == ("after" if SAME_TAG_REBUILD_SEEN[kind] else "before"), (
        f"on {kind} a pod after a same-tag rebuild ran the {seen!r} image")
