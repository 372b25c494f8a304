"""What every route answers, as pydantic models: the OpenAPI document's response schemas
(``make openapi`` writes docs/openapi.json from the resolvers).

Documentation, not a runtime filter: the routes still return their dicts, so a model can never
turn a good answer into an error or change its bytes; ``tests/test_openapi.py`` checks real
answers against these models instead. ``defer_build``: a model's schema is built when a route
that names it first runs (or when the document is generated), not at every function's init.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field

from leadops.assignment import RepFields
from leadops.rulebook import Rulebook


class Answer(BaseModel):
    model_config = ConfigDict(defer_build=True, populate_by_name=True)


# --- errors (leadops.http.resolver) ----------------------------------------------------------
class FieldError(Answer):
    field: str = Field(description='The field to fix ("company.employees"), or "body"/"path"')
    message: str
    type: str = Field(description='The error type ("missing", "not_found", "unavailable", ...)')


class ErrorAnswer(Answer):
    message: str
    errors: list[FieldError]


# --- scores and decisions ----------------------------------------------------------------------
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


# --- accounts ----------------------------------------------------------------------------------
class AccountRoutingAnswer(Answer):
    team: str | None
    rule: str | None
    owner: dict[str, Any] | None
    reasons: list[str]
    routed_at: str | None
    rulebook_version: str | None
    history: list[dict[str, Any]]


class AccountAnswer(Answer):
    account_id: str
    snapshot: dict[str, Any] | None
    signals: list[dict[str, Any]]
    icp_score: int
    icp_tier: str
    routing: AccountRoutingAnswer


# --- the rulebook ------------------------------------------------------------------------------
class RulebookAnswer(Answer):
    version: str
    source: str = Field(description='"packaged" or "override"')
    activated_at: str | None
    rulebook: Rulebook


class ActivationAnswer(Answer):
    version: str
    source: str
    activated_at: str | None
    previous_version: str | None


class VersionEntry(Answer):
    version: str
    description: str | None
    source: str
    stored_at: str | None
    active: bool


class VersionsAnswer(Answer):
    current: str
    versions: list[VersionEntry]


class DryRunAnswer(Answer):
    """A window's dry run (a job: complete, or running and polled by ``job_id``), or one lead
    body's before and after (``lead``)."""

    status: str
    current_version: str
    candidate_version: str
    window: dict[str, Any] | None
    job_id: str | None = None
    progress: dict[str, Any] | None = None
    leads: dict[str, Any] | None = None
    accounts: dict[str, Any] | None = None
    finished_at: str | None = None
    lead: dict[str, Any] | None = None


class ConversionCounts(Answer):
    leads: int
    booked: int
    won: int
    lost: int
    no_show: int
    open: int
    conversion_rate: float | None
    booked_conversion_rate: float | None
    vs_target: str | None


class ConversionGroup(ConversionCounts):
    group: str | None


class ConversionReportAnswer(Answer):
    from_: str = Field(alias="from")
    to: str
    by: str
    target: float
    groups: list[ConversionGroup]
    total: ConversionCounts


# --- how a route names them --------------------------------------------------------------------
_ERRORS = {
    400: "Not JSON, not UTF-8 or not base64",
    401: "No valid X-Leadops-Signature",
    404: "No such lead, rep, account, version or job",
    409: "Contradicts what is stored",
    413: "Body too large",
    422: "Invalid request: the fields to fix",
    503: "AWS unavailable: nothing was stored, retry (Retry-After)",
}
_ALWAYS = (400, 413, 422, 503)


def answers(
    model: type[BaseModel], *errors: int, also: tuple[int, ...] = ()
) -> dict[int, OpenAPIResponse]:
    """A route's ``responses``: ``model`` on 200 (and on each status in ``also``), the error
    shape on ``errors`` and on what every route may answer (400, 413, 422, 503)."""
    documented: dict[int, OpenAPIResponse] = {
        status: {
            "description": "OK" if status == 200 else "Accepted: still running; poll the job",
            "content": {"application/json": {"model": model}},
        }
        for status in (200, *also)
    }
    for status in sorted({*_ALWAYS, *errors}):
        documented[status] = {
            "description": _ERRORS[status],
            "content": {"application/json": {"model": ErrorAnswer}},
        }
    return documented
