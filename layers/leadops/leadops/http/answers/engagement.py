"""The engagement routes: POST /webhooks/posthog and GET /people/{email}/score."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from leadops.http.answers import Answer


class ProblemAnswer(Answer):
    position: int = Field(description="The event's position in the request (0-based)")
    field: str
    message: str


class IngestAnswer(Answer):
    received: int
    counted: int = Field(description="Events that changed a person's behaviour state")
    duplicates: int = Field(description="Events whose uuid was already counted")
    unknown: int = Field(description="Events whose name no behaviour rule names (ignored)")
    unknown_events: dict[str, int]
    malformed: int
    problems: list[ProblemAnswer]
    people: int
    writes: int
    mql: int = Field(description="People who crossed the MQL threshold with this request")


class PersonScoreAnswer(Answer):
    person_id: str
    fit: dict[str, Any] = Field(description="The latest stored lead's scores and the fit letter")
    behaviour: dict[str, Any] | None = Field(description="total, items, last_activity, threshold")
    grade: dict[str, Any] | None
    mql: dict[str, Any] | None
    rulebook_version: str
