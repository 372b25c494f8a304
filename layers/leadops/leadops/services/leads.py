"""The lead and rep API (IAM auth): read decisions, disqualify (starts the account's lockout),
record deal outcomes, manage reps. Request and response models live here; storage in
leads_table."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadops.adapters.leads_table import LeadsTable
from leadops.assignment import Rep


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


def lead_view(item: dict[str, Any]) -> dict[str, Any]:
    """The stored decision, with what happened to the lead since."""
    record = json.loads(item["doc"])
    view: dict[str, Any] = {**record["answer"], "received_at": record["received_at"]}
    view["scores"] = record["scores"]
    view["rule"] = record.get("rule")  # the rule that decided it (conversion reports group by it)
    view["disqualified"] = (
        {"at": item["disqualified_at"], "reason": item.get("disqualified_reason")}
        if "disqualified_at" in item
        else None
    )
    view["deal"] = (
        {
            "outcome": item["deal_outcome"],
            "amount": float(item["deal_amount"]) if "deal_amount" in item else None,
            "at": item.get("deal_outcome_at"),
        }
        if "deal_outcome" in item
        else None
    )
    return view


def disqualify(
    table: LeadsTable, lead_id: str, body: Disqualification, now: datetime, lockout_days: int
) -> dict[str, Any]:
    item = table.get_lead(lead_id)
    until = now + timedelta(days=lockout_days)
    table.disqualify(lead_id, item["account"], body.reason, now, until)
    return {"lead_id": lead_id, "account_locked_out_until": until.isoformat()}


def rep_view(rep: Rep, assigned: int) -> dict[str, Any]:
    return {**rep.model_dump(mode="json"), "assigned_count": assigned}
