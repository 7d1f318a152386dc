"""deploy/ keeps the promises DESIGN.md makes, and rendering places it in one namespace."""
from pathlib import Path

import pytest

from traderadmin.stack import manifests

ROOT = Path(__file__).resolve().parent.parent
OBJS = manifests.load(ROOT / "deploy")
DEPLOYMENTS = {o["metadata"]["name"]: o for o in OBJS if o["kind"] == "Deployment"}
IMAGES = {f"traderadmin/{n}": f"traderadmin/{n}:abc123" for n in ("orchestrator", "scanner", "configwriter")}
OWNER_POD = manifests.load_one(ROOT / "deploy" / "once" / "volume-owner.yaml")


def _every_container(spec):
    return spec.get("initContainers", []) + spec["containers"]


def _effective(pod_sc, c, key):
    """What the kubelet applies: the container's own setting wins over the pod's."""
    return c.get("securityContext", {}).get(key, pod_sc.get(key))


def test_the_stack_is_all_there():
    kinds = {(o["kind"], o["metadata"]["name"]) for o in OBJS}
    assert {("Namespace", "traderadmin"), ("PersistentVolumeClaim", "trader-config"),
            ("Deployment", "orchestrator"), ("Deployment", "scanner"), ("Deployment", "config-writer"),
            ("ServiceAccount", "traderadmin-toolkit"), ("Role", "traderadmin-toolkit"),
            ("RoleBinding", "traderadmin-toolkit")} <= kinds
    assert not any(o["kind"].startswith("Cluster") for o in OBJS), "the toolkit needs namespace rights only"


def test_pvc_is_the_plans():
    (pvc,) = [o for o in OBJS if o["kind"] == "PersistentVolumeClaim"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "100Mi"
    assert "storageClassName" not in pvc["spec"], "the default StorageClass must bind it"


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_pods_are_locked_down(name):
    spec = DEPLOYMENTS[name]["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert spec["automountServiceAccountToken"] is False
    for c in _every_container(spec):
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert {"requests", "limits"} <= c["resources"].keys()
        assert c["imagePullPolicy"] == "IfNotPresent"
    for c in spec["containers"]:  # init containers run to completion and take no probes
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("name", ["orchestrator", "scanner"])
def test_services_mount_the_config_read_only_as_a_directory(name):
    spec = DEPLOYMENTS[name]["spec"]["template"]["spec"]
    (vol,) = [v for v in spec["volumes"] if v.get("persistentVolumeClaim")]
    assert vol["persistentVolumeClaim"] == {"claimName": "trader-config", "readOnly": True}
    (mount,) = [m for m in spec["containers"][0]["volumeMounts"] if m["name"] == vol["name"]]
    assert mount["mountPath"] == "/config" and mount["readOnly"] is True
    assert "subPath" not in mount, "a subPath mount pins the old inode after an atomic rename"


def test_only_the_writer_mounts_the_config_read_write():
    writers = []
    for name, d in DEPLOYMENTS.items():
        spec = d["spec"]["template"]["spec"]
        claims = {v["name"] for v in spec["volumes"]
                  if v.get("persistentVolumeClaim", {}).get("claimName") == "trader-config"}
        writers += [(name, c["name"]) for c in _every_container(spec)
                    for m in c.get("volumeMounts", []) if m["name"] in claims and not m.get("readOnly")]
    assert writers == [("config-writer", "config-writer")], "the writer is the only read-write mount that stays"


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_every_deployment_passes_pod_security_restricted(name):
    """What the namespace enforces once the claim is owned: a pod short of it would never start."""
    assert _restricted_violations(DEPLOYMENTS[name]["spec"]["template"]["spec"]) == []


def test_the_restricted_check_catches_what_admission_would_refuse():
    assert "runAsUser=0 (volume-owner)" in _restricted_violations(OWNER_POD["spec"])
    assert "capabilities.add CHOWN (volume-owner)" in _restricted_violations(OWNER_POD["spec"])
    assert "hostNetwork" in _restricted_violations({"hostNetwork": True, "containers": []})


def _restricted_violations(spec) -> list[str]:
    """The rules of the Pod Security `restricted` profile that deploy/ could break."""
    pod_sc = spec.get("securityContext", {})
    found = [f for f in ("hostNetwork", "hostPID", "hostIPC") if spec.get(f)]
    found += [f"hostPath volume {v['name']}" for v in spec.get("volumes", []) if "hostPath" in v]
    for c in _every_container(spec):
        sc, name = c.get("securityContext", {}), c["name"]
        if _effective(pod_sc, c, "runAsNonRoot") is not True:
            found.append(f"runAsNonRoot ({name})")
        if _effective(pod_sc, c, "runAsUser") == 0:
            found.append(f"runAsUser=0 ({name})")
        if sc.get("privileged") or sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"privilege escalation ({name})")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            found.append(f"capabilities not dropped ({name})")
        found += [f"capabilities.add {cap} ({name})" for cap in sc.get("capabilities", {}).get("add", [])
                  if cap != "NET_BIND_SERVICE"]
        if (sc.get("seccompProfile") or pod_sc.get("seccompProfile", {})).get("type") not in (
                "RuntimeDefault", "Localhost"):
            found.append(f"seccompProfile ({name})")
    return found


def test_only_the_one_shot_owner_pod_runs_as_root_and_holds_only_chown():
    """Docker Desktop's and kind's volumes are root-owned and ignore fsGroup: one root chown, nothing more,
    in a pod that runs once and exits (an init container would hold root on every writer start)."""
    for name, d in DEPLOYMENTS.items():
        assert "initContainers" not in d["spec"]["template"]["spec"], name
    spec = OWNER_POD["spec"]
    assert OWNER_POD["kind"] == "Pod" and spec["restartPolicy"] == "Never"
    assert spec["automountServiceAccountToken"] is False
    (owner,) = spec["containers"]
    assert owner["args"] == ["own", "/config", "65532", "65532"]
    assert owner["image"] == "traderadmin/configwriter" and owner["imagePullPolicy"] == "IfNotPresent"
    sc = owner["securityContext"]
    assert sc["runAsUser"] == 0 and sc["runAsNonRoot"] is False
    assert sc["capabilities"] == {"drop": ["ALL"], "add": ["CHOWN"]}
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
    assert {"requests", "limits"} <= owner["resources"].keys()
    assert [m["mountPath"] for m in owner["volumeMounts"]] == ["/config"]
    (vol,) = spec["volumes"]
    assert vol["persistentVolumeClaim"] == {"claimName": "trader-config"}


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_every_container_of_the_stack_runs_as_non_root_with_nothing_added(name):
    spec = DEPLOYMENTS[name]["spec"]["template"]["spec"]
    pod_sc = spec["securityContext"]
    for c in _every_container(spec):
        assert _effective(pod_sc, c, "runAsNonRoot") is True, c["name"]
        assert _effective(pod_sc, c, "runAsUser") not in (None, 0), c["name"]
        assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}, c["name"]


def test_the_toolkit_knows_the_writers_port_and_uid():
    from traderadmin.stack.volume import VOLUME_OWNER, WRITER_PORT, WRITER_UID

    spec = DEPLOYMENTS["config-writer"]["spec"]["template"]["spec"]
    (writer,) = spec["containers"]
    assert writer["ports"][0]["containerPort"] == WRITER_PORT
    assert spec["securityContext"]["runAsUser"] == WRITER_UID
    (owner,) = OWNER_POD["spec"]["containers"]
    assert OWNER_POD["metadata"]["labels"]["app.kubernetes.io/name"] == VOLUME_OWNER
    assert owner["args"][2:] == [str(WRITER_UID)] * 2


def test_render_places_everything_in_one_namespace_with_tagged_images():
    objs = manifests.render(OBJS, "gate-123", IMAGES)
    for o in objs:
        labels = o["metadata"]["labels"]
        assert labels[manifests.MANAGED_BY] == "traderadmin"
        if o["kind"] == "Namespace":
            assert o["metadata"]["name"] == "gate-123"
        else:
            assert o["metadata"]["namespace"] == "gate-123"
        spec = o.get("spec", {}).get("template", {}).get("spec", {})
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            assert c["image"].endswith(":abc123")
    (rb,) = [o for o in objs if o["kind"] == "RoleBinding"]
    assert rb["subjects"][0]["namespace"] == "gate-123"
    assert OBJS[0]["metadata"]["name"] == "traderadmin", "render must not change its input"


def test_render_labels_the_namespace_for_the_pod_security_level_it_is_given():
    (ns,) = [o for o in manifests.render(OBJS, "x", IMAGES, pod_security="restricted") if o["kind"] == "Namespace"]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    (ns,) = [o for o in manifests.render(OBJS, "x", IMAGES) if o["kind"] == "Namespace"]
    assert not any(k.startswith("pod-security") for k in ns["metadata"]["labels"])


def test_render_tags_and_places_a_bare_pod():
    (pod,) = manifests.render([OWNER_POD], "x", IMAGES)
    assert pod["metadata"]["namespace"] == "x" and pod["metadata"]["labels"][manifests.MANAGED_BY] == "traderadmin"
    assert pod["spec"]["containers"][0]["image"] == "traderadmin/configwriter:abc123"


def test_deploy_applies_only_the_top_folder():
    assert not [o for o in OBJS if o["kind"] == "Pod"], "deploy/once/ is created by deploy itself, once"


def test_render_refuses_an_image_that_was_not_built():
    with pytest.raises(manifests.ManifestError, match="images.build"):
        manifests.render(OBJS, "x", {"traderadmin/scanner": "traderadmin/scanner:1"})


def test_host_network_applies_to_the_services_only():
    objs = {o["metadata"]["name"]: o for o in manifests.render(OBJS, "x", IMAGES, host_network=True)
            if o["kind"] == "Deployment"}
    assert objs["orchestrator"]["spec"]["template"]["spec"]["hostNetwork"] is True
    assert objs["scanner"]["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert "hostNetwork" not in objs["config-writer"]["spec"]["template"]["spec"]


@pytest.mark.parametrize("name", ["orchestrator", "scanner"])
def test_services_roll_out_one_pod_at_a_time(name):
    # hostNetwork pods cannot overlap on one node, and two orchestrators must never share a client_id.
    assert DEPLOYMENTS[name]["spec"]["strategy"] == {"type": "Recreate"}


def _mounts_the_claim(spec) -> bool:
    claims = {v["name"] for v in spec.get("volumes", [])
              if v.get("persistentVolumeClaim", {}).get("claimName") == "trader-config"}
    return any(m["name"] in claims for c in _every_container(spec) for m in c.get("volumeMounts", []))


def test_every_pod_that_mounts_the_config_volume_runs_on_the_writers_node():
    """ReadWriteOnce mounts on one node: on a cluster of several nodes (Docker Desktop's kind
    mode can run them) a reader scheduled elsewhere would never start. Each reader must be
    required (not preferred) to share the writer's node."""
    writer_labels = DEPLOYMENTS["config-writer"]["spec"]["template"]["metadata"]["labels"]
    readers = {name: d for name, d in DEPLOYMENTS.items()
               if name != "config-writer" and _mounts_the_claim(d["spec"]["template"]["spec"])}
    assert set(readers) == {"orchestrator", "scanner"}
    for name, d in readers.items():
        terms = d["spec"]["template"]["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert any(t["topologyKey"] == "kubernetes.io/hostname"
                   and t["labelSelector"]["matchLabels"].items() <= writer_labels.items() for t in terms), name


def test_the_writer_pins_nothing_itself():
    """The writer goes where the volume is (a local-path volume's own node affinity says where);
    an affinity of its own could contradict the volume's and leave it unschedulable."""
    assert "affinity" not in DEPLOYMENTS["config-writer"]["spec"]["template"]["spec"]
