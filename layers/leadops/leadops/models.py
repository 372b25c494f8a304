"""Pydantic models at the edges: the demo-request form body as a vendor posts it.

Unknown fields are ignored (form vendors add their own); every string is bounded; ranges are
parsed here so a malformed one is a 422 naming its field rather than a silent "unknown".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from leadops.ranges import parse_range

MAX_BODY_BYTES_SCORE = 64 * 1024
MAX_BODY_BYTES_WEBHOOK = 256 * 1024

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]


def _check_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or domain.startswith(".") or " " in value:
        raise ValueError("not an email address")
    return f"{local}@{domain.lower()}"


def _not_bool(value: object) -> object:
    # JSON true/false is not a number, though Python would count it as 1/0.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


Number = BeforeValidator(_not_bool)


def _readable_range(value: str) -> str:
    parse_range(value)  # raises ValueError, which pydantic reports against the field
    return value


Range = Annotated[str, StringConstraints(max_length=40), AfterValidator(_readable_range)]

Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_check_email)
]


class _Input(BaseModel):
    # Built at import, not deferred like the layer's other models: every decision reads them,
    # mostly just after its first AWS call, so deferring would only hide their cost from
    # the cold-start figure (which stops at that call), not remove it.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CompanyInput(_Input):
    name: Text | None = None
    domain: Annotated[str, StringConstraints(max_length=253)] | None = None
    employees: Annotated[int, Number] | None = Field(default=None, ge=0, le=10_000_000)
    employees_range: Range | None = None
    annual_revenue: Annotated[float, Number] | None = Field(
        default=None, ge=0, le=1e13, allow_inf_nan=False
    )
    revenue_range: Range | None = None
    industry: Text | None = None
    type: Text | None = None
    founded_year: Annotated[int, Number] | None = Field(default=None, ge=1600, le=2100)
    country: Text | None = None


class LeadInput(_Input):
    """What the score endpoint accepts: a form submission whose ``submission_id`` is optional."""

    submission_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    submitted_at: datetime | None = None
    email: Email
    first_name: Text | None = None
    last_name: Text | None = None
    job_title: Text | None = None
    role: Text | None = None
    sub_role: Text | None = None
    github: Text | None = None
    message: LongText | None = None
    source: Text | None = None
    honeypot: LongText | None = None
    # The visitor's PostHog distinct id (posthog-js ``get_distinct_id()``), for the ICP sync
    # when POSTHOG_DISTINCT_ID is ``form_field``; kept in the stored submission, never scored.
    posthog_distinct_id: Text | None = None
    company: CompanyInput = Field(default_factory=CompanyInput)


class FormSubmission(LeadInput):
    """A demo-request form submission: ``submission_id`` is the idempotency key."""

    submission_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class ScoreRequest(LeadInput):
    """``POST /score``'s body: a lead, and whether to enrich it first (issue 13) with the
    stack's providers, as the webhook does (the cache, the budget, the deadline)."""

    enrich: bool = False
