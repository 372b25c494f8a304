"""POST /score and the webhook's decision."""

from __future__ import annotations

from leadops.http.answers import Answer


class ScoreItemAnswer(Answer):
    metric: str
    value: str | int | float
    band: str | None
    points: int


class ScoreCardAnswer(Answer):
    total: int
    max: int
    items: list[ScoreItemAnswer]


class IcpScoreCardAnswer(ScoreCardAnswer):
    tier: str


class ScoreAnswer(Answer):
    lead_score: ScoreCardAnswer
    icp_score: IcpScoreCardAnswer
    rulebook_version: str


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
