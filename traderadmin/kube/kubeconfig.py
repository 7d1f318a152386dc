"""The kubeconfig as kubectl reads it: which files, and the server and credentials of one named context.

The toolkit always names its context (never "whatever is current"), so a user's
kubectl pointing elsewhere cannot redirect a deploy. Client certificates, bearer
tokens and token files, basic auth and exec credential plugins are understood;
the legacy auth-provider entries are refused with the way out.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from traderadmin.kube.errors import KubeconfigError, cut


def kubeconfig_files(kubeconfig: str | None = None) -> list[Path]:
    """The files kubectl would read: the given one, else $KUBECONFIG's list, else ~/.kube/config."""
    if kubeconfig:
        return [Path(kubeconfig)]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


@dataclass
class Credentials:
    """How to reach and authenticate to the API server of one context."""

    server: str
    ca_data: bytes | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    cert_data: bytes | None = None
    key_data: bytes | None = None
    token: str | None = None
    basic: tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def load_credentials(context: str, kubeconfig: str | None = None) -> Credentials:
    """The server and credentials of `context`, merged over the kubeconfig files as kubectl does."""
    import yaml

    contexts: dict[str, tuple[dict, Path]] = {}
    clusters: dict[str, tuple[dict, Path]] = {}
    users: dict[str, tuple[dict, Path]] = {}
    for path in kubeconfig_files(kubeconfig):
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        # The first file to define a name wins, and paths in it are relative to that file.
        for key, into in (("contexts", contexts), ("clusters", clusters), ("users", users)):
            for entry in data.get(key) or []:
                if isinstance(entry, dict) and entry.get("name"):
                    body = entry.get(key[:-1]) or {}
                    into.setdefault(entry["name"], (body, path.parent))
    if context not in contexts:
        raise KubeconfigError(f"no context {context!r} in the kubeconfig "
                              f"({os.pathsep.join(map(str, kubeconfig_files(kubeconfig)))})")
    ctx = contexts[context][0]
    cluster, cluster_dir = clusters.get(ctx.get("cluster", ""), ({}, Path(".")))
    user, user_dir = users.get(ctx.get("user", ""), ({}, Path(".")))
    if not cluster.get("server"):
        raise KubeconfigError(f"context {context!r} of the kubeconfig names a cluster without a server")
    creds = Credentials(
        server=cluster["server"].rstrip("/"),
        ca_data=_data_or_file(cluster, "certificate-authority", cluster_dir),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name"),
        cert_data=_data_or_file(user, "client-certificate", user_dir),
        key_data=_data_or_file(user, "client-key", user_dir),
        token=user.get("token"),
    )
    if not creds.token and user.get("tokenFile"):
        creds.token = _resolve(user["tokenFile"], user_dir).read_text().strip()
    if user.get("username") and user.get("password"):
        creds.basic = (str(user["username"]), str(user["password"]))
    if user.get("exec"):
        _run_exec_plugin(context, user["exec"], creds)
    if user.get("auth-provider"):
        raise KubeconfigError(f"context {context!r} uses the legacy auth-provider "
                              f"{(user['auth-provider'] or {}).get('name', '?')!r}, which the toolkit does not "
                              "speak; switch the kubeconfig to its exec credential plugin (the provider's docs name it)")
    return creds


def _resolve(path: str, base: Path) -> Path:
    p = Path(os.path.expanduser(path))
    return p if p.is_absolute() else base / p


def _data_or_file(section: dict, key: str, base: Path) -> bytes | None:
    if section.get(f"{key}-data"):
        return base64.b64decode(section[f"{key}-data"])
    if section.get(key):
        return _resolve(section[key], base).read_bytes()
    return None


def _run_exec_plugin(context: str, spec: dict, creds: Credentials) -> None:
    """Run a client-go exec credential plugin and take the token or client certificate it prints."""
    argv = [spec.get("command", "")] + [str(a) for a in spec.get("args") or []]
    env = {**os.environ, **{e["name"]: str(e["value"]) for e in spec.get("env") or [] if "name" in e}}
    info = {"apiVersion": spec.get("apiVersion", "client.authentication.k8s.io/v1"),
            "kind": "ExecCredential", "spec": {"interactive": False}}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        status = json.loads(proc.stdout).get("status") or {}
    except (OSError, subprocess.TimeoutExpired, ValueError) as e:
        raise KubeconfigError(f"the credential plugin of context {context!r} ({argv[0]}) failed: {cut(str(e))}") from e
    if proc.returncode != 0:
        raise KubeconfigError(f"the credential plugin of context {context!r} ({argv[0]}) exited "
                              f"{proc.returncode}: {cut(proc.stderr.strip())}")
    creds.token = status.get("token") or creds.token
    if status.get("clientCertificateData"):
        creds.cert_data = status["clientCertificateData"].encode()
        creds.key_data = (status.get("clientKeyData") or "").encode()
