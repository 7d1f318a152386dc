"""The objects in deploy/, made ready for one namespace and one set of image tags."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from traderadmin.errors import ToolkitError
from traderadmin.stack import podsecurity

PART_OF = "app.kubernetes.io/part-of"
MANAGED_BY = "app.kubernetes.io/managed-by"
TOOL = "traderadmin"
IMAGE_PREFIX = "traderadmin/"

# Objects whose pods run the services: host networking applies to these only.
SERVICE_DEPLOYMENTS = ("orchestrator", "scanner")


class ManifestError(ToolkitError):
    """deploy/ holds something the toolkit cannot apply."""


def load(folder: Path, pattern: str = "*.yaml") -> list[dict[str, Any]]:
    """Every object of every file matching `pattern` in `folder`, in file-name order (which is apply order)."""
    import yaml

    objs: list[dict[str, Any]] = []
    for path in sorted(folder.glob(pattern)):
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as e:
            raise ManifestError(f"{path}: not valid YAML: {e}") from e
        for doc in docs:
            if not doc:
                continue
            if not {"apiVersion", "kind", "metadata"} <= doc.keys():
                raise ManifestError(f"{path}: an object lacks apiVersion, kind or metadata")
            objs.append(doc)
    if not objs:
        raise ManifestError(f"no manifests in {folder}")
    return objs


def key(obj: dict[str, Any]) -> tuple[str, str, str]:
    return obj["apiVersion"], obj["kind"], obj["metadata"]["name"]


def _label(meta: dict[str, Any]) -> None:
    labels = meta.setdefault("labels", {})
    labels[PART_OF] = TOOL
    labels[MANAGED_BY] = TOOL


def load_one(path: Path) -> dict[str, Any]:
    """The one object in `path` (deploy/once/: what deploy creates itself, when it must)."""
    objs = load(path.parent, path.name)
    if len(objs) != 1:
        raise ManifestError(f"{path}: holds {len(objs)} objects, where one was expected")
    return objs[0]


def render(objs: list[dict[str, Any]], namespace: str, images: dict[str, str],
           host_network: bool = False, pod_security: str | None = None) -> list[dict[str, Any]]:
    """Copies of `objs` placed in `namespace`, labelled as ours, with tagged images.

    `pod_security`: the Pod Security level the Namespace enforces (traderadmin.stack.podsecurity).

    `images` maps a repository such as `traderadmin/scanner` to a full reference
    `traderadmin/scanner:<content hash>`, or `HOST/PREFIX/traderadmin/scanner:<content hash>`
    when a registry carried it; an untagged image would mean `:latest` and a pull,
    which no air-gapped cluster can do.
    """
    out = []
    for original in objs:
        obj = copy.deepcopy(original)
        meta = obj["metadata"]
        _label(meta)
        if obj["kind"] == "Namespace":
            meta["name"] = namespace
            if pod_security:
                meta["labels"].update(podsecurity.labels(pod_security))
        else:
            meta["namespace"] = namespace
        for subject in obj.get("subjects", []):
            if subject.get("kind") == "ServiceAccount":
                subject["namespace"] = namespace
        pod = obj if obj["kind"] == "Pod" else obj.get("spec", {}).get("template", {})
        if pod:
            if pod is not obj:
                _label(pod.setdefault("metadata", {}))
            spec = pod["spec"]
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                c["image"] = _tagged(c["image"], images, meta["name"])
            if host_network and obj["kind"] == "Deployment" and meta["name"] in SERVICE_DEPLOYMENTS:
                spec["hostNetwork"] = True
                spec["dnsPolicy"] = "ClusterFirstWithHostNet"
        out.append(obj)
    return out


def _tagged(image: str, images: dict[str, str], owner: str) -> str:
    if not image.startswith(IMAGE_PREFIX):
        return image
    repo = image.split(":", 1)[0]
    if repo not in images:
        raise ManifestError(f"{owner} uses {image}, but no image was built for {repo}; "
                            "`invoke images.build` builds them all")
    return images[repo]
