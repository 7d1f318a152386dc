"""Which Pod Security level the stack's namespace enforces, and the labels that say it.

`restricted` whenever the pods can live with it: the stack's pods run as uid
65532 with every capability dropped. Two moments cannot:
- host networking (`--host-network`) is a host namespace, which even `baseline`
  forbids, so the namespace enforces `privileged` and says why;
- the one-shot volume-owner pod runs as root with CAP_CHOWN (see
  deploy/once/volume-owner.yaml), which `baseline` admits: the namespace enforces
  `baseline` until the claim is owned, then `restricted`.
`warn` and `audit` stay at `restricted` so anything short of it is reported.
"""
from __future__ import annotations

PREFIX = "pod-security.kubernetes.io/"
RESTRICTED, BASELINE, PRIVILEGED = "restricted", "baseline", "privileged"


def level(host_network: bool, claim_owned: bool) -> str:
    if host_network:
        return PRIVILEGED
    return RESTRICTED if claim_owned else BASELINE


def labels(enforce: str) -> dict[str, str]:
    """The namespace labels for `enforce` (pinned to this cluster's policy version: `latest`)."""
    out = {PREFIX + "enforce": enforce, PREFIX + "enforce-version": "latest"}
    if enforce != PRIVILEGED:  # host networking would warn on every pod, for nothing
        out |= {PREFIX + "warn": RESTRICTED, PREFIX + "warn-version": "latest",
                PREFIX + "audit": RESTRICTED, PREFIX + "audit-version": "latest"}
    return out
