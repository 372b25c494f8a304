"""The accounts API (IAM auth): record routing signals, read an account with its routing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from leadops.account import AccountRecord
from leadops.account_decision import AccountDecider
from leadops.ports import AccountStore, EventBatches
from leadops.routing import SignalType, Team
from leadops.scoring import IcpScoreCard
from leadops.services.account_routing import AccountRouting, announce_routed, routed_events


class SignalDetail(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    campaign: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    team: Team | None = None


class SignalInput(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    type: SignalType
    at: datetime | None = None
    detail: SignalDetail | None = None

    @model_validator(mode="after")
    def _campaigns_name_themselves(self) -> Self:
        detail = self.detail
        if self.type is SignalType.CAMPAIGN and (
            detail is None or (detail.team is None and detail.campaign is None)
        ):
            raise ValueError(
                "a campaign signal needs detail.campaign (its name: the rulebook's campaign "
                "registry knows its team) or detail.team (new_business or bdr)"
            )
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
    accounts: AccountStore,
    routing: AccountRouting,
    account_id: str,
    signal: SignalInput,
    window_days: int,
    events: EventBatches | None = None,
) -> dict[str, Any]:
    """Store the signal, then route the account at once rather than at the next sweep (decided
    once: the same decision assigns and is shown); a change of team, rule or owner is
    announced as ``account.routed`` once written."""
    accounts.add_signal(account_id, signal.record(), signal.at or routing.now, window_days)
    record = accounts.get(account_id)
    decision = routing.decider.decide(record)
    changed = routing.assign([(record, decision)])
    if changed:
        routed = routed_events([record], changed)
        accounts.put_routings(changed)
        announce_routed(events, list(routed.values()))
        record.routing = changed[account_id]
    return account_view(record, decision.icp)


def read_account(
    accounts: AccountStore, decider: AccountDecider, account_id: str
) -> dict[str, Any]:
    """The account as stored, with its ICP score under the rules now."""
    record = accounts.get(account_id)
    return account_view(record, decider.icp(record))


def account_view(record: AccountRecord, icp: IcpScoreCard) -> dict[str, Any]:
    """Snapshot, live signals, ICP score now and the stored routing (read only)."""
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
