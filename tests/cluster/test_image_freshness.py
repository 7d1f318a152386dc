"""Which image a pod runs after a rebuild: the toolkit's promise (content-hash tags, so the
image just built is the one that runs) and the cluster's own rule for a rebuilt tag, which
differs between Docker Desktop's modes and must differ the same way on their stand-ins."""
from __future__ import annotations

import secrets

from kubernetes.stream import stream

from clusterhelpers import probe_pod_body, recognised, wait_probe_ready

# What a node runs after the same tag is rebuilt in the engine (imagePullPolicy IfNotPresent):
# kubeadm mode reads the engine's store directly, so the next pod sees the rebuild; kind mode's
# node keeps what it pulled through the mirror, and the local cluster keeps what it imported.
SAME_TAG_REBUILD_SEEN = {"docker-desktop/kubeadm": True, "docker-desktop/kind": False, "local": False}


def _stamp(core, namespace: str, pod: str) -> str:
    return stream(core.connect_get_namespaced_pod_exec, pod, namespace, command=["/probe", "read", "/stamp"],
                  stderr=True, stdin=False, stdout=True, tty=False, _preload_content=True)


def _run(core, namespace: str, image: str) -> str:
    name = f"fresh-{secrets.token_hex(3)}"
    core.create_namespaced_pod(namespace, probe_pod_body(name, image))
    wait_probe_ready(core, namespace, name)
    return _stamp(core, namespace, name)


def test_the_pod_runs_the_image_just_rebuilt(core, namespace, build_probe):
    first_stamp, second_stamp = (f"build {secrets.token_hex(4)}" for _ in range(2))
    first = build_probe(first_stamp)
    assert _run(core, namespace, first) == first_stamp
    second = build_probe(second_stamp)
    assert second != first, "a changed image must get a new tag"
    assert _run(core, namespace, second) == second_stamp


def test_a_rebuilt_tag_is_served_as_the_cluster_it_stands_for_serves_it(core, namespace, provider, build_probe):
    kind = recognised(provider)
    tag = f"same-{secrets.token_hex(4)}"
    build_probe("before", tag=tag)
    assert _run(core, namespace, f"traderadmin-test/probe:{tag}") == "before"
    build_probe("after", tag=tag)
    seen = _run(core, namespace, f"traderadmin-test/probe:{tag}")
    assert seen == ("after" if SAME_TAG_REBUILD_SEEN[kind] else "before"), (
        f"on {kind} a pod after a same-tag rebuild ran the {seen!r} image")
