"""What the services need from the world, as Protocols (ports). The adapters in
``leadops.adapters`` satisfy them against AWS; tests and benchmarks satisfy them with in-memory
fakes. A service depends on these, never on an adapter class, so it runs without moto.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from leadops.account import AccountRecord, ScanPage
from leadops.assignment import Pool, Rep, RepRole
from leadops.rules import Rules, StoredRulebook
from leadops.tickets import SupportTicket


class RulebookSource(Protocol):
    """The rules in force now (the live rulebook, or fixed rules in a test)."""

    def current(self) -> Rules: ...


class ActiveRulebook(Protocol):
    """Where the live rulebook override is kept (the rulebook table)."""

    def active(self) -> StoredRulebook | None:
        """The live override, or None while the packaged rulebook is live."""
        ...


class RepPools(Protocol):
    """Round-robin pools of reps by (role, territory)."""

    def take_position(self, role: RepRole, territory: str, count: int = 1) -> Pool:
        """Atomically reserve ``count`` consecutive slots; the reps and the first slot."""
        ...

    def pool_reps(self, role: RepRole, territory: str) -> list[Rep]:
        """The pool's reps, read without taking a slot."""
        ...


class TicketQueue(Protocol):
    """Where support tickets wait for the Zendesk worker."""

    def send(self, ticket: SupportTicket) -> None: ...


class EventBus(Protocol):
    """The stack's event bus (EventBridge): notifications, never the record of a decision."""

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


# --- accounts (routing) ---------------------------------------------------------------------
class RoutingWrites(Protocol):
    """Where accounts' routing documents are written."""

    def put_routings(self, routings: dict[str, dict[str, Any]]) -> int:
        """Write changed routings (account id -> routing document); returns write calls."""
        ...


class AccountStore(RoutingWrites, Protocol):
    """Accounts one at a time (the accounts API)."""

    def get(self, account_id: str) -> AccountRecord:
        """The account as stored (raises ``NotFound`` if nothing is)."""
        ...

    def add_signal(
        self, account_id: str, signal: dict[str, Any], at: datetime, window_days: int
    ) -> None:
        """Record a routing signal at ``at``; it stops counting after ``window_days``."""
        ...


class AccountSegments(RoutingWrites, Protocol):
    """Accounts a parallel-scan segment at a time, a page of whole accounts per call (the
    routing sweep, the dry run)."""

    def scan_segment(
        self,
        segment: int,
        total_segments: int,
        start_key: dict[str, Any] | None,
        page_size: int = 500,
    ) -> ScanPage: ...
