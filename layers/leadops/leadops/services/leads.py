"""The lead and rep API (IAM auth): read decisions, disqualify (starts the account's lockout),
record deal outcomes, manage reps. Request and response models live here; storage behind
``leadops.ports.LeadStore`` (leadops.adapters.leads_table)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadops.assignment import Rep
from leadops.lead_record import StoredLead
from leadops.ports import LeadStore


class Disqualification(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class DealOutcome(StrEnum):
    WON = "won"
    LOST = "lost"
    NO_SHOW = "no_show"


class OutcomeReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: DealOutcome
    amount: float | None = Field(default=None, ge=0, le=1e12, allow_inf_nan=False)


def lead_view(stored: StoredLead) -> dict[str, Any]:
    """The stored decision, with what happened to the lead since."""
    record = stored.record
    view: dict[str, Any] = {**record.answer, "received_at": record.received_at.isoformat()}
    view["scores"] = record.scores
    view["rule"] = record.rule  # the rule that decided it (conversion reports group by it)
    if record.enrichment is not None:  # issue 13: looked up, pending, re-scored
        view["enrichment"] = record.enrichment
        view["history"] = record.history or []
    view["disqualified"] = (
        {"at": stored.disqualified.at, "reason": stored.disqualified.reason}
        if stored.disqualified
        else None
    )
    view["deal"] = (
        {"outcome": stored.deal.outcome, "amount": stored.deal.amount, "at": stored.deal.at}
        if stored.deal
        else None
    )
    return view


def disqualify(
    leads: LeadStore, lead_id: str, body: Disqualification, now: datetime, lockout_days: int
) -> dict[str, Any]:
    stored = leads.get(lead_id)
    until = now + timedelta(days=lockout_days)
    leads.disqualify(lead_id, stored.account, body.reason, now, until)
    return {"lead_id": lead_id, "account_locked_out_until": until.isoformat()}


def rep_view(rep: Rep, assigned: int) -> dict[str, Any]:
    return {**rep.model_dump(mode="json"), "assigned_count": assigned}
