"""Certificates for the local cluster, made with the openssl command line.

One CA signs everything (serving and client certificates); Kubernetes reads a
client's user name from the certificate's CN and its groups from O. Existing
files are kept, so restarting the cluster never invalidates a kubeconfig a user
already merged; a certificate whose names no longer match (the node IP changed)
is reissued.
"""
from __future__ import annotations

import ipaddress
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from traderadmin.errors import ToolkitError

CA_DAYS = 3650
LEAF_DAYS = 3650


class PkiError(ToolkitError):
    """openssl failed; the message carries its output."""


@dataclass(frozen=True)
class CertSpec:
    """A leaf certificate: file stem, subject, and (for servers) the names it serves."""

    name: str
    common_name: str
    organizations: tuple[str, ...] = ()
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    server: bool = False
    client: bool = True

    def san_entries(self) -> list[str]:
        return [f"DNS:{d}" for d in self.dns_names] + [f"IP:{ipaddress.ip_address(i)}" for i in self.ip_addresses]


@dataclass(frozen=True)
class ClusterIdentity:
    node_name: str
    node_ip: str
    service_ip: str  # first address of the service range: the `kubernetes` Service
    extra_names: tuple[str, ...] = field(default_factory=tuple)


def _openssl(*args: str, cwd: Path | None = None) -> None:
    if shutil.which("openssl") is None:
        raise PkiError("openssl not found. Fix: apt-get install -y openssl")
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        raise PkiError(f"`openssl {' '.join(args)}` failed: {proc.stderr.strip()}")


def cluster_certificates(identity: ClusterIdentity) -> list[CertSpec]:
    """Every leaf certificate the components need, named after what they are for."""
    apiserver_names = (
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        identity.node_name,
        *identity.extra_names,
    )
    return [
        CertSpec(
            "apiserver",
            "kube-apiserver",
            dns_names=apiserver_names,
            ip_addresses=("127.0.0.1", identity.node_ip, identity.service_ip),
            server=True,
            client=False,
        ),
        # The apiserver's identity towards kubelets (exec, logs, port-forward, proxy).
        CertSpec("apiserver-kubelet-client", "kube-apiserver-kubelet-client"),
        CertSpec("admin", "traderadmin-admin", organizations=("system:masters",)),
        CertSpec("controller-manager", "system:kube-controller-manager"),
        CertSpec("scheduler", "system:kube-scheduler"),
        CertSpec("kube-proxy", "system:kube-proxy", organizations=("system:node-proxier",)),
        CertSpec("kubelet-client", f"system:node:{identity.node_name}", organizations=("system:nodes",)),
        CertSpec(
            "kubelet-serving",
            f"system:node:{identity.node_name}",
            dns_names=(identity.node_name, "localhost"),
            ip_addresses=("127.0.0.1", identity.node_ip),
            server=True,
            client=False,
        ),
        CertSpec("hostpath-provisioner", "traderadmin:hostpath-provisioner"),
    ]


def ensure_ca(pki_dir: Path) -> None:
    pki_dir.mkdir(parents=True, exist_ok=True)
    pki_dir.chmod(0o700)
    if (pki_dir / "ca.crt").exists() and (pki_dir / "ca.key").exists():
        return
    _openssl("genrsa", "-out", "ca.key", "2048", cwd=pki_dir)
    _openssl(
        "req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", str(CA_DAYS),
        "-subj", "/CN=traderadmin-local-ca", "-out", "ca.crt", cwd=pki_dir,
    )


def ensure_service_account_keys(pki_dir: Path) -> None:
    if (pki_dir / "sa.key").exists() and (pki_dir / "sa.pub").exists():
        return
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki_dir)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki_dir)


def _extension_text(spec: CertSpec) -> str:
    usages = []
    if spec.server:
        usages.append("serverAuth")
    if spec.client:
        usages.append("clientAuth")
    lines = [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        f"extendedKeyUsage={','.join(usages)}",
    ]
    if spec.san_entries():
        lines.append("subjectAltName=" + ",".join(spec.san_entries()))
    return "\n".join(lines) + "\n"


def subject(spec: CertSpec) -> str:
    return "".join(f"/O={o}" for o in spec.organizations) + f"/CN={spec.common_name}"


def _stamp(spec: CertSpec) -> str:
    """What the certificate was issued for; a change means it must be reissued."""
    return subject(spec) + "\n" + _extension_text(spec)


def ensure_certificate(pki_dir: Path, spec: CertSpec) -> bool:
    """Issue `spec` signed by the CA unless an identical one exists; return True if issued."""
    crt, key, stamp = (pki_dir / f"{spec.name}.{ext}" for ext in ("crt", "key", "stamp"))
    if crt.exists() and key.exists() and stamp.exists() and stamp.read_text() == _stamp(spec):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        ext = Path(tmp) / "ext.cnf"
        csr = Path(tmp) / "req.csr"
        ext.write_text(_extension_text(spec))
        _openssl("genrsa", "-out", str(key), "2048")
        _openssl("req", "-new", "-key", str(key), "-subj", subject(spec), "-out", str(csr))
        _openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(pki_dir / "ca.crt"), "-CAkey", str(pki_dir / "ca.key"),
            "-CAcreateserial", "-sha256", "-days", str(LEAF_DAYS), "-extfile", str(ext), "-out", str(crt),
        )
    key.chmod(0o600)
    stamp.write_text(_stamp(spec))
    return True


def ensure_pki(pki_dir: Path, identity: ClusterIdentity) -> list[str]:
    """Make the CA, service-account keys and every leaf; return the names (re)issued."""
    ensure_ca(pki_dir)
    ensure_service_account_keys(pki_dir)
    return [spec.name for spec in cluster_certificates(identity) if ensure_certificate(pki_dir, spec)]
