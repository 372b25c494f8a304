"""The accounts API."""

from __future__ import annotations

from typing import Any

from leadops.http.answers import Answer


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
