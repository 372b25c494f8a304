"""The rulebook API: versions, dry runs, the conversion report."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from leadops.http.answers import Answer
from leadops.rulebook import Rulebook


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
    leads: dict[str, Any] | None = Field(
        default=None,
        description="A window's leads: evaluated, skipped, changed counts, conversion, and "
        "examples (lead_id, before, after, changed, and score_items: each changed score "
        "item's score, metric, value, source - form, account or the provider stored with "
        "the lead - and points before and after)",
    )
    accounts: dict[str, Any] | None = None
    finished_at: str | None = None
    lead: dict[str, Any] | None = Field(
        default=None,
        description="One lead body: before, after, changed, scores (current and candidate: "
        "both breakdowns, every item with its source, form for a body as submitted) and "
        "score_items (the changed items, as in a window's examples)",
    )
    # PostHog events' people under both rulebooks: {"people": {person_id: {before, after,
    # changed}}, "problems"} (issue 15)
    people: dict[str, Any] | None = None


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
