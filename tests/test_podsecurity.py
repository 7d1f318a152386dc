"""The namespace's Pod Security level, from what the deploy needs at that moment."""
from __future__ import annotations

import pytest

from traderadmin.stack import podsecurity


@pytest.mark.parametrize("host_network, owned, level", [
    (False, True, "restricted"),
    (False, False, "baseline"),   # the one-shot owner pod runs as root with CAP_CHOWN
    (True, True, "privileged"),   # host networking is a host namespace: baseline forbids it too
    (True, False, "privileged"),
])
def test_level_is_restricted_unless_the_moment_needs_less(host_network, owned, level):
    assert podsecurity.level(host_network, owned) == level


def test_labels_always_warn_and_audit_at_restricted_below_privileged():
    labels = podsecurity.labels("baseline")
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    assert podsecurity.labels("privileged") == {"pod-security.kubernetes.io/enforce": "privileged",
                                                "pod-security.kubernetes.io/enforce-version": "latest"}
