"""What the services need from the world, as Protocols (ports). The adapters in
``leadops.adapters`` satisfy them against AWS; tests and benchmarks satisfy them with in-memory
fakes. A service depends on these, never on an adapter class, so it runs without moto.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from leadops.assignment import Pool, Rep, RepRole
from leadops.classification import Label
from leadops.lead_record import Intake, LeadRecord, StoredLead
from leadops.models import LeadInput
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


# --- leads: the demo-request webhook and the leads API -----------------------------------------
class AlreadyStored(Exception):
    """The lead was written by another delivery of the same submission."""


class SubmissionWrites(Protocol):
    """A unit of work: one submission's writes, committed together or not at all."""

    def add_lead(
        self, lead_id: str, record: LeadRecord, *, owner_id: str | None, expires_at: int | None
    ) -> None:
        """The lead itself, written only if no lead with this id exists."""
        ...

    def count_assignment(self, rep_id: str) -> None:
        """One more lead assigned to the rep."""
        ...

    def remember_profile(self, account: str, company: dict[str, Any], at: datetime) -> None:
        """The company fields seen for the account, to enrich its later submissions."""
        ...

    def add_signal(
        self, account_id: str, signal: dict[str, Any], at: datetime, window_days: int
    ) -> None:
        """A routing signal for the account, counting for ``window_days``."""
        ...

    def commit(self) -> None:
        """Everything at once; raises ``AlreadyStored`` (nothing written) if the lead exists."""
        ...


class DemoRequestStore(Protocol):
    """Where demo requests are decided from and stored."""

    def read_intake(self, lead_id: str, account: str) -> Intake:
        """The stored lead (a replay?) and what is known of the account, in one read."""
        ...

    def lead(self, lead_id: str) -> LeadRecord:
        """A stored lead's record (raises ``NotFound``)."""
        ...

    def writes(self) -> SubmissionWrites:
        """A new, empty unit of work."""
        ...


class LeadStore(Protocol):
    """Stored leads, as the leads API reads and amends them."""

    def get(self, lead_id: str) -> StoredLead:
        """Raises ``NotFound``."""
        ...

    def disqualify(
        self, lead_id: str, account: str, reason: str, at: datetime, until: datetime
    ) -> None:
        """Mark the lead disqualified and lock its account out until ``until``, together."""
        ...


class SecondOpinion(Protocol):
    """An AI classifier asked after the rules; None when it cannot answer."""

    @property
    def model_id(self) -> str: ...

    def classify(self, lead: LeadInput) -> Label | None: ...
