"""The accounts API (IAM auth): record routing signals, read an account with its routing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from leadops.adapters.accounts_table import AccountRecord, AccountsTable
from leadops.routing import SignalType, Team
from leadops.services.account_routing import AccountRouting


class SignalDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    team: Team | None = None


class SignalInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: SignalType
    at: datetime | None = None
    detail: SignalDetail | None = None

    @model_validator(mode="after")
    def _campaigns_name_their_team(self) -> Self:
        if self.type is SignalType.CAMPAIGN and (self.detail is None or self.detail.team is None):
            raise ValueError("a campaign signal needs detail.team (new_business or bdr)")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("at needs a time zone (e.g. 2026-11-23T09:00:00Z)")
        if self.at is not None and self.at > datetime.now(UTC) + timedelta(minutes=5):
            raise ValueError("at is in the future")
        return self

    def record(self) -> dict[str, Any]:
        """The signal as stored (``at`` is added by the table)."""
        doc: dict[str, Any] = {"type": self.type.value}
        if self.detail is not None:
            doc["detail"] = self.detail.model_dump(mode="json", exclude_none=True)
        return doc


def record_signal(
    accounts: AccountsTable,
    routing: AccountRouting,
    account_id: str,
    signal: SignalInput,
    window_days: int,
) -> dict[str, Any]:
    """Store the signal, then route the account at once rather than at the next sweep."""
    accounts.add_signal(account_id, signal.record(), signal.at or routing.now, window_days)
    record = accounts.get(account_id)
    changed = routing.apply([record])
    if changed:
        accounts.put_routings(changed)
        record.routing = changed[account_id]
    return account_view(record, routing)


def account_view(record: AccountRecord, routing: AccountRouting) -> dict[str, Any]:
    """Snapshot, live signals, ICP score and the stored routing (read only)."""
    _, icp = routing.decide(record)
    current = record.routing or {}
    return {
        "account_id": record.account_id,
        "snapshot": record.snapshot.model_dump(mode="json") if record.snapshot else None,
        "signals": record.signals,
        "icp_score": icp.total,
        "icp_tier": icp.tier,
        "routing": {
            "team": current.get("team"),
            "rule": current.get("rule"),
            "owner": current.get("owner"),
            "reasons": current.get("reasons", ["not routed yet: no rule matched"]),
            "routed_at": current.get("routed_at"),
            "rulebook_version": current.get("rulebook_version"),
            "history": current.get("history", []),
        },
    }
