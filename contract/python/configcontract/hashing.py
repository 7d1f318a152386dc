"""A config's identity."""
from __future__ import annotations

import hashlib


def sha256(data: bytes) -> str:
    """Lowercase hex SHA-256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()
