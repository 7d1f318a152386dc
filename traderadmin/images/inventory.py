"""What TraderAdmin images the local Docker Engine holds."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from traderadmin.images.base import DEBIAN_REPOSITORY, SLIM_REF
from traderadmin.images.build import LABEL_SERVICE, repository
from traderadmin.images.staging import SERVICES


@dataclass(frozen=True)
class ListedImage:
    ref: str
    role: str  # a service name, or "base"
    image_id: str
    size_bytes: int
    created: str  # RFC 3339 UTC

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "role": self.role,
            "image_id": self.image_id,
            "size_bytes": self.size_bytes,
            "created": self.created,
        }


def _created(raw: Any) -> str:
    if isinstance(raw, (int, float)):
        return dt.datetime.fromtimestamp(raw, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(raw)


def list_images(client: Any) -> list[ListedImage]:
    """Service images (newest first per service), then the Python bases present."""
    wanted = [(repository(service), service) for service in SERVICES]
    wanted += [(DEBIAN_REPOSITORY, "base"), (SLIM_REF, "base")]
    listed: list[ListedImage] = []
    for name, role in wanted:
        rows = []
        for summary in client.api.images(name=name):
            for ref in summary.get("RepoTags") or []:
                if ref.startswith(name.split(":")[0] + ":"):
                    labels = summary.get("Labels") or {}
                    rows.append(
                        (
                            summary.get("Created", 0),
                            ListedImage(
                                ref=ref,
                                role=labels.get(LABEL_SERVICE, role),
                                image_id=summary["Id"],
                                size_bytes=int(summary.get("Size", 0)),
                                created=_created(summary.get("Created")),
                            ),
                        )
                    )
        listed += [row for _, row in sorted(rows, key=lambda pair: pair[0], reverse=True)]
    return listed
