"""What the services need from the world, as Protocols (ports). The adapters in
``leadops.adapters`` satisfy them against AWS; tests and benchmarks satisfy them with in-memory
fakes. A service depends on these, never on an adapter class, so it runs without moto.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the domain types named in the ports: annotations only, never loaded here
    from leadops.account import AccountRecord, ScanPage
    from leadops.assignment import Pool, Rep, RepRole
    from leadops.behaviour import StoredPerson
    from leadops.classification import Label
    from leadops.destinations import AccountFacts, LeadFacts
    from leadops.form_sources import FormSource  # and form sources where forms are
    from leadops.icp_sync import IcpPerson, PersonUpdate
    from leadops.lead_record import Intake, LeadRecord, StoredLead
    from leadops.models import LeadInput
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


# --- operating the rules: versions, reports, dry runs -----------------------------------------
@dataclass(frozen=True, slots=True)
class StoredRulebook:
    """A rulebook version as the rulebook store keeps it (its document as validated when it
    was put; it may no longer fit a newer layer's model)."""

    version: str
    document: dict[str, Any]
    stored_at: str | None
    activated_at: str | None = None
    previous_version: str | None = None


class ActiveRulebook(Protocol):
    """Where the live override is kept (what every function reads through LiveRulebook)."""

    def active(self) -> StoredRulebook | None:
        """The live override, or None while the packaged rulebook is live."""
        ...


class RulebookStore(ActiveRulebook, Protocol):
    """Every stored version and the live pointer. A change names the override it was decided
    against (``live``, None for the packaged rulebook) and raises errors.Conflict, writing
    nothing, if another change got in first."""

    def version(self, version: str) -> StoredRulebook | None: ...

    def versions(self) -> list[StoredRulebook]:
        """Every stored version (descriptions only), newest first."""
        ...

    def store_and_activate(
        self, document: dict[str, Any], at: datetime, previous_version: str, live: str | None
    ) -> bool:
        """Store the version (Conflict if stored with another document) and make it live."""
        ...

    def activate(
        self, stored: StoredRulebook, at: datetime, previous_version: str, live: str | None
    ) -> None: ...

    def deactivate(self, live: str) -> None:
        """Back to the packaged rulebook."""
        ...


class DryRunJobs(Protocol):
    """A dry run's progress between slices, as JSON state (kept for a week)."""

    def put_job(self, job_id: str, state: dict[str, Any], at: datetime) -> None: ...

    def job(self, job_id: str) -> dict[str, Any] | None: ...


class TaskQueue(Protocol):
    """A work queue whose messages are JSON bodies (a dry run's next slice)."""

    def send_all(self, bodies: list[str]) -> None: ...


class LeadsReceived(Protocol):
    """Stored leads by the day they were received (what reports count)."""

    def leads_between(
        self, first: date, last: date, attributes: tuple[str, ...]
    ) -> Iterable[dict[str, Any]]:
        """Every lead received from ``first`` to ``last`` (inclusive), only ``attributes``."""
        ...


class LeadPages(Protocol):
    """Stored leads of one day a page at a time (what a dry run re-decides, slice by slice)."""

    def lead_page(
        self, day: date, start_key: dict[str, Any] | None = None
    ) -> tuple[list[StoredLead], dict[str, Any] | None]:
        """One page of the day's stored leads and where to go on (None: the day is done)."""
        ...


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


class AccountScan(Protocol):
    """Accounts a parallel-scan segment at a time, a page of whole accounts per call (the dry
    run reads; the sweep also writes, below)."""

    def scan_segment(
        self,
        segment: int,
        total_segments: int,
        start_key: dict[str, Any] | None,
        page_size: int = 500,
    ) -> ScanPage: ...


class AccountSegments(AccountScan, RoutingWrites, Protocol):
    """The routing sweep's accounts: scanned a segment at a time, routings written back."""


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

    def remember_enrichment(self, entry: CacheEntry) -> None:
        """A provider answer to cache (issue 13), written with the lead."""
        ...

    def remember_person(
        self, email: str, lead_id: str, scores: dict[str, Any], at: datetime
    ) -> None:
        """The person's latest lead and its fit scores (their behaviour grade's fit letter)."""
        ...

    def commit(self) -> None:
        """Everything at once; raises ``AlreadyStored`` (nothing written) if the lead exists."""
        ...


class DemoRequestStore(Protocol):
    """Where demo requests are decided from and stored."""

    def read_intake(
        self, lead_id: str, account: str, cache_keys: Sequence[tuple[str, str]] = ()
    ) -> Intake:
        """The stored lead (a replay?) and what is known of the account, in one read (with the
        cached enrichment answers of ``cache_keys``)."""
        ...

    def lead(self, lead_id: str) -> LeadRecord:
        """A stored lead's record (raises ``NotFound``)."""
        ...

    def rep(self, rep_id: str) -> Rep | None:
        """A rep as stored now (is the account's owner still active?); None if unknown."""
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

    def classify(self, lead: LeadInput, evidence: Sequence[str]) -> Label | None:
        """The model's label, told what the rules found; None on any failure."""
        ...


# --- workers: support tickets, the ICP sync, the account import ------------------------------
class RemainingTime(Protocol):
    """The Lambda context, as far as a worker's budget goes."""

    def get_remaining_time_in_millis(self) -> int: ...


class TicketDesk(Protocol):
    """Where support tickets are filed (Zendesk); raises ``leadops.errors.VendorError``.
    ``deadline`` (a ``time.monotonic()`` instant) bounds each call, retries included."""

    def find_ticket(self, external_id: str, deadline: float | None = None) -> int | None: ...

    def create_ticket(
        self, ticket: SupportTicket, idempotency_key: str, deadline: float | None = None
    ) -> int: ...


class IcpSender(Protocol):
    """PostHog: one batched request, bounded by ``deadline``; raises
    ``leadops.errors.VendorError``."""

    def send(self, updates: Iterable[PersonUpdate], deadline: float | None = None) -> int: ...


class IcpLedger(Protocol):
    """Who the leads are (email, PostHog id from the form), and what PostHog was last sent for
    each PostHog person (by distinct id)."""

    def people(self, lead_ids: list[str]) -> dict[str, IcpPerson]: ...

    def last_sync(self, distinct_ids: list[str]) -> dict[str, dict[str, Any]]: ...

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


# --- enrichment (issue 13): providers, their cache and call budget -----------------------------
class EnrichmentUnavailable(Exception):
    """A provider gave no usable answer: down, too slow, 429 / 5xx, or not the JSON documented.
    The message names the failure, never the lookup (it carries an email or a domain)."""


@dataclass(frozen=True, slots=True)
class EnrichmentQuery:
    """One lookup: the company by its domain (None for a free-mail address) and, when the rules
    want the person, by their email."""

    domain: str | None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    """A provider's answer in the form's terms: None where it knows nothing (404)."""

    company: dict[str, Any] | None
    person: dict[str, Any] | None


class EnrichmentProvider(Protocol):
    """Clearbit, Apollo, People Data Labs (``leadops.adapters.enrichment``). ``deadline`` (a
    ``time.monotonic()`` instant) bounds the lookup; raises ``EnrichmentUnavailable``."""

    @property
    def name(self) -> str: ...

    def lookup(self, query: EnrichmentQuery, deadline: float) -> ProviderAnswer: ...


class EnrichmentBudget(Protocol):
    """The month's provider calls, counted in DynamoDB."""

    def take(self, provider: str, month: str, limit: int) -> bool:
        """Count one call of ``provider`` in ``month`` (``2026-12``); False, counting nothing,
        when ``limit`` calls were already made."""
        ...


class EnrichmentCache(Protocol):
    """Answers per company domain and per hashed email, with a TTL (outside the webhook, whose
    store reads them in its own BatchGetItem and writes them in its own transaction)."""

    def cached(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """(kind, key) -> the cached document, for the keys cached and not expired."""
        ...

    def remember(self, entries: Sequence[CacheEntry]) -> None: ...


@dataclass(frozen=True, slots=True)
class CacheEntry:
    kind: str  # "company" (key: the domain) or "person" (key: the email's hash)
    key: str
    document: dict[str, Any]
    expires_at: int


class EnrichmentTasks(Protocol):
    """Where a lead whose enrichment did not finish in time waits for the worker."""

    def send(self, lead_id: str) -> None: ...


class StoredLeads(Protocol):
    """A stored lead read and re-scored by the enrichment worker."""

    def get(self, lead_id: str) -> StoredLead:
        """Raises ``NotFound``."""
        ...

    def rescore(self, lead_id: str, record: LeadRecord) -> bool:
        """Replace the record of a lead whose enrichment is still pending (and the attributes
        reports read); False, writing nothing, when it is not pending any more."""
        ...


# --- engagement (issue 15) -------------------------------------------------------------------
class PeopleStore(Protocol):
    """People's behaviour state (``leadops.adapters.leads_table.People``)."""

    def get_many(self, person_ids: list[str]) -> dict[str, StoredPerson]: ...

    def get(self, person_id: str) -> StoredPerson | None: ...

    def save(self, person: StoredPerson, at: datetime) -> bool:
        """Write if the stored version is still ``person.version`` (then bump it); False when
        another writer was first."""
        ...

    def scored(self) -> Iterator[StoredPerson]:
        """Every person whose stored score is above 0."""
        ...


class MqlRouting(Protocol):
    def record_mql(self, domain: str, at: datetime) -> str:
        """Record an ``mql`` routing signal on the domain's account and route it; its id."""
        ...


class DomainAccounts(AccountStore, Protocol):
    def account_of_domain(self, domain: str) -> str:
        """The account id a company domain belongs to (the domain itself without a snapshot)."""
        ...


class MqlPeople(Protocol):
    def emails(self, person_ids: list[str]) -> dict[str, str]:
        """The email of each stored person (the PostHog sync's distinct id for ``lead.mql``)."""
        ...


# --- the Slack destination (issue 14) ----------------------------------------------------------
class SlackPoster(Protocol):
    """Slack's ``chat.postMessage``: the posted message's ``ts``; raises
    ``leadops.errors.VendorError`` (bounded by ``deadline``)."""

    def post_message(
        self, channel: str, text: str, blocks: list[dict[str, Any]], deadline: float | None = None
    ) -> str: ...


class SlackLedger(Protocol):
    """The lead and what was posted to Slack for it; a claim is a conditional write that only
    one worker at a time wins (``leadops.adapters.leads_table.slack``)."""

    def lead(self, lead_id: str) -> tuple[StoredLead, str | None]: ...

    def rep(self, rep_id: str) -> Rep | None: ...

    def claim(self, lead_id: str, token: str, now: datetime, until: datetime) -> bool: ...

    def posted(self, lead_id: str, channel: str, ts: str, at: datetime) -> bool: ...

    def release(self, lead_id: str, token: str) -> bool: ...

    # one MQL crossing's notice (issue 15), the same claim on its own item
    def claim_mql(
        self, person_id: str, mql_at: str, token: str, now: datetime, until: datetime
    ) -> bool: ...

    def mql_posted(
        self, person_id: str, mql_at: str, channel: str, ts: str, at: datetime
    ) -> bool: ...

    def release_mql(self, person_id: str, mql_at: str, token: str) -> bool: ...


# --- form sources (issue 12) -----------------------------------------------------------------
class FormSources(Protocol):
    """Where form sources are kept (``PUT/GET /form-sources/{id}``, read by every delivery)."""

    def get(self, source_id: str) -> FormSource | None:
        """The source as stored (None if there is none)."""
        ...

    def put(self, source: FormSource) -> None:
        """Create or replace the source."""
        ...


# --- the public router (issue 12) ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Limit:
    """One rate limit: at most ``limit`` requests per ``window_s`` for a subject of a scope
    (``ip`` and a hashed address, ``answers`` and a hash of the answers)."""

    scope: str
    subject: str
    limit: int
    window_s: int


class RateCounter(Protocol):
    def hit(self, limits: Sequence[Limit], now: int) -> Limit | None:
        """Count one request against every limit at once: the first full limit (then nothing
        was counted), else None."""
        ...


class HumanCheck(Protocol):
    """A challenge the browser solved (Cloudflare Turnstile), verified server-side."""

    def verify(self, token: str, remote_ip: str | None) -> bool: ...


class BookingTokens(Protocol):
    """The secret(s) booking tokens are signed with: the first signs, any verifies."""

    def secrets(self) -> list[str]: ...


# --- destinations (issue 14): events in batches, the CRM syncs -------------------------------
class EventBatches(Protocol):
    """The stack's event bus, many events of one type at a time (PutEvents takes 10 a call)."""

    def publish_all(self, detail_type: str, details: list[dict[str, Any]]) -> None: ...


class SyncLedger(Protocol):
    """What a CRM sync reads from leadops (stored leads, reps) and what it remembers having
    sent each destination (a fingerprint per record), so a replay sends nothing."""

    def leads(self, lead_ids: list[str]) -> dict[str, StoredLead]: ...

    def reps(self, rep_ids: list[str]) -> dict[str, Rep]: ...

    def last_sent(self, destination: str, keys: list[str]) -> dict[str, str]: ...

    def remember_sent(self, destination: str, sent: dict[str, str], at: datetime) -> None: ...


class CrmDestination(Protocol):
    """One CRM (Salesforce, HubSpot) as its sync worker writes to it: records built from
    leadops' facts, sent in batches by an external id (an upsert, so a repeat writes the same
    record again, never a second one)."""

    @property
    def name(self) -> str: ...

    def batch_size(self, kind: str) -> int:
        """Records per call for ``kind`` ("lead" or "account")."""
        ...

    def lead_record(self, facts: LeadFacts) -> dict[str, Any] | None: ...

    def account_record(self, facts: AccountFacts) -> dict[str, Any] | None: ...

    def calls_allowed(self) -> int | None:
        """How many calls this invocation may make (None: no bound; the CRM's API usage)."""
        ...

    def send(self, kind: str, records: list[dict[str, Any]], deadline: float | None) -> list[bool]:
        """Whether each record was written, in order; raises ``VendorError`` for the call."""
        ...
