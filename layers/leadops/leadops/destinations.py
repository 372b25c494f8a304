"""What the CRM destinations (Salesforce, HubSpot) are told, as pure data (issue 14).

Events on the bus carry ids only; a destination's worker reads the stored lead for the rest.
``LeadFacts`` is a lead as a CRM sees it (the person, the scores, the latest outcome, a short
reasons summary, the rulebook version and the owning rep); ``AccountFacts`` an account routing
change. ``fingerprint`` is what a destination last got for one record: the same fingerprint
again (a replayed delivery, a rescore that changed nothing a CRM shows) is not sent again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from leadops.assignment import Rep
from leadops.lead_record import StoredLead

REASONS_MAX = 255  # a Salesforce text field's usual length; HubSpot takes more
_Id = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Item = TypeVar("Item")

LEAD_EVENTS = ("lead.qualified", "lead.rescored", "lead.disqualified", "lead.outcome", "lead.mql")
ACCOUNT_EVENT = "account.routed"
MQL_EVENT = "lead.mql"


@dataclass(frozen=True, slots=True)
class LeadFacts:
    lead_id: str
    email: str
    first_name: str | None
    last_name: str | None
    company: str | None
    domain: str | None
    lead_score: int | None
    icp_score: int | None
    icp_tier: str | None
    outcome: str
    reasons: str
    rulebook_version: str | None
    owner: Rep | None
    # set from a lead.mql event only (issue 15): a mapping leaves them out when None
    behaviour_score: int | None = None
    grade: str | None = None
    mql_at: str | None = None


@dataclass(frozen=True, slots=True)
class AccountFacts:
    account_id: str
    domain: str | None
    team: str | None
    rule: str | None
    owner: Rep | None


def lead_facts(stored: StoredLead, owner: Rep | None, mql: Mql | None = None) -> LeadFacts:
    """The stored lead as a CRM shows it; the outcome is the latest thing that happened: a
    deal's outcome, else a disqualification, else the booking decision. ``mql`` (a
    ``lead.mql`` event's fields) adds the behaviour score, grade and MQL time."""
    facts = _stored_facts(stored, owner)
    if mql is None:
        return facts
    return replace(facts, behaviour_score=mql.behaviour_score, grade=mql.grade,
                   mql_at=mql.mql_at)  # fmt: skip


def _stored_facts(stored: StoredLead, owner: Rep | None) -> LeadFacts:
    record, answer = stored.record, stored.record.answer
    submission = record.submission or {}
    company = submission.get("company") if isinstance(submission.get("company"), dict) else {}
    outcome = record.outcome
    if stored.disqualified is not None:
        outcome = "disqualified"
    if stored.deal is not None:
        outcome = stored.deal.outcome
    return LeadFacts(
        lead_id=stored.lead_id,
        email=record.email,
        first_name=_text(submission.get("first_name")),
        last_name=_text(submission.get("last_name")),
        company=_text(company.get("name")) if company else None,
        domain=_text(company.get("domain")) if company else None,
        lead_score=answer.get("lead_score"),
        icp_score=answer.get("icp_score"),
        icp_tier=answer.get("icp_tier"),
        outcome=outcome,
        reasons=reasons_summary(answer.get("reasons") or []),
        rulebook_version=answer.get("rulebook_version"),
        owner=owner,
    )


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def reasons_summary(reasons: Sequence[str], limit: int = REASONS_MAX) -> str:
    """The decision's reasons joined with "; ", cut at ``limit`` characters (an ellipsis
    marks the cut)."""
    text = "; ".join(str(reason) for reason in reasons)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fingerprint(payload: Any) -> str:
    """The same for the same payload (keys in any order)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def chunks(items: Sequence[Item], size: int) -> Iterator[list[Item]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# --- the queue's messages: EventBridge events as the rule delivered them ---------------------
class Mql(BaseModel):
    """The fields of a ``lead.mql`` detail a CRM shows (issue 15)."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)
    behaviour_score: int
    grade: _Id
    mql_at: _Id


class LeadChange(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")
    lead_id: _Id
    mql: Mql | None = None  # a lead.mql event's fields


class NoStoredLead(BaseModel):
    """A ``lead.mql`` for a person with no stored lead (``lead_id`` null): no CRM record to
    update, so the message is acknowledged and skipped."""

    model_config = ConfigDict(defer_build=True, extra="ignore")
    lead_id: None = None


class AccountChange(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")
    account_id: _Id
    domain: _Id | None = None
    team: _Id | None = None
    rule: _Id | None = None
    owner_id: _Id | None = None


class _Envelope(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", populate_by_name=True)
    detail_type: Literal[
        "lead.qualified",
        "lead.rescored",
        "lead.disqualified",
        "lead.outcome",
        "lead.mql",
        "account.routed",
    ] = Field(alias="detail-type")
    detail: dict[str, Any]


def read_change(body: str) -> LeadChange | AccountChange | NoStoredLead | None:
    """The change a message announces; None when it is not one (not JSON, another event, a
    detail without its id): such a message fails alone. A ``lead.mql`` without a lead is
    ``NoStoredLead``."""
    try:
        envelope = _Envelope.model_validate_json(body)
        if envelope.detail_type == ACCOUNT_EVENT:
            return AccountChange.model_validate(envelope.detail)
        if envelope.detail_type == MQL_EVENT:
            if envelope.detail.get("lead_id") is None:
                Mql.model_validate(envelope.detail)  # still a lead.mql: else it fails alone
                return NoStoredLead()
            mql = Mql.model_validate(envelope.detail)
            return LeadChange(lead_id=envelope.detail["lead_id"], mql=mql)
        return LeadChange.model_validate(envelope.detail)
    except ValidationError:
        return None
