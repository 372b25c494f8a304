"""POST /score and the webhook's decision."""

from __future__ import annotations

from pydantic import Field

from leadops.http.answers import Answer


class ScoreItemAnswer(Answer):
    metric: str
    value: str | int | float
    band: str | None
    points: int
    source: str | None = Field(
        default=None,
        description="Where the value came from: form, account, or the enrichment provider "
        "(clearbit, apollo, pdl); null for an unknown value. On stored leads and enriched scores.",
    )


class ScoreCardAnswer(Answer):
    total: int
    max: int
    items: list[ScoreItemAnswer]


class IcpScoreCardAnswer(ScoreCardAnswer):
    tier: str


class EnrichmentAnswer(Answer):
    status: str = Field(description="complete, pending (re-scored later), skipped (budget), none")
    providers: list[str]
    completed_at: str | None
    reasons: list[str] | None = None


class ScoreAnswer(Answer):
    lead_score: ScoreCardAnswer
    icp_score: IcpScoreCardAnswer
    rulebook_version: str
    enrichment: EnrichmentAnswer | None = Field(
        default=None, description='With "enrich": true: what the providers were asked'
    )


class SchedulerAnswer(Answer):
    eligible: bool
    criteria_met: list[str]
    locked_out_until: str | None


class OwnerAnswer(Answer):
    id: str
    name: str
    role: str
    booking_url: str | None = None


class DecisionAnswer(Answer):
    """The webhook's answer: how the lead was classified, scored and routed, and why."""

    lead_id: str
    classification: str
    outcome: str
    lead_score: int
    icp_score: int
    icp_tier: str
    scheduler: SchedulerAnswer | None
    owner: OwnerAnswer | None
    reasons: list[str]
    rulebook_version: str
