"""The lead and rep API."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from leadops.assignment import RepFields
from leadops.http.answers import Answer
from leadops.http.answers.decisions import DecisionAnswer, EnrichmentAnswer


class Disqualified(Answer):
    at: str
    reason: str | None


class Deal(Answer):
    outcome: str
    amount: float | None
    at: str | None


class LeadAnswer(DecisionAnswer):
    """The stored decision, with what happened to the lead since."""

    received_at: str
    scores: dict[str, Any]
    rule: str | None
    disqualified: Disqualified | None
    deal: Deal | None
    person_id: str | None = Field(
        default=None, description="The lead's person: GET /people/{person_id}/score (issue 15)"
    )
    enrichment: EnrichmentAnswer | None = Field(
        default=None, description="Issue 13: the lead's enrichment (absent without providers)"
    )
    history: list[dict[str, Any]] | None = Field(
        default=None, description="Earlier decisions' scores, kept when enrichment re-scored it"
    )


class OutcomeAnswer(Answer):
    lead_id: str
    outcome: str
    amount: float | None


class DisqualifyAnswer(Answer):
    lead_id: str
    account_locked_out_until: str


class RepAnswer(RepFields):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    rep_id: str
    assigned_count: int = Field(description="Leads assigned to the rep so far")


class RepsAnswer(Answer):
    reps: list[RepAnswer]
