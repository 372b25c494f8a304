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
    leads: dict[str, Any] | None = None
    accounts: dict[str, Any] | None = None
    finished_at: str | None = None
    lead: dict[str, Any] | None = None
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
