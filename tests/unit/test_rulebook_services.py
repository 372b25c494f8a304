"""The rulebook services on in-memory ports (tests/unit/rulebook_fakes.py): versions (put,
a raced change, rollback), conversion reports, and dry runs (one lead, a window that goes on
across worker slices to the same result as a run done in one go)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadops.account import AccountRecord
from leadops.backtest import lead_decision
from leadops.errors import Conflict, Invalid, NotFound
from leadops.lead_record import Deal, LeadRecord, StoredLead
from leadops.models import FormSubmission
from leadops.ports import StoredRulebook
from leadops.routing import AccountSnapshot
from leadops.rulebook import Rulebook
from leadops.rules import Rules, packaged_rules
from leadops.services.dry_runs import DryRunRequest, DryRuns
from leadops.services.rule_reports import ReportQuery, RuleReports
from leadops.services.rulebook_versions import RulebookVersions
from tests.helpers import SALES, candidate
from tests.unit.rulebook_fakes import (
    FixedRules,
    MemoryAccounts,
    MemoryLeads,
    MemoryQueue,
    MemoryRulebookStore,
)

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
TODAY = NOW.date()
PACKAGED = packaged_rules()


def changed(version: str = "2099-01-01.1", **changes: Any) -> Rulebook:
    """The packaged rulebook with ``changes`` ("section.key" -> value) and a new version."""
    return Rulebook.model_validate(candidate(version, **changes))


UNREACHABLE_SCORE = {"demo_booking.instant_scheduler_min_lead_score": 100}


# --- versions --------------------------------------------------------------------------------
@pytest.fixture
def store() -> MemoryRulebookStore:
    return MemoryRulebookStore()


@pytest.fixture
def versions(store: MemoryRulebookStore) -> RulebookVersions:
    return RulebookVersions(store, clock=lambda: NOW)


def test_a_put_version_is_live_listed_and_names_what_it_replaced(
    versions: RulebookVersions,
) -> None:
    answer = versions.put(changed("2099-01-01.1"))
    assert answer == {
        "version": "2099-01-01.1",
        "source": "override",
        "activated_at": NOW.isoformat(),
        "previous_version": PACKAGED.version,
    }
    assert (versions.current().version, versions.current().source) == ("2099-01-01.1", "override")
    assert versions.live()["activated_at"] == NOW.isoformat()
    listed = versions.versions()
    assert listed["current"] == "2099-01-01.1"
    assert [(v["version"], v["source"], v["active"]) for v in listed["versions"]] == [
        ("2099-01-01.1", "override", True),
        (PACKAGED.version, "packaged", False),
    ]
    assert versions.version("2099-01-01.1")["activated_at"] is None  # a version, not the live one


def test_a_put_raced_by_another_change_is_a_conflict_and_writes_nothing(
    store: MemoryRulebookStore, versions: RulebookVersions
) -> None:
    versions.put(changed("2099-01-01.1"))
    other = RulebookVersions(store, clock=lambda: NOW)
    store.another_change_gets_in_first(lambda: other.put(changed("2099-01-01.2")))

    with pytest.raises(Conflict):
        versions.put(changed("2099-01-01.3"))  # decided against .1, which is no longer live

    assert versions.current().version == "2099-01-01.2"  # the change that got in first stays
    assert "2099-01-01.3" not in store.stored


def test_a_rollback_raced_by_another_change_is_a_conflict(
    store: MemoryRulebookStore, versions: RulebookVersions
) -> None:
    versions.put(changed("2099-01-01.1"))
    versions.put(changed("2099-01-01.2"))
    store.another_change_gets_in_first(lambda: store.deactivate("2099-01-01.2"))
    with pytest.raises(Conflict):
        versions.rollback("2099-01-01.1")
    assert versions.current().source == "packaged"


def test_a_rollback_makes_a_stored_version_live_again_and_to_packaged_removes_the_override(
    store: MemoryRulebookStore, versions: RulebookVersions
) -> None:
    versions.put(changed("2099-01-01.1"))
    versions.put(changed("2099-01-01.2"))

    back = versions.rollback("2099-01-01.1")
    assert (back["version"], back["previous_version"]) == ("2099-01-01.1", "2099-01-01.2")
    assert versions.current().version == "2099-01-01.1"

    packaged = versions.rollback(PACKAGED.version)
    assert (packaged["source"], packaged["previous_version"]) == ("packaged", "2099-01-01.1")
    assert store.live is None
    assert versions.current().source == "packaged"


def test_the_packaged_version_changed_is_a_conflict_and_an_unknown_version_is_not_found(
    store: MemoryRulebookStore, versions: RulebookVersions
) -> None:
    with pytest.raises(Conflict):
        versions.put(changed(PACKAGED.version, **UNREACHABLE_SCORE))
    assert store.stored == {}
    with pytest.raises(NotFound):
        versions.rollback("2000-01-01.1")
    with pytest.raises(NotFound):
        versions.version("2000-01-01.1")


def test_a_stored_version_this_layer_no_longer_accepts_is_not_rolled_back_to(
    store: MemoryRulebookStore, versions: RulebookVersions
) -> None:
    versions.put(changed("2099-01-01.1"))
    store.stored["old"] = StoredRulebook("old", {"version": "old"}, None)
    with pytest.raises(Invalid):
        versions.rollback("old")
    assert versions.current().version == "2099-01-01.1"


# --- reports ---------------------------------------------------------------------------------
def _reported(rule: str, outcome: str, deal_outcome: str | None = None) -> dict[str, Any]:
    item = {"lead_id": "l", "classification": "sales", "rule": rule, "outcome": outcome,
            "doc": "{}", "deal_outcome": deal_outcome}  # fmt: skip
    return {key: value for key, value in item.items() if value is not None}


def test_a_conversion_report_counts_the_window_against_the_live_target() -> None:
    leads = MemoryLeads(
        reported={
            TODAY: [
                _reported("instant:revenue+title", "instant_scheduler", "won"),
                _reported("instant:revenue+title", "instant_scheduler", "lost"),
                _reported("manual:criteria", "manual_review"),
            ],
            TODAY - timedelta(days=30): [_reported("manual:criteria", "manual_review", "won")],
        }
    )
    live = changed(**{"reporting.conversion_target": 0.5})
    reports = RuleReports(FixedRules(Rules.of(live, "override")), leads, clock=lambda: NOW)

    report = reports.conversion_report(ReportQuery())

    assert (report["from"], report["to"]) == ((TODAY - timedelta(days=29)).isoformat(),
                                              TODAY.isoformat())  # fmt: skip
    assert report["target"] == 0.5
    assert [(g["group"], g["leads"], g["won"]) for g in report["groups"]] == [
        ("instant:revenue+title", 2, 1),
        ("manual:criteria", 1, 0),
    ]
    assert report["groups"][0]["vs_target"] == "at"
    assert "doc" not in leads.projections[0]  # a report reads a few attributes, not the lead


def test_a_report_window_is_checked() -> None:
    reports = RuleReports(FixedRules(PACKAGED), MemoryLeads(), clock=lambda: NOW)
    with pytest.raises(Invalid):
        reports.conversion_report(ReportQuery(from_=TODAY, to=TODAY - timedelta(days=1)))
    with pytest.raises(Invalid):
        reports.conversion_report(ReportQuery(from_=TODAY - timedelta(days=366), to=TODAY))


# --- dry runs --------------------------------------------------------------------------------
def _stored_lead(lead_id: str, body: dict[str, Any] | None, deal: str | None) -> StoredLead:
    """A lead as the webhook stores it (what a dry run reads), decided by the packaged rules
    with a rep found; ``body`` None: a lead stored before dry runs existed (no submission)."""
    submission = FormSubmission.model_validate(body or {**SALES, "submission_id": lead_id})
    decided = lead_decision(
        submission, PACKAGED, is_customer=False, locked_until=None, received_at=NOW
    )
    record = LeadRecord(
        answer={"classification": decided["classification"], "owner": {"id": "r1"}},
        submission_id=submission.submission_id,
        email=submission.email,
        account="acme.io",
        territory=decided["territory"],
        outcome=decided["outcome"],
        scores={},
        normalised={},
        received_at=NOW,
        submission=submission.model_dump(mode="json", exclude_none=True) if body else None,
    )
    return StoredLead(
        lead_id, "acme.io", "r1", decided["rule"], None, record,
        deal=Deal(deal, None, None) if deal else None,
    )  # fmt: skip


@pytest.fixture
def history() -> tuple[MemoryLeads, MemoryAccounts]:
    """Yesterday: two sales leads (one won) and one stored before dry runs existed; today: one
    more sales lead. Two accounts, one a Big Fish (NB-4)."""
    yesterday = TODAY - timedelta(days=1)
    leads = MemoryLeads(
        pages={
            yesterday: [
                _stored_lead("won", {**SALES, "submission_id": "s1"}, "won"),
                _stored_lead("old", None, None),
                _stored_lead("open", {**SALES, "submission_id": "s2"}, None),
            ],
            TODAY: [_stored_lead("lost", {**SALES, "submission_id": "s3"}, "lost")],
        }
    )
    big_fish = AccountSnapshot(account_id="bigfish", employees=5000, first_signup_at=TODAY)
    small = AccountSnapshot(account_id="small", employees=5)
    accounts = MemoryAccounts([AccountRecord("bigfish", big_fish), AccountRecord("small", small)])
    return leads, accounts


def _dry_runs(
    history: tuple[MemoryLeads, MemoryAccounts], sync_budget_ms: int
) -> tuple[DryRuns, MemoryRulebookStore, MemoryQueue]:
    leads, accounts = history
    jobs, queue = MemoryRulebookStore(), MemoryQueue()
    runs = DryRuns(
        rules=FixedRules(PACKAGED),
        jobs=jobs,
        continuations=queue,
        leads=leads,
        accounts=accounts,
        clock=lambda: NOW,
        sync_budget_ms=sync_budget_ms,
    )
    return runs, jobs, queue


WINDOW = {"from": TODAY - timedelta(days=1), "to": TODAY}
STRICTER = {"rulebook": changed(**UNREACHABLE_SCORE), **WINDOW}


def test_a_window_that_fits_the_budget_answers_at_once(
    history: tuple[MemoryLeads, MemoryAccounts],
) -> None:
    runs, _, queue = _dry_runs(history, sync_budget_ms=10**9)
    status, answer = runs.start(DryRunRequest.model_validate(STRICTER), lambda: 10**9)

    assert (status, answer["status"]) == (200, "complete")
    assert answer["window"] == {"from": WINDOW["from"].isoformat(), "to": TODAY.isoformat()}
    leads = answer["leads"]
    assert (leads["evaluated"], leads["skipped"]) == (3, 1)
    assert leads["changed"]["outcome"] == 3  # nobody reaches a lead score of 100
    assert leads["conversion"]["current"]["booked"] == 3
    assert leads["conversion"]["candidate"]["booked"] == 0
    assert answer["accounts"]["evaluated"] == 2
    assert answer["finished_at"] == NOW.isoformat()
    assert queue.sent == []


def test_a_window_goes_on_across_worker_slices_to_the_same_result(
    history: tuple[MemoryLeads, MemoryAccounts],
) -> None:
    in_one_go = _dry_runs(history, sync_budget_ms=10**9)[0]
    _, expected = in_one_go.start(DryRunRequest.model_validate(STRICTER), lambda: 10**9)
    runs, jobs, queue = _dry_runs(history, sync_budget_ms=0)

    status, started = runs.start(DryRunRequest.model_validate(STRICTER), lambda: 10**9)
    assert (status, started["status"]) == (202, "running")
    assert started["progress"] == {"leads_evaluated": 0, "accounts_evaluated": 0,
                                   "phase": "leads", "day": WINDOW["from"].isoformat()}  # fmt: skip
    assert json.loads(queue.sent[0]) == {"job_id": started["job_id"]}

    slices = 0
    while queue.sent:  # a worker with no time to spare: one page per message
        slices += 1
        job_id = json.loads(queue.take())["job_id"]
        done = runs.resume(job_id, time_left_ms=lambda: 1_000, margin_ms=30_000)
        progress = runs.read(job_id)["progress"]
        assert done == (not queue.sent)
        assert progress["phase"] == ("done" if done else progress["phase"])

    assert slices == 3 + 1 + 2  # yesterday's three leads, today's one, two accounts
    polled = runs.read(started["job_id"])
    assert polled["status"] == "complete"
    assert {k: v for k, v in polled.items() if k != "job_id"} == {
        k: v for k, v in expected.items() if k != "job_id"
    }
    assert jobs.job_writes == 1 + slices  # the job's progress, stored once per slice


def test_a_redelivered_slice_of_a_complete_job_does_nothing(
    history: tuple[MemoryLeads, MemoryAccounts],
) -> None:
    runs, jobs, queue = _dry_runs(history, sync_budget_ms=10**9)
    _, answer = runs.start(DryRunRequest.model_validate(STRICTER), lambda: 10**9)
    writes = jobs.job_writes
    assert runs.resume(answer["job_id"], lambda: 10**9, margin_ms=0)
    assert (jobs.job_writes, queue.sent) == (writes, [])
    assert runs.resume("dr_expired", lambda: 10**9, margin_ms=0)  # gone: nothing to go on with
    with pytest.raises(NotFound):
        runs.read("dr_expired")


def test_a_dry_run_of_one_lead_answers_before_and_after(
    history: tuple[MemoryLeads, MemoryAccounts],
) -> None:
    runs, jobs, _ = _dry_runs(history, sync_budget_ms=0)
    request = DryRunRequest.model_validate(
        {"rulebook": changed(**UNREACHABLE_SCORE), "lead": SALES}
    )
    status, answer = runs.start(request, lambda: 10**9)
    assert (status, answer["status"], answer["window"]) == (200, "complete", None)
    compared = answer["lead"]
    assert (compared["before"]["outcome"], compared["after"]["outcome"]) == (
        "instant_scheduler",
        "manual_review",
    )
    assert "outcome" in compared["changed"]
    assert jobs.jobs == {}  # one lead is answered, never stored


def test_a_dry_run_of_one_account_routes_it_under_both_rulebooks(
    history: tuple[MemoryLeads, MemoryAccounts],
) -> None:
    runs, _, _ = _dry_runs(history, sync_budget_ms=0)
    bigger = changed(**{"routing.new_business.nb4_employees_min": 10_000})
    request = DryRunRequest.model_validate(
        {"rulebook": bigger,
         "account": {"account_id": "bigfish", "employees": 5000, "first_signup_at": TODAY}}
    )  # fmt: skip
    _, answer = runs.start(request, lambda: 10**9)
    compared = answer["account"]
    assert compared["before"]["rule"] == "NB-4"
    assert compared["after"]["rule"] != "NB-4"
    assert "rule" in compared["changed"]


@pytest.mark.parametrize(
    "subjects",
    [{}, {"lead": SALES, "from": TODAY}, {"lead": SALES, "account": {"account_id": "a"}}],
)
def test_a_dry_run_needs_exactly_one_subject(
    history: tuple[MemoryLeads, MemoryAccounts], subjects: dict[str, Any]
) -> None:
    runs, _, _ = _dry_runs(history, sync_budget_ms=0)
    with pytest.raises(Invalid):
        runs.start(DryRunRequest.model_validate({"rulebook": changed(), **subjects}), lambda: 0)
