"""What the services need from the world, as Protocols (ports). The adapters in
``leadops.adapters`` satisfy them against AWS; tests and benchmarks satisfy them with in-memory
fakes. A service depends on these, never on an adapter class, so it runs without moto.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from leadops.assignment import Pool, Rep, RepRole
from leadops.icp_sync import IcpUpdate
from leadops.routing import AccountSnapshot
from leadops.rules import Rules
from leadops.tickets import SupportTicket


class RulebookSource(Protocol):
    """The rules in force now (the live rulebook, or fixed rules in a test)."""

    def current(self) -> Rules: ...


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


class TicketDesk(Protocol):
    """Where support tickets are filed (Zendesk); raises ``leadops.errors.VendorError``."""

    def create_ticket(self, ticket: SupportTicket, idempotency_key: str) -> int: ...


class IcpSender(Protocol):
    """PostHog: one batched request; raises ``leadops.errors.VendorError``."""

    def send(self, updates: Iterable[IcpUpdate]) -> int: ...


class IcpLedger(Protocol):
    """The leads' emails, and what PostHog was last sent for each email."""

    def emails_and_last_sync(
        self, lead_ids: list[str]
    ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]: ...

    def remember_sync(self, sent: dict[str, tuple[int, str]], at: datetime) -> None: ...


class SnapshotStore(Protocol):
    """Account snapshots, upserted in batches; returns the write calls made."""

    def put_snapshots(self, snapshots: list[AccountSnapshot]) -> int: ...


class ImportFiles(Protocol):
    """The imports bucket: uploaded account files and the reports written beside them."""

    def opened(
        self, bucket: str, key: str, version_id: str | None
    ) -> AbstractContextManager[Iterable[bytes] | None]:
        """The file's bytes in bounded chunks, or None when the file (version) is gone."""
        ...

    def put_report(self, bucket: str, key: str, document: dict[str, Any]) -> None: ...
