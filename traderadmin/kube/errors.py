"""The errors of talking to a cluster: one family, each kind mapped from the API server's HTTP status.

Callers catch the kind they can act on (a pod that went away is `KubeNotFound`,
missing rights are `KubeForbidden`) and let the rest reach the user as a
`KubeError`, whose message says what was being done and why it failed. Every
error is raised `from` the client's own exception, so a debugger still sees it.
This module imports nothing heavy: the fast paths (reload, status, logs, watch)
use it without the kubernetes package.
"""
from __future__ import annotations

import json

from traderadmin.errors import ToolkitError

_MAX_SHOWN = 400  # API payloads are cut to this before they reach a message or a log


def cut(text: str) -> str:
    """`text` short enough for a message or a log line."""
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


class KubeError(ToolkitError):
    """Talking to the cluster failed; the message says through which context or call, and why."""

    status: int | None = None


class KubeUnreachable(KubeError):
    """No cluster answers with this kubeconfig/context (connection refused, TLS failure, timeout)."""


class KubeconfigError(KubeUnreachable):
    """The kubeconfig has no usable entry for the context (no such context, no server, unreadable files)."""


class KubeUnauthorized(KubeError):
    """401: the API server does not accept the kubeconfig's credentials."""

    status = 401


class KubeForbidden(KubeError):
    """403: the credentials are known but lack the right (RBAC)."""

    status = 403


class KubeNotFound(KubeError):
    """404: the object (or namespace) does not exist."""

    status = 404


class KubeConflict(KubeError):
    """409: the object exists already, or changed under us."""

    status = 409


class KubeInvalid(KubeError):
    """422: the API server refused the object as invalid."""

    status = 422


class KubeServerError(KubeError):
    """5xx: the API server (or the kubelet behind it) failed."""


class ExecFailed(KubeError):
    """A command run in a container exited non-zero."""

    def __init__(self, pod: str, argv: list[str], returncode: int, stderr: str) -> None:
        self.returncode, self.stderr = returncode, stderr
        super().__init__(f"{argv[0]} in pod {pod} exited {returncode}: {cut(stderr.strip())}")


_BY_STATUS: dict[int, type[KubeError]] = {401: KubeUnauthorized, 403: KubeForbidden, 404: KubeNotFound,
                                          409: KubeConflict, 422: KubeInvalid}


def error_for_status(status: int, doing: str, body: str | bytes | None = None) -> KubeError:
    """The family member for an HTTP `status`, its message from the API's Status `body` when it has one."""
    reason = _status_message(body) or f"HTTP {status}"
    cls = _BY_STATUS.get(status) or (KubeServerError if status >= 500 else KubeError)
    err = cls(f"{doing}: {status} {cut(reason)}")
    err.status = status
    return err


def unreachable(doing: str, cause: object) -> KubeUnreachable:
    return KubeUnreachable(f"{doing}: the cluster did not answer ({cut(str(cause))}); "
                           "is it running? `invoke cluster.status` tells")


def _status_message(body: str | bytes | None) -> str:
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        doc = json.loads(text)
    except ValueError:
        return text.strip()
    return str(doc.get("message") or "") if isinstance(doc, dict) else text.strip()
