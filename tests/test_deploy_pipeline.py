"""deploy_stack's order on a fake cluster: the claim is owned before the writer starts, and the
namespace enforces `restricted` before any of the stack's pods is admitted."""
from __future__ import annotations

from pathlib import Path

import pytest

from fake_kube import FakeKube, deployment, pod
from traderadmin.config import ConfigFiles, init_config
from traderadmin.stack.pipeline import deploy_stack
from traderadmin.stack.volume import OWNED_ANNOTATION

ROOT = Path(__file__).resolve().parent.parent
IMAGES = {f"traderadmin/{n}": f"traderadmin/{n}:t" for n in ("orchestrator", "scanner", "configwriter")}
ENFORCE = "pod-security.kubernetes.io/enforce"


class RecordingKube(FakeKube):
    """The fake, keeping one log of what was applied (with the namespace's level) and created, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []
        self.created_phase["volume-owner"] = "Succeeded"
        for name in ("config-writer", "orchestrator", "scanner"):
            self.deployment_objects[name] = deployment()
        self.pod_objects = [pod("w-1", "config-writer")]

    def server_side_apply(self, obj, field_manager):
        level = obj["metadata"].get("labels", {}).get(ENFORCE)
        self.log.append(f"{obj['kind']}/{obj['metadata']['name']}" + (f" {level}" if level else ""))
        return super().server_side_apply(obj, field_manager)

    def create_pod(self, namespace, body):
        self.log.append(f"create Pod/{body['metadata']['name']}")
        super().create_pod(namespace, body)


@pytest.fixture
def files(tmp_path):
    files = ConfigFiles(tmp_path / "config.toml", ROOT / "config" / "schema.json")
    init_config(files)
    return files


def _deploy(kube, files, host_network=False):
    return deploy_stack(kube, root=ROOT, files=files, namespace="ns", provider="local", images=IMAGES,
                        host_network=host_network, timeout=5)


def test_first_deploy_owns_the_claim_under_baseline_then_starts_the_stack_under_restricted(files):
    kube = RecordingKube()
    _deploy(kube, files)
    log = kube.log
    assert log[0] == "Namespace/ns baseline"
    owner = log.index("create Pod/volume-owner")
    assert log.index("PersistentVolumeClaim/trader-config") < owner
    assert log[owner + 1] == "Namespace/ns restricted"
    assert all(log.index(f"Deployment/{d}") > owner + 1 for d in ("config-writer", "orchestrator", "scanner"))
    assert kube.claim_annotations == {OWNED_ANNOTATION: "65532:65532"}
    assert not kube.pods("ns", "volume-owner")


def test_a_later_deploy_runs_no_owner_and_is_restricted_throughout(files):
    kube = RecordingKube()
    kube.claim_annotations[OWNED_ANNOTATION] = "65532:65532"
    _deploy(kube, files)
    assert "create Pod/volume-owner" not in kube.log
    assert [e for e in kube.log if e.startswith("Namespace/")] == ["Namespace/ns restricted"]


def test_host_networking_runs_the_namespace_privileged(files):
    kube = RecordingKube()
    _deploy(kube, files, host_network=True)
    assert [e for e in kube.log if e.startswith("Namespace/")] == ["Namespace/ns privileged"]
