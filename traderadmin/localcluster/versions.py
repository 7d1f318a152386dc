"""The upstream versions the local cluster is built from.

Kubernetes 1.34 is the newest line that runs on cgroup v1 hosts with containerd
1.x without extra switches; etcd 3.6 satisfies its minimum etcd version.
"""
from __future__ import annotations

KUBERNETES_VERSION = "v1.34.4"
ETCD_VERSION = "v3.6.16"

# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
# local paths; a module that builds it from the proxy must point each at the
# published v0.<minor>.<patch> release instead.
KUBERNETES_STAGING_MODULES = (
    "k8s.io/api",
    "k8s.io/apiextensions-apiserver",
    "k8s.io/apimachinery",
    "k8s.io/apiserver",
    "k8s.io/cli-runtime",
    "k8s.io/client-go",
    "k8s.io/cloud-provider",
    "k8s.io/cluster-bootstrap",
    "k8s.io/code-generator",
    "k8s.io/component-base",
    "k8s.io/component-helpers",
    "k8s.io/controller-manager",
    "k8s.io/cri-api",
    "k8s.io/cri-client",
    "k8s.io/csi-translation-lib",
    "k8s.io/dynamic-resource-allocation",
    "k8s.io/endpointslice",
    "k8s.io/externaljwt",
    "k8s.io/kms",
    "k8s.io/kube-aggregator",
    "k8s.io/kube-controller-manager",
    "k8s.io/kube-proxy",
    "k8s.io/kube-scheduler",
    "k8s.io/kubectl",
    "k8s.io/kubelet",
    "k8s.io/metrics",
    "k8s.io/mount-utils",
    "k8s.io/pod-security-admission",
    "k8s.io/sample-apiserver",
)

KUBERNETES_COMPONENTS = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "kubectl",
)


def staging_version(kubernetes_version: str) -> str:
    """v1.34.4 -> v0.34.4, the tag the staging modules are published under."""
    major, minor, patch = kubernetes_version.lstrip("v").split(".")
    if major != "1":
        raise ValueError(f"unexpected Kubernetes version {kubernetes_version}")
    return f"v0.{minor}.{patch}"

# cri-dockerd: Mirantis' module is refused by the Go proxy; k3s's fork is served and
# still declares itself `github.com/Mirantis/cri-dockerd`, so a wrapper module
# requires that path and replaces it with the fork. Replace directives are not
# inherited from a dependency, so the fork's own block is repeated here.
CRI_DOCKERD_MODULE = "github.com/Mirantis/cri-dockerd"
CRI_DOCKERD_FORK = "github.com/k3s-io/cri-dockerd"
CRI_DOCKERD_VERSION = "v0.3.19-k3s5"
CRI_DOCKERD_REPLACES = (
    ("github.com/distribution/reference", "github.com/distribution/reference v0.5.0"),
    ("github.com/docker/docker", "github.com/docker/docker v25.0.6+incompatible"),
    ("google.golang.org/grpc/naming", "google.golang.org/grpc v1.29.0"),
    *((m, f"{m} v0.36.0") for m in (
        "k8s.io/api", "k8s.io/apiextensions-apiserver", "k8s.io/apimachinery", "k8s.io/apiserver",
        "k8s.io/cli-runtime", "k8s.io/client-go", "k8s.io/cloud-provider", "k8s.io/cluster-bootstrap",
        "k8s.io/code-generator", "k8s.io/component-base", "k8s.io/component-helpers",
        "k8s.io/controller-manager", "k8s.io/cri-api",
    )),
    ("k8s.io/cri-api/v1alpha2", "k8s.io/cri-api v0.25.16"),
    *((m, f"{m} v0.36.0") for m in (
        "k8s.io/cri-client", "k8s.io/csi-translation-lib", "k8s.io/kube-aggregator",
        "k8s.io/kube-controller-manager", "k8s.io/kube-proxy", "k8s.io/kube-scheduler", "k8s.io/kubectl",
        "k8s.io/kubelet", "k8s.io/legacy-cloud-providers", "k8s.io/metrics", "k8s.io/mount-utils",
        "k8s.io/pod-security-admission", "k8s.io/sample-apiserver",
    )),
)
# The checksum database does not know the fork (it answers 404), so `go` must not ask it.
CRI_DOCKERD_GONOSUMDB = CRI_DOCKERD_FORK

# The kind flavor's registry mirror reads images from the Docker Engine with it.
GO_CONTAINERREGISTRY_VERSION = "v0.22.1"

# The Docker Engine with the containerd image store (Docker Desktop's setting for kind
# mode): moby's Go module (Docker 29), as Debian 12 ships only 20.10.
MOBY_MODULE = "github.com/moby/moby/v2"
MOBY_VERSION = "v2.0.0-beta.24"
DOCKER_VERSION = "29.8.0"
