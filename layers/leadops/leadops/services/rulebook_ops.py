"""Operating the rules (``RulebookApiFunction``): the live rulebook's versions, dry runs of a
candidate over stored history, and conversion reports. Request models live here; storage in
leadops.adapters.rulebook_table / leads_table / accounts_table; decisions in leadops.backtest.

A dry run over a window reads page by page (gsi1 per day for leads, a scan for accounts) and
never writes a decision. It answers at once when it finishes within the API's budget; otherwise
it stores its progress as a job, queues the rest to ``DryRunWorkerFunction`` (which goes on in
slices, re-queuing itself) and answers 202 with the job id to poll.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadops.adapters.accounts_table import AccountRecord, AccountsTable
from leadops.adapters.leads_table import LeadsTable
from leadops.adapters.queues import TaskQueue
from leadops.adapters.rulebook_table import RulebookTable, StoredRulebook
from leadops.backtest import (
    Tally,
    account_decisions,
    changed_fields,
    lead_decision,
    stored_lead_decisions,
)
from leadops.errors import Conflict, Invalid, NotFound
from leadops.models import LeadInput
from leadops.reports import ATTRIBUTES, GroupBy, conversion
from leadops.routing import AccountSnapshot
from leadops.rulebook import Rulebook
from leadops.rules import Rules, packaged_rules
from leadops.services.account_routing import AccountRouting
from leadops.services.accounts import SignalInput
from leadops.services.live_rulebook import rules_from
from leadops.settings import RulebookSettings

logger = Logger(child=True)
MAX_WINDOW_DAYS = 366
Version = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version


class DryRunRequest(BaseModel):
    """A candidate rulebook and what to try it on: one lead body, one account, or a window."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    rulebook: Rulebook
    lead: LeadInput | None = None
    account: AccountSnapshot | None = None
    signals: list[SignalInput] = Field(default_factory=list, max_length=100)
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    examples: int = Field(default=10, ge=0, le=100)


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    by: GroupBy = GroupBy.RULE


def window(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """Both ends inclusive; defaults: the 30 days to today."""
    last = last or today
    first = first or last - timedelta(days=29)
    if first > last:
        raise Invalid("from", "from must not be after to")
    if (last - first).days >= MAX_WINDOW_DAYS:
        raise Invalid("to", f"a window is at most {MAX_WINDOW_DAYS} days")
    return first, last


def _compared(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """One lead or account side by side: every field of the answer may differ."""
    return {"before": before, "after": after, "changed": changed_fields(before, after, before)}


class RulebookOps:
    def __init__(
        self,
        table: RulebookTable,
        leads: LeadsTable,
        accounts: AccountsTable,
        continuations: TaskQueue,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sync_budget_ms: int = 20_000,
    ) -> None:
        self.table = table
        self.leads = leads
        self.accounts = accounts
        self.continuations = continuations
        self.clock = clock
        self.sync_budget_ms = sync_budget_ms

    @classmethod
    def from_settings(cls, settings: RulebookSettings) -> RulebookOps:
        """As the rulebook API and the dry-run worker are deployed (template.yaml)."""
        return cls(
            table=RulebookTable(settings.rulebook_table),
            leads=LeadsTable(settings.leads_table),
            accounts=AccountsTable(settings.accounts_table),
            continuations=TaskQueue(settings.dry_run_queue_url),
            sync_budget_ms=settings.dry_run_sync_budget_ms,
        )

    # --- versions ------------------------------------------------------------------------------
    def active(self) -> Rules:
        """Read through the cache: this API answers what it just stored."""
        stored = self.table.active()
        return rules_from(stored) if stored else packaged_rules()

    def _live(self) -> tuple[str, str | None]:
        """(the live version, the live override's version or None while packaged is live)."""
        stored = self.table.active()
        return (stored.version, stored.version) if stored else (packaged_rules().version, None)

    @staticmethod
    def view(rules: Rules) -> dict[str, Any]:
        return {
            "version": rules.version,
            "source": rules.source,
            "activated_at": rules.activated_at,
            "rulebook": rules.rulebook.model_dump(mode="json"),
        }

    def version(self, version: str) -> dict[str, Any]:
        packaged = packaged_rules()
        if version == packaged.version:
            return self.view(packaged)
        stored = self._stored(version)
        return {**self.view(rules_from(stored)), "activated_at": None}

    def versions(self) -> dict[str, Any]:
        current = self.active().version
        packaged = packaged_rules()
        listed = [
            {"version": s.version, "description": s.document.get("description", ""),
             "source": "override", "stored_at": s.stored_at, "active": s.version == current}
            for s in self.table.versions()
        ]  # fmt: skip
        listed.append(
            {"version": packaged.version, "description": packaged.rulebook.description,
             "source": "packaged", "stored_at": None, "active": packaged.version == current}
        )  # fmt: skip
        return {"current": current, "versions": listed}

    def put(self, rulebook: Rulebook) -> dict[str, Any]:
        """Validate (done by the model), store the version and make it live in one write."""
        previous, live = self._live()
        document = rulebook.model_dump(mode="json")
        packaged = packaged_rules()
        if rulebook.version == packaged.version:
            if rulebook != packaged.rulebook:
                raise Conflict(
                    "version",
                    f"{rulebook.version!r} is the packaged rulebook's version: "
                    "give the changed rulebook a new version",
                )
            return self._to_packaged(previous, live)
        now = self.clock()
        self.table.store_and_activate(document, now, previous, live)
        logger.info("rulebook activated", extra={"version": rulebook.version, "previous": previous})
        return {
            "version": rulebook.version,
            "source": "override",
            "activated_at": now.isoformat(),
            "previous_version": previous,
        }

    def rollback(self, version: str) -> dict[str, Any]:
        previous, live = self._live()
        if version == packaged_rules().version:
            return self._to_packaged(previous, live)
        stored = self._stored(version)
        try:
            rules_from(stored)
        except ValueError as error:  # pydantic.ValidationError: this layer's model is stricter
            raise Invalid("version", f"{version!r} no longer validates: {error}") from error
        now = self.clock()
        self.table.activate(stored, now, previous, live)
        logger.info("rulebook rolled back", extra={"version": version, "previous": previous})
        return {
            "version": version,
            "source": "override",
            "activated_at": now.isoformat(),
            "previous_version": previous,
        }

    def _to_packaged(self, previous: str, live: str | None) -> dict[str, Any]:
        if live is not None:
            self.table.deactivate(live)
        packaged = packaged_rules().version
        logger.info("packaged rulebook live", extra={"version": packaged, "previous": previous})
        return {
            "version": packaged,
            "source": "packaged",
            "activated_at": self.clock().isoformat(),
            "previous_version": previous,
        }

    def _stored(self, version: str) -> StoredRulebook:
        stored = self.table.version(version)
        if stored is None:
            raise NotFound("rulebook version", version)
        return stored

    # --- reports -------------------------------------------------------------------------------
    def conversion_report(self, query: ReportQuery) -> dict[str, Any]:
        first, last = window(query.from_, query.to, self.clock().date())
        target = self.active().rulebook.reporting.conversion_target
        items = self.leads.leads_between(first, last, attributes=ATTRIBUTES)
        return {"from": first.isoformat(), "to": last.isoformat(),
                **conversion(items, query.by, target)}  # fmt: skip

    # --- dry runs ------------------------------------------------------------------------------
    def dry_run(
        self, request: DryRunRequest, time_left_ms: Callable[[], int]
    ) -> tuple[int, dict[str, Any]]:
        current, candidate = self.active(), Rules.of(request.rulebook, "candidate")
        head = {"current_version": current.version, "candidate_version": candidate.version}
        chosen = [n for n in ("lead", "account") if getattr(request, n) is not None]
        if request.from_ or request.to:
            chosen.append("from")
        if len(chosen) != 1:
            raise Invalid(
                chosen[1] if len(chosen) > 1 else "lead",
                "give exactly one of: lead (a form body), account (a snapshot), or from/to",
            )
        done = {"status": "complete", **head, "window": None}
        if request.lead is not None:
            return 200, {**done, **self._one_lead(request.lead, current, candidate)}
        if request.account is not None:
            one = self._one_account(request.account, request, current, candidate)
            return 200, {**done, **one}
        first, last = window(request.from_, request.to, self.clock().date())
        job = {
            "job_id": "dr_" + uuid.uuid4().hex[:20],
            "status": "running",
            **head,
            "window": {"from": first.isoformat(), "to": last.isoformat()},
            "current": current.rulebook.model_dump(mode="json"),
            "candidate": request.rulebook.model_dump(mode="json"),
            "cursor": {"phase": "leads", "day": first.isoformat(), "key": None},
            "tally": Tally(request.examples).to_json(),
            "started_at": self.clock().isoformat(),
        }
        budget = min(self.sync_budget_ms, time_left_ms())
        spent_at_start = time_left_ms()
        job = self._advance(job, lambda: budget - (spent_at_start - time_left_ms()))
        if job["status"] == "complete":
            return 200, self.job_view(job)
        self.continuations.send_all([json.dumps({"job_id": job["job_id"]})])
        return 202, self.job_view(job)

    def resume(self, job_id: str, time_left_ms: Callable[[], int], margin_ms: int) -> bool:
        """Go on with a queued job; True when it is complete."""
        job = self.table.job(job_id)
        if job is None:
            logger.warning("dry-run job gone (expired?)", extra={"job_id": job_id})
            return True
        if job["status"] == "complete":
            return True  # a redelivered message
        # At least one page per message, so a slice always makes progress.
        job = self._advance(job, lambda: time_left_ms() - margin_ms, min_pages=1)
        if job["status"] != "complete":
            self.continuations.send_all([json.dumps({"job_id": job_id})])
        return bool(job["status"] == "complete")

    def job(self, job_id: str) -> dict[str, Any]:
        job = self.table.job(job_id)
        if job is None:
            raise NotFound("dry-run job", job_id)
        return self.job_view(job)

    def job_view(self, job: dict[str, Any]) -> dict[str, Any]:
        tally = Tally.from_json(job["tally"])
        keys = ("job_id", "status", "current_version", "candidate_version", "window")
        view = {key: job[key] for key in keys}
        view["progress"] = {
            "leads_evaluated": tally.leads["evaluated"] + tally.leads["skipped"],
            "accounts_evaluated": tally.accounts["evaluated"],
            "phase": job["cursor"]["phase"],
            "day": job["cursor"]["day"],
        }
        if job["status"] == "complete":
            target = job["current"]["reporting"]["conversion_target"]  # a validated dump
            view |= tally.result(target)
            view["finished_at"] = job.get("finished_at")
        return view

    def _advance(
        self, job: dict[str, Any], budget_left_ms: Callable[[], int], min_pages: int = 0
    ) -> dict[str, Any]:
        """Pages until done or the budget is spent; the job is stored either way."""
        current = Rules.of(Rulebook.model_validate(job["current"]), "current")
        candidate = Rules.of(Rulebook.model_validate(job["candidate"]), "candidate")
        tally = Tally.from_json(job["tally"])
        cursor = job["cursor"]
        last_day = date.fromisoformat(job["window"]["to"])
        routings = self._routings(current, candidate)
        pages = 0
        while cursor["phase"] != "done" and (pages < min_pages or budget_left_ms() > 0):
            pages += 1
            if cursor["phase"] == "leads":
                day = date.fromisoformat(cursor["day"])
                items, key = self.leads.lead_page(day, cursor["key"])
                for item in items:
                    pair = stored_lead_decisions(json.loads(item["doc"]), current, candidate)
                    tally.add_lead(item["lead_id"], pair, item.get("deal_outcome"))
                cursor["key"] = key
                if key is None:
                    cursor["day"] = (day + timedelta(days=1)).isoformat()
                    if day >= last_day:
                        cursor["phase"] = "accounts"
            else:
                page = self.accounts.scan_segment(0, 1, cursor["key"])
                for record in page.records:
                    tally.add_account(record.account_id, account_decisions(record, *routings))
                cursor["key"] = page.next_key
                if page.next_key is None:
                    cursor["phase"] = "done"
        job["tally"] = tally.to_json()
        if cursor["phase"] == "done":
            job["status"] = "complete"
            job["finished_at"] = self.clock().isoformat()
        self.table.put_job(job["job_id"], job, self.clock())
        return job

    def _one_lead(self, lead: LeadInput, current: Rules, candidate: Rules) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "is_customer": False,
            "locked_until": None,
            "received_at": self.clock(),
        }
        before = lead_decision(lead, current, **facts)
        after = lead_decision(lead, candidate, **facts)
        return {"lead": _compared(before, after)}

    def _one_account(
        self, snapshot: AccountSnapshot, request: DryRunRequest, current: Rules, candidate: Rules
    ) -> dict[str, Any]:
        signals = [
            {**signal.record(), "at": (signal.at or self.clock()).isoformat()}
            for signal in request.signals
        ]
        record = AccountRecord(snapshot.account_id, snapshot, signals)
        before, after = account_decisions(record, *self._routings(current, candidate))
        return {"account": _compared(before, after)}

    def _routings(self, current: Rules, candidate: Rules) -> tuple[AccountRouting, AccountRouting]:
        """Account routing now under each rulebook (decide only: nothing is assigned)."""
        now = self.clock()
        return (
            AccountRouting(current.rulebook, current.scorer, self.leads, now),
            AccountRouting(candidate.rulebook, candidate.scorer, self.leads, now),
        )
