"""The one-shot volume-owner pod: runs once per claim, leaves nothing behind, explains a failure."""
from __future__ import annotations

from pathlib import Path

import pytest

from fake_kube import FakeKube, pod
from traderadmin.kube.errors import KubeForbidden
from traderadmin.stack import manifests
from traderadmin.stack.errors import DeployError
from traderadmin.stack.volume import OWNED_ANNOTATION
from traderadmin.stack.volumeowner import claim_owned, own_claim

ROOT = Path(__file__).resolve().parent.parent
IMAGES = {"traderadmin/configwriter": "traderadmin/configwriter:abc"}
(POD,) = manifests.render([manifests.load_one(ROOT / "deploy" / "once" / "volume-owner.yaml")], "ns", IMAGES)


def test_a_claim_is_owned_only_once_the_mark_is_on_it():
    kube = FakeKube()
    assert not claim_owned(kube, "ns")
    kube.claim_annotations[OWNED_ANNOTATION] = "0:0"
    assert not claim_owned(kube, "ns"), "a mark for another uid is no mark"
    kube.volume["pvc_phase"] = "missing"
    assert not claim_owned(kube, "ns")


def test_the_pod_runs_is_removed_and_the_claim_marked():
    kube = FakeKube()
    kube.created_phase["volume-owner"] = "Succeeded"
    seen = []
    own_claim(kube, "ns", POD, timeout=5, on_wait=seen.append)
    (created,) = kube.created
    assert created["spec"]["containers"][0]["image"] == "traderadmin/configwriter:abc"
    assert created["metadata"]["namespace"] == "ns"
    assert not kube.pods("ns", "volume-owner"), "nothing is left running or lying around"
    assert claim_owned(kube, "ns")


def test_a_failed_owner_explains_with_its_log_and_leaves_the_claim_unmarked():
    kube = FakeKube()
    kube.created_phase["volume-owner"] = "Failed"
    kube.logs_by_pod["volume-owner"] = "chown /config: operation not permitted\n"
    with pytest.raises(DeployError) as err:
        own_claim(kube, "ns", POD, timeout=5)
    text = str(err.value)
    assert "operation not permitted" in text and "annotate pvc trader-config" in text
    assert not kube.pods("ns", "volume-owner") and not claim_owned(kube, "ns")


def test_an_owner_that_never_finishes_says_why_without_blaming_the_volume():
    kube = FakeKube()
    kube.created_phase["volume-owner"] = "Pending"
    with pytest.raises(DeployError, match="did not finish within 1 s") as err:
        own_claim(kube, "ns", POD, timeout=1)
    assert "chown" not in str(err.value), "nothing ran: giving the volume away by hand would hide the cause"
    assert not claim_owned(kube, "ns") and not kube.pods("ns", "volume-owner")


def test_an_owner_that_cannot_be_scheduled_names_the_unbound_claim():
    kube = FakeKube()
    kube.volume["pvc_phase"] = "Pending"
    kube.created_phase["volume-owner"] = "Pending"
    create = kube.create_pod

    def unschedulable(namespace, body):
        create(namespace, body)
        kube.pod_objects[-1] = pod("volume-owner", "volume-owner", "Pending", scheduled=False)

    kube.create_pod = unschedulable
    with pytest.raises(DeployError) as err:
        own_claim(kube, "ns", POD, timeout=1)
    assert "not scheduled: 0/1 nodes: unbound PVC" in str(err.value)
    assert "the claim trader-config is not bound" in str(err.value)


def test_a_missing_image_is_named_as_such():
    kube = FakeKube()
    create = kube.create_pod

    def never_pulled(namespace, body):
        create(namespace, body)
        kube.pod_objects[-1] = pod("volume-owner", "volume-owner", "Failed", waiting="ErrImageNeverPull")

    kube.create_pod = never_pulled
    with pytest.raises(DeployError, match="not in the cluster's image store"):
        own_claim(kube, "ns", POD, timeout=5)


def test_a_leftover_owner_is_removed_before_the_new_one_starts():
    kube = FakeKube()
    kube.pod_objects = [pod("volume-owner", "volume-owner", "Succeeded")]
    kube.created_phase["volume-owner"] = "Succeeded"
    own_claim(kube, "ns", POD, timeout=5)
    assert kube.deleted.count("Pod/volume-owner") == 2, "the leftover, then this run's own"
    assert len(kube.created) == 1 and claim_owned(kube, "ns")


def test_a_refusal_other_than_pod_security_is_left_as_it_is():
    kube = FakeKube()
    kube.create_refusal = KubeForbidden('pods is forbidden: User "x" cannot create resource "pods"')
    with pytest.raises(KubeForbidden, match="cannot create"):
        own_claim(kube, "ns", POD, timeout=5)


def test_admission_refusing_the_owner_names_what_it_needs_and_the_way_round():
    kube = FakeKube()
    kube.create_refusal = KubeForbidden('pods "volume-owner" is forbidden: violates PodSecurity "restricted:latest"')
    with pytest.raises(DeployError) as err:
        own_claim(kube, "ns", POD, timeout=5)
    text = str(err.value)
    assert "root with CAP_CHOWN" in text and "violates PodSecurity" in text
    assert f"annotate pvc trader-config {OWNED_ANNOTATION}=65532:65532" in text
    assert isinstance(err.value.__cause__, KubeForbidden)
