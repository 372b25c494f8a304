"""In-memory stand-ins for the ports the rulebook services use (leadops.ports), so versions,
reports and dry runs are specified without moto. Each keeps the contract its adapter documents:
the rulebook store's optimistic condition, the job store's JSON round trip, paged reads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from leadops.account import AccountRecord, ScanPage
from leadops.errors import Conflict
from leadops.lead_record import StoredLead
from leadops.ports import StoredRulebook
from leadops.rules import Rules


class MemoryRulebookStore:
    """RulebookStore and DryRunJobs, as the rulebook table keeps them."""

    def __init__(self) -> None:
        self.stored: dict[str, StoredRulebook] = {}
        self.live: StoredRulebook | None = None
        self.jobs: dict[str, str] = {}
        self.job_writes = 0
        self._after_next_read: Callable[[], None] | None = None

    def another_change_gets_in_first(self, change: Callable[[], None]) -> None:
        """Run ``change`` right after the next read of the live pointer: a request that raced
        the one that read it, between its read and its write."""
        self._after_next_read = change

    # RulebookStore
    def active(self) -> StoredRulebook | None:
        live = self.live
        change, self._after_next_read = self._after_next_read, None
        if change is not None:
            change()
        return live

    def version(self, version: str) -> StoredRulebook | None:
        return self.stored.get(version)

    def versions(self) -> list[StoredRulebook]:
        return sorted(self.stored.values(), key=lambda s: s.stored_at or "", reverse=True)

    def store_and_activate(
        self, document: dict[str, Any], at: datetime, previous_version: str, live: str | None
    ) -> bool:
        version = document["version"]
        existing = self.stored.get(version)
        if existing is not None and existing.document != document:
            raise Conflict("version", f"{version!r} is stored with another document")
        self._still_live(live)
        if existing is None:
            self.stored[version] = StoredRulebook(version, document, at.isoformat())
        self.live = StoredRulebook(version, document, None, at.isoformat(), previous_version)
        return existing is None

    def activate(
        self, stored: StoredRulebook, at: datetime, previous_version: str, live: str | None
    ) -> None:
        self._still_live(live)
        self.live = replace(
            stored, stored_at=None, activated_at=at.isoformat(), previous_version=previous_version
        )

    def deactivate(self, live: str) -> None:
        self._still_live(live)
        self.live = None

    def _still_live(self, live: str | None) -> None:
        if (self.live.version if self.live else None) != live:
            raise Conflict("version", "the live rulebook changed while this request was made")

    # DryRunJobs: stored as JSON text, as the table does
    def put_job(self, job_id: str, state: dict[str, Any], at: datetime) -> None:
        self.jobs[job_id] = json.dumps(state, separators=(",", ":"))
        self.job_writes += 1

    def job(self, job_id: str) -> dict[str, Any] | None:
        text = self.jobs.get(job_id)
        return json.loads(text) if text is not None else None


class FixedRules:
    """RulebookSource: the same rules whatever is asked."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def current(self) -> Rules:
        return self.rules


@dataclass
class MemoryQueue:
    """TaskQueue: what was sent, in order."""

    sent: list[str] = field(default_factory=list)

    def send_all(self, bodies: list[str]) -> None:
        self.sent.extend(bodies)

    def take(self) -> str:
        return self.sent.pop(0)


@dataclass
class MemoryLeads:
    """LeadPages over stored leads and LeadsReceived over report items, by the day received."""

    pages: dict[date, list[StoredLead]] = field(default_factory=dict)
    reported: dict[date, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 1
    projections: list[tuple[str, ...]] = field(default_factory=list)

    def lead_page(
        self, day: date, start_key: dict[str, Any] | None = None
    ) -> tuple[list[StoredLead], dict[str, Any] | None]:
        leads = self.pages.get(day, [])
        start = start_key["at"] if start_key else 0
        end = start + self.page_size
        return leads[start:end], ({"at": end} if end < len(leads) else None)

    def leads_between(
        self, first: date, last: date, attributes: tuple[str, ...]
    ) -> Iterator[dict[str, Any]]:
        self.projections.append(attributes)
        for day, items in sorted(self.reported.items()):
            if first <= day <= last:
                yield from ({k: v for k, v in item.items() if k in attributes} for item in items)


@dataclass
class MemoryAccounts:
    """AccountScan: one segment, ``page_size`` accounts a page."""

    accounts: list[AccountRecord] = field(default_factory=list)
    page_size: int = 1

    def scan_segment(
        self,
        segment: int,
        total_segments: int,
        start_key: dict[str, Any] | None,
        page_size: int = 500,
    ) -> ScanPage:
        assert (segment, total_segments) == (0, 1)
        start = start_key["at"] if start_key else 0
        end = start + self.page_size
        more = {"at": end} if end < len(self.accounts) else None
        return ScanPage(self.accounts[start:end], more, read_calls=1)
