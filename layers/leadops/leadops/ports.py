"""What the services need from the world, as Protocols (ports). The adapters in
``leadops.adapters`` satisfy them against AWS; tests and benchmarks satisfy them with in-memory
fakes. A service depends on these, never on an adapter class, so it runs without moto.
"""

from __future__ import annotations

from typing import Any, Protocol

from leadops.assignment import Pool, Rep, RepRole
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
