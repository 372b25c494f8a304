"""The lead and rep API (IAM auth): read decisions, disqualify (starts the account's lockout),
record deal outcomes, manage reps. Request and response models live here; storage behind
``leadops.ports.LeadStore`` (leadops.adapters.leads_table)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Protocol

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadops.assignment import Rep
from leadops.behaviour import person_id
from leadops.lead_record import StoredLead
from leadops.ports import EventBus, LeadStore

logger = Logger(child=True)


class OutcomeStore(LeadStore, Protocol):
    def record_outcome(
        self, lead_id: str, outcome: str, amount: float | None, at: datetime
    ) -> None: ...


class Disqualification(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class DealOutcome(StrEnum):
    WON = "won"
    LOST = "lost"
    NO_SHOW = "no_show"


class OutcomeReport(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    outcome: DealOutcome
    amount: float | None = Field(default=None, ge=0, le=1e12, allow_inf_nan=False)


def lead_view(stored: StoredLead) -> dict[str, Any]:
    """The stored decision, with what happened to the lead since."""
    record = stored.record
    view: dict[str, Any] = {**record.answer, "received_at": record.received_at.isoformat()}
    view["scores"] = record.scores
    view["rule"] = record.rule  # the rule that decided it (conversion reports group by it)
    view["person_id"] = person_id(record.email) if record.email else None  # engagement
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
    leads: LeadStore,
    lead_id: str,
    body: Disqualification,
    now: datetime,
    lockout_days: int,
    events: EventBus | None = None,
) -> dict[str, Any]:
    stored = leads.get(lead_id)
    until = now + timedelta(days=lockout_days)
    leads.disqualify(lead_id, stored.account, body.reason, now, until)
    # The reason is free text (it may name people): the event carries ids only.
    detail = {"lead_id": lead_id, "outcome": "disqualified", "owner_id": stored.owner_id,
              "account_locked_out_until": until.isoformat()}  # fmt: skip
    announce(events, "lead.disqualified", detail)
    return {"lead_id": lead_id, "account_locked_out_until": until.isoformat()}


def record_outcome(
    leads: OutcomeStore,
    lead_id: str,
    body: OutcomeReport,
    now: datetime,
    events: EventBus | None = None,
) -> dict[str, Any]:
    """Store the deal's outcome (404 for an unknown lead), then announce ``lead.outcome``."""
    leads.record_outcome(lead_id, body.outcome.value, body.amount, now)
    stored = leads.get(lead_id)
    detail = {"lead_id": lead_id, "outcome": body.outcome.value, "owner_id": stored.owner_id,
              "amount": body.amount, "at": now.isoformat()}  # fmt: skip
    announce(events, "lead.outcome", detail)
    return {"lead_id": lead_id, "outcome": body.outcome.value, "amount": body.amount}


def announce(events: EventBus | None, detail_type: str, detail: dict[str, Any]) -> None:
    """The change is stored and answered; the event is a notification: a bus failure is logged
    (the lead id, never the detail), not raised."""
    if events is None:
        return
    try:
        events.publish(detail_type, detail)
    except Exception:
        logger.exception(f"{detail_type} not published", extra={"lead_id": detail["lead_id"]})


def rep_view(rep: Rep, assigned: int) -> dict[str, Any]:
    return {**rep.model_dump(mode="json"), "assigned_count": assigned}
