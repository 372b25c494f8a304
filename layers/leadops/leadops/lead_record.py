"""A decided lead as stored, and what the webhook knows before deciding one: pure data.

``LeadRecord`` is the lead item's ``doc``: the webhook's answer and what the decision was made
from (the submission as received and enriched, whether the account was a customer, its lockout,
the time received), so a dry run can make the decision again under other rules. Its JSON form is
written and read here only; the leads-table adapter is the only code that puts it in an item.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from leadops.models import LeadInput


def lead_id_for(submission_id: str) -> str:
    """A lead's id is derived from its submission id: a replay finds its lead with one read."""
    return "ld_" + hashlib.sha256(submission_id.encode()).hexdigest()[:24]


class LeadRecord(BaseModel):
    """The decision and its inputs, field for field as the webhook has always stored them.
    Leads stored before dry runs existed have no ``rule``, ``submission``, ``customer`` or
    ``locked_until``."""

    # Built at import, not deferred like the layer's other models: every decision reads them,
    # mostly just after its first AWS call, so deferring would only hide their cost from
    # the cold-start figure (which stops at that call), not remove it.
    model_config = ConfigDict(frozen=True)

    answer: dict[str, Any]  # the webhook's answer, returned again on a replay
    submission_id: str
    email: str
    account: str
    territory: str | None
    outcome: str
    scores: dict[str, Any]
    normalised: dict[str, Any]
    received_at: datetime
    rule: str | None = None
    submission: dict[str, Any] | None = None
    customer: bool = False
    locked_until: datetime | None = None
    # Enrichment (issue 13), absent from leads decided without it: where each value came from
    # (group -> form / account / provider), the enrichment's state ({"status": "complete" |
    # "pending" | "skipped", "providers", "completed_at"}), and earlier decisions ("history":
    # the first decision's scores, kept when the worker re-scores the lead).
    sources: dict[str, str] | None = None
    enrichment: dict[str, Any] | None = None
    history: list[dict[str, Any]] | None = None

    @property
    def classification(self) -> str:
        return str(self.answer["classification"])

    @property
    def icp_tier(self) -> str:
        return str(self.answer["icp_tier"])

    @property
    def owner_id(self) -> str | None:
        owner = self.answer.get("owner")
        return str(owner["id"]) if owner else None

    def lead_input(self) -> LeadInput | None:
        """The submission the lead was decided from; None for a lead stored without it."""
        return LeadInput.model_validate(self.submission) if self.submission is not None else None

    def to_json(self) -> str:
        """The stored form: compact JSON, datetimes as ``isoformat()``, fields in this order."""
        fields = dict(self)
        fields["received_at"] = self.received_at.isoformat()
        fields["locked_until"] = self.locked_until.isoformat() if self.locked_until else None
        for optional in ("sources", "enrichment", "history"):
            if fields[optional] is None:
                del fields[optional]  # a lead decided without enrichment is stored as before
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> LeadRecord:
        return cls.model_validate_json(text)


@dataclass(frozen=True, slots=True)
class Disqualified:
    at: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class Deal:
    outcome: str
    amount: float | None
    at: str | None


@dataclass(frozen=True, slots=True)
class StoredLead:
    """A lead item: its record, and what the item holds beside it (the attributes reports read
    without parsing the record, and what happened to the lead since it was decided)."""

    lead_id: str
    account: str
    owner_id: str | None
    rule: str | None
    expires_at: int | None
    record: LeadRecord
    disqualified: Disqualified | None = None
    deal: Deal | None = None

    @property
    def deal_outcome(self) -> str | None:
        return self.deal.outcome if self.deal else None


@dataclass(frozen=True, slots=True)
class Intake:
    """What the webhook reads before deciding (one read): the lead if this is a replay, and what
    is known about the lead's account."""

    lead: LeadRecord | None
    company: dict[str, Any]  # company fields remembered from the account's earlier submissions
    customer: bool
    locked_until: datetime | None  # TTL deletion lags: the expiry itself is checked later
    routed_as: str  # the account a routing signal goes to (imported, else the lead's account)
    # The imported snapshot's plan and MRR (the rulebook's ``customers`` tell a paying one).
    plan: str | None = None
    mrr: float | None = None
    owner_id: str | None = None  # the owner of the account's open routing assignment ...
    owner_role: str | None = None  # ... and their role then
    # Cached enrichment answers, (kind, key) -> document, read in the same BatchGetItem.
    enrichment_cache: dict[tuple[str, str], Any] = field(default_factory=dict)
    # The imported snapshot's company values (issue 13: with the profile, the "account" source).
    snapshot_company: dict[str, Any] = field(default_factory=dict)
