"""What the ICP sync sends PostHog: one ``$set`` of ``icp_score`` / ``icp_tier`` per email, and
only when it differs from what PostHog was last sent (leadops.services.icp_sync runs it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

_NAMESPACE = uuid.UUID("5f0c6b8e-3d1c-4e0a-9b7a-2b1d2c3e4f50")


@dataclass(frozen=True, slots=True)
class IcpUpdate:
    email: str
    icp_score: int
    icp_tier: str
    rulebook_version: str

    @property
    def event_uuid(self) -> str:
        """The same for the same values: PostHog drops a retried duplicate."""
        key = f"{self.email}|{self.icp_score}|{self.icp_tier}|{self.rulebook_version}"
        return str(uuid.uuid5(_NAMESPACE, key))


def updates_to_send(
    wanted: dict[str, IcpUpdate], already_sent: dict[str, dict[str, Any]]
) -> list[IcpUpdate]:
    """Updates whose score or tier differs from what PostHog was last sent for that email."""
    return [
        update
        for email, update in wanted.items()
        if (already_sent.get(email) or {}).get("icp_score") != update.icp_score
        or (already_sent.get(email) or {}).get("icp_tier") != update.icp_tier
    ]
