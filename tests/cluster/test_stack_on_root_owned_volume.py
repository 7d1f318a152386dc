"""The stack on a volume as Docker Desktop hands it out: a root-owned 0755 folder that
`fsGroup` does not change. Deploy must make it writable for the config writer (and
only for it), and a reload through it must reach both services."""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from clusterhelpers import claim_body, create, pod_named, probe_pod_body, run, wait_for, wait_probe_ready
from traderadmin.config import ConfigFiles, init_config, read, set_values, sha256
from traderadmin.stack import reload
from traderadmin.stack.pipeline import deploy_stack
from traderadmin.stack.status import SERVICE_PORTS, stack_status
from traderadmin.kube.errors import KubeForbidden
from traderadmin.stack.volume import CLAIM, OWNED_ANNOTATION, VOLUME_OWNER, WRITER, writer_pod

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack_namespace(kube):
    name = f"ta-rootvol-{secrets.token_hex(3)}"
    kube.server_side_apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, "traderadmin-tests")
    yield name
    kube.delete_namespace(name)


def test_deploy_onto_a_root_owned_0755_volume_then_reload(kube, provider, probe_image, stack_namespace, tmp_path):
    ns = stack_namespace
    create(kube, ns, claim_body("trader-config", "100Mi"))

    # Before the stack: the folder is root's and a non-root pod cannot write into it.
    kube.create_pod(ns, probe_pod_body("before", probe_image, "trader-config"))
    wait_probe_ready(kube, ns, "before")
    assert json.loads(run(kube, ns, "before", "/probe", "stat", "/data")) == {"uid": 0, "gid": 0, "mode": "0755"}
    assert "permission denied" in run(kube, ns, "before", "/probe", "write", "/data/x", "x")
    kube.delete_pod(ns, "before", grace_seconds=0)

    status = provider.status()
    files = ConfigFiles(tmp_path / "config.toml", ROOT / "config" / "schema.json")
    init_config(files)
    report = deploy_stack(kube, root=ROOT, files=files, namespace=ns, provider=status.provider,
                          desktop_mode=status.mode or None, timeout=240)
    assert report.config_sha256 == sha256(read(files)[0])

    # Only the one-shot owner pod held a capability; it handed the folder to the writer and is gone.
    name = writer_pod(kube, ns)
    (writer,) = [p for p in kube.pod_details(ns, WRITER) if p.name == name]
    assert not writer.init_container_statuses
    assert not kube.pods(ns, VOLUME_OWNER)
    assert kube.claim(ns, CLAIM).annotation(OWNED_ANNOTATION) == "65532:65532"
    assert json.loads(kube.exec(ns, writer.name, ["/configwriter", "stat", "/config/config.toml"]).stdout)["exists"]

    # Every pod of the stack was admitted under `restricted`, and the namespace refuses anything less.
    labels = kube.get_json(f"/api/v1/namespaces/{ns}", "reading the namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted", labels
    root = probe_pod_body("root", probe_image)
    root["spec"]["containers"][0]["securityContext"] |= {"runAsNonRoot": False, "runAsUser": 0}
    with pytest.raises(KubeForbidden, match="PodSecurity"):
        kube.create_pod(ns, root)

    set_values(files, ["trading.max_positions=7"])
    data, _ = read(files)
    outcome = reload.push(kube, ns, data, sha256(data), timeout=60)
    assert outcome.written and outcome.ok, [r.__dict__ for r in outcome.results]
    assert {r.service for r in outcome.results} == {"orchestrator", "scanner"}
    for row in stack_status(kube, ns, sha256(data)).rows():
        if row["service"] in SERVICE_PORTS:
            assert row["config_sha256"] == sha256(data) and row["matches_local"], row

    # The services still mount the volume read-only: the writer is the only one that can change it.
    for name in SERVICE_PORTS:
        spec = (kube.deployment(ns, name).template or {})["spec"]
        mounts = [m for c in spec["containers"] for m in c.get("volumeMounts") or [] if m["name"] == "cfg"]
        assert mounts and all(m.get("readOnly") for m in mounts), name
    wait_for(lambda: pod_named(kube, ns, "before") is None, 60, "probe pod gone")
