"""An account as stored: its snapshot, live signals and current routing, and a page of accounts
as a scan returns them. Plain data, no decisions (``leadops.account_decision`` decides).

Light on purpose: the accounts table builds these for the webhook too, which needs no routing
rules, so the snapshot model is named for type checking only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadops.routing import AccountSnapshot


@dataclass
class AccountRecord:
    """One account as stored: snapshot, live signals, current routing (each may be missing)."""

    account_id: str
    snapshot: AccountSnapshot | None = None
    signals: list[dict[str, Any]] = field(default_factory=list)
    routing: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DomainAccount:
    """What the demo-request webhook learns of a lead's account from the accounts table, in
    its one read before deciding."""

    account_id: str  # the imported account the domain points at, else the lead's account key
    plan: str | None = None  # the imported snapshot's plan and MRR: is it a paying customer?
    mrr: float | None = None
    owner_id: str | None = None  # the owner of the account's open routing assignment, if any
    owner_role: str | None = None
    # The imported snapshot's firmographics (issue 13: the "account" source of enrichment's
    # precedence), as the form's company fields.
    company: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanPage:
    """One page of a parallel-scan segment, cut back to whole accounts."""

    records: list[AccountRecord]
    # Where to continue: the key of the last item of the last *complete* account, or None.
    next_key: dict[str, Any] | None
    read_calls: int
