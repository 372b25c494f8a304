"""Dry runs of a candidate rulebook (``POST /rulebook/dry-run``, ``GET /rulebook/dry-run/{id}``
and ``DryRunWorkerFunction``): one lead body, one account, or a window of stored history, each
decided under the live rules and the candidate (leadops.backtest), never writing a decision.

A window is read page by page (the leads of each day, then the accounts). It answers at once
when it finishes within the API's budget; otherwise its progress is stored as a ``DryRunJob``,
the rest is queued to the worker (which goes on in slices, re-queuing itself) and the answer is
202 with the job id to poll.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator

from leadops.account import AccountRecord
from leadops.account_decision import AccountDecider
from leadops.backtest import (
    Tally,
    account_decisions,
    changed_fields,
    changed_items,
    lead_decision,
    sourced_scores,
    stored_lead_decisions,
    stored_score_items,
)
from leadops.errors import Invalid, NotFound
from leadops.models import LeadInput
from leadops.ports import AccountScan, DryRunJobs, LeadPages, RulebookSource, TaskQueue
from leadops.routing import AccountSnapshot
from leadops.rulebook import Rulebook
from leadops.rules import Rules
from leadops.services.accounts import SignalInput
from leadops.services.engagement import behaviour_compared
from leadops.services.rule_reports import window

logger = Logger(child=True)


class DryRunRequest(BaseModel):
    """A candidate rulebook and what to try it on: one lead body, one account, or a window."""

    model_config = ConfigDict(defer_build=True, extra="forbid", populate_by_name=True)
    rulebook: Rulebook
    lead: LeadInput | None = None
    account: AccountSnapshot | None = None
    signals: list[SignalInput] = Field(default_factory=list, max_length=100)
    # PostHog events (webhook or batch-export shape): behaviour scores under both (issue 15)
    events: list[Any] | None = Field(default=None, max_length=10_000)
    icp_score: int | None = None  # the fit the events' people are graded with
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    examples: int = Field(default=10, ge=0, le=100)


class Window(BaseModel):
    """The days of stored leads a job goes over, both ends inclusive."""

    model_config = ConfigDict(defer_build=True, extra="forbid", populate_by_name=True)
    from_: date = Field(validation_alias="from", serialization_alias="from")
    to: date


class Cursor(BaseModel):
    """Where a job goes on: the leads of ``day`` from ``key``, then the accounts from ``key``."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    phase: Literal["leads", "accounts", "done"] = "leads"
    day: date
    key: dict[str, Any] | None = None  # a DynamoDB page key, None at the start of a day/scan


def _tally(value: Tally | str) -> Tally:
    return value if isinstance(value, Tally) else Tally.from_json(value)


# Stored as Tally's own JSON text, and timestamps as isoformat(), as the job item always was.
StoredTally = Annotated[
    Tally, PlainValidator(_tally), PlainSerializer(lambda tally: tally.to_json(), return_type=str)
]
Instant = Annotated[datetime, PlainSerializer(lambda at: at.isoformat(), return_type=str)]


class DryRunJob(BaseModel):
    """A dry run over a window between slices: both rulebooks, where it is, what it found."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    job_id: Annotated[str, Field(min_length=1, max_length=64)]
    status: Literal["running", "complete"] = "running"
    current_version: str
    candidate_version: str
    window: Window
    current: Rulebook
    candidate: Rulebook
    cursor: Cursor
    tally: StoredTally
    started_at: Instant
    finished_at: Instant | None = None  # absent from the stored state until complete

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    def state(self) -> dict[str, Any]:
        """The JSON state the job store keeps."""
        unfinished = {"finished_at"} if self.finished_at is None else None
        return self.model_dump(mode="json", by_alias=True, exclude=unfinished)

    def answer(self) -> dict[str, Any]:
        """What the API answers about the job: its progress, and its result once complete."""
        keys = ("job_id", "status", "current_version", "candidate_version", "window")
        shown = self.model_dump(
            mode="json", by_alias=True, include={*keys, "cursor", "finished_at"}
        )
        answer = {key: shown[key] for key in keys}
        answer["progress"] = {
            "leads_evaluated": self.tally.leads["evaluated"] + self.tally.leads["skipped"],
            "accounts_evaluated": self.tally.accounts["evaluated"],
            "phase": shown["cursor"]["phase"],
            "day": shown["cursor"]["day"],
        }
        if self.complete:
            answer |= self.tally.result(self.current.reporting.conversion_target)
            answer["finished_at"] = shown["finished_at"]
        return answer


def _compared(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """One lead or account side by side: every field of the answer may differ."""
    return {"before": before, "after": after, "changed": changed_fields(before, after, before)}


def _one_subject(request: DryRunRequest) -> None:
    chosen = [n for n in ("lead", "account", "events") if getattr(request, n) is not None]
    if request.from_ or request.to:
        chosen.append("from")
    if len(chosen) != 1:
        raise Invalid(
            chosen[1] if len(chosen) > 1 else "lead",
            "give exactly one of: lead (a form body), account (a snapshot), events (PostHog "
            "events), or from/to",
        )


class DryRuns:
    def __init__(
        self,
        rules: RulebookSource,
        jobs: DryRunJobs,
        continuations: TaskQueue,
        leads: LeadPages,
        accounts: AccountScan,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sync_budget_ms: int = 20_000,
    ) -> None:
        self.rules = rules
        self.jobs = jobs
        self.continuations = continuations
        self.leads = leads
        self.accounts = accounts
        self.clock = clock
        self.sync_budget_ms = sync_budget_ms

    def start(
        self, request: DryRunRequest, time_left_ms: Callable[[], int]
    ) -> tuple[int, dict[str, Any]]:
        """(200, the result) if done within the API's budget, else (202, the job's progress)."""
        current, candidate = self.rules.current(), Rules.of(request.rulebook, "candidate")
        _one_subject(request)
        done = {"status": "complete", "current_version": current.version,
                "candidate_version": candidate.version, "window": None}  # fmt: skip
        if request.lead is not None:
            return 200, {**done, "lead": self._one_lead(request.lead, current, candidate)}
        if request.account is not None:
            one = self._one_account(request.account, request.signals, current, candidate)
            return 200, {**done, "account": one}
        if request.events is not None:
            people = behaviour_compared(
                request.events, request.icp_score, current, candidate, self.clock()
            )
            return 200, {**done, "people": people}
        first, last = window(request.from_, request.to, self.clock().date())
        job = DryRunJob(
            job_id="dr_" + uuid.uuid4().hex[:20],
            current_version=current.version,
            candidate_version=candidate.version,
            window=Window(from_=first, to=last),
            current=current.rulebook,
            candidate=request.rulebook,
            cursor=Cursor(day=first),
            tally=Tally(request.examples),
            started_at=self.clock(),
        )
        budget = min(self.sync_budget_ms, time_left_ms())
        spent_at_start = time_left_ms()
        self._advance(job, lambda: budget - (spent_at_start - time_left_ms()))
        if job.complete:
            return 200, job.answer()
        self._go_on_later(job)
        return 202, job.answer()

    def resume(self, job_id: str, time_left_ms: Callable[[], int], margin_ms: int) -> bool:
        """Go on with a queued job; True when it is complete."""
        state = self.jobs.job(job_id)
        if state is None:
            logger.warning("dry-run job gone (expired?)", extra={"job_id": job_id})
            return True
        job = DryRunJob.model_validate(state)
        if job.complete:
            return True  # a redelivered message
        # At least one page per message, so a slice always makes progress.
        self._advance(job, lambda: time_left_ms() - margin_ms, min_pages=1)
        if not job.complete:
            self._go_on_later(job)
        return job.complete

    def read(self, job_id: str) -> dict[str, Any]:
        state = self.jobs.job(job_id)
        if state is None:
            raise NotFound("dry-run job", job_id)
        return DryRunJob.model_validate(state).answer()

    def _go_on_later(self, job: DryRunJob) -> None:
        self.continuations.send_all([json.dumps({"job_id": job.job_id})])

    def _advance(
        self, job: DryRunJob, budget_left_ms: Callable[[], int], min_pages: int = 0
    ) -> None:
        """Pages until done or the budget is spent; the job is stored either way."""
        current = Rules.of(job.current, "current")
        candidate = Rules.of(job.candidate, "candidate")
        routings = self._routings(current, candidate)
        pages = 0
        while job.cursor.phase != "done" and (pages < min_pages or budget_left_ms() > 0):
            pages += 1
            if job.cursor.phase == "leads":
                self._lead_page(job, current, candidate)
            else:
                self._account_page(job, routings)
        if job.cursor.phase == "done":
            job.status = "complete"
            job.finished_at = self.clock()
        self.jobs.put_job(job.job_id, job.state(), self.clock())

    def _lead_page(self, job: DryRunJob, current: Rules, candidate: Rules) -> None:
        cursor = job.cursor
        leads, cursor.key = self.leads.lead_page(cursor.day, cursor.key)
        for lead in leads:
            pair = stored_lead_decisions(lead.record, current, candidate)
            items = partial(stored_score_items, lead.record, current, candidate)
            job.tally.add_lead(lead.lead_id, pair, lead.deal_outcome, items)
        if cursor.key is None:  # the day is done
            if cursor.day >= job.window.to:
                cursor.phase = "accounts"
            cursor.day += timedelta(days=1)

    def _account_page(
        self, job: DryRunJob, routings: tuple[AccountDecider, AccountDecider]
    ) -> None:
        cursor = job.cursor
        page = self.accounts.scan_segment(0, 1, cursor.key)
        for record in page.records:
            job.tally.add_account(record.account_id, account_decisions(record, *routings))
        cursor.key = page.next_key
        if cursor.key is None:
            cursor.phase = "done"

    def _one_lead(self, lead: LeadInput, current: Rules, candidate: Rules) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "is_customer": False,
            "locked_until": None,
            "received_at": self.clock(),
        }
        before = lead_decision(lead, current, **facts)
        after = lead_decision(lead, candidate, **facts)
        # A body is scored as submitted (a dry run looks nothing up): every value is the form's.
        scores = {"current": sourced_scores(lead, current, {}),
                  "candidate": sourced_scores(lead, candidate, {})}  # fmt: skip
        items = changed_items(scores["current"], scores["candidate"])
        return {**_compared(before, after), "scores": scores, "score_items": items}

    def _one_account(
        self,
        snapshot: AccountSnapshot,
        signals: list[SignalInput],
        current: Rules,
        candidate: Rules,
    ) -> dict[str, Any]:
        stored = [
            {**signal.record(), "at": (signal.at or self.clock()).isoformat()} for signal in signals
        ]
        record = AccountRecord(snapshot.account_id, snapshot, stored)
        before, after = account_decisions(record, *self._routings(current, candidate))
        return _compared(before, after)

    def _routings(self, current: Rules, candidate: Rules) -> tuple[AccountDecider, AccountDecider]:
        """Account decisions now under each rulebook (a dry run assigns nothing)."""
        now = self.clock()
        return (
            AccountDecider(current.rulebook, current.scorer, now),
            AccountDecider(candidate.rulebook, candidate.scorer, now),
        )
