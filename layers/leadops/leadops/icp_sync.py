"""What the ICP sync sends PostHog: one ``$set`` of ``icp_score`` / ``icp_tier`` per PostHog
person, and only when it differs from what PostHog was last sent (leadops.services.icp_sync
runs it).

Which PostHog person a lead is: its ``distinct_id``. ``email`` (the default) uses the lead's
email; ``form_field`` uses the ``posthog_distinct_id`` the form sent (the visitor's PostHog id,
read from posthog-js), falling back to the email when the form did not send one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

_NAMESPACE = uuid.UUID("5f0c6b8e-3d1c-4e0a-9b7a-2b1d2c3e4f50")

DistinctIdSource = Literal["email", "form_field"]


@dataclass(frozen=True, slots=True)
class IcpPerson:
    """A lead as PostHog may know it: its email, and the PostHog id its form sent, if any."""

    email: str
    posthog_distinct_id: str | None = None

    def distinct_id(self, source: DistinctIdSource) -> str:
        if source == "form_field" and self.posthog_distinct_id:
            return self.posthog_distinct_id
        return self.email


@dataclass(frozen=True, slots=True)
class IcpUpdate:
    distinct_id: str
    icp_score: int
    icp_tier: str
    rulebook_version: str

    @property
    def event_uuid(self) -> str:
        """The same for the same values. PostHog may drop a retried duplicate by it, but does
        not promise to ("deduping based on event UUID is not guaranteed"); a duplicate ``$set``
        of the same values leaves the person as it was either way."""
        key = f"{self.distinct_id}|{self.icp_score}|{self.icp_tier}|{self.rulebook_version}"
        return str(uuid.uuid5(_NAMESPACE, key))

    @property
    def properties(self) -> dict[str, Any]:
        """The person properties PostHog gets (``$set``)."""
        return {"icp_score": self.icp_score, "icp_tier": self.icp_tier}


@dataclass(frozen=True, slots=True)
class MqlUpdate:
    """A ``lead.mql`` event's person properties (issue 15): ``behaviour_score``, ``lead_grade``
    (fit letter x engagement number, "A1") and ``mql_at``. Sent whenever a ``lead.mql`` event
    arrives (they are rare: once per crossing)."""

    distinct_id: str
    behaviour_score: int
    lead_grade: str
    mql_at: str

    @property
    def event_uuid(self) -> str:
        key = f"mql|{self.distinct_id}|{self.behaviour_score}|{self.lead_grade}|{self.mql_at}"
        return str(uuid.uuid5(_NAMESPACE, key))

    @property
    def properties(self) -> dict[str, Any]:
        return {"behaviour_score": self.behaviour_score, "lead_grade": self.lead_grade,
                "mql_at": self.mql_at}  # fmt: skip


PersonUpdate = IcpUpdate | MqlUpdate


def updates_to_send(
    wanted: dict[str, IcpUpdate], already_sent: dict[str, dict[str, Any]]
) -> list[IcpUpdate]:
    """Updates whose score or tier differs from what PostHog was last sent for that person."""
    return [
        update
        for distinct_id, update in wanted.items()
        if (already_sent.get(distinct_id) or {}).get("icp_score") != update.icp_score
        or (already_sent.get(distinct_id) or {}).get("icp_tier") != update.icp_tier
    ]
