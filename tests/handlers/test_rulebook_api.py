"""Operating the rules through the real handlers on moto: live rulebook versions and rollback,
pickup by the other functions without a deploy, dry runs over seeded history (one that flips
known decisions, one that changes nothing), the asynchronous continuation, conversion reports."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from leadops.adapters.accounts_table import AccountsTable
from leadops.routing import AccountSnapshot
from leadops.rulebook import load_rulebook
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate
from tests.helpers import (
    SALES,
    FunctionUnderTest,
    add_rep,
    call,
    candidate,
    counting_aws,
    deliver,
    drain,
    intercepting_aws,
)

PACKAGED = load_rulebook().model_dump(mode="json")
# Every test runs at noon of the day the module was imported: "today" in the stored leads, the
# report windows below and the sweep cannot fall on two dates when a run crosses midnight.
NOON = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
TODAY = NOON.date().isoformat()


@pytest.fixture(autouse=True)
def _at_noon() -> Any:
    with time_machine.travel(NOON, tick=True):
        yield


@pytest.fixture
def rules(aws: SamTemplate, load_function: Any) -> FunctionUnderTest:
    return load_function("RulebookApiFunction")


@pytest.fixture
def history(aws: SamTemplate, load_function: Any) -> dict[str, Any]:
    """Three leads today (instant scheduler, spam, a second instant one) with deal outcomes,
    and one Big Fish account (NB-4)."""
    leads_api = load_function("LeadsApiFunction")
    webhook = load_function("WebhookFunction")
    add_rep(leads_api, "tae-1")
    _, won = deliver(webhook, SALES)
    spam = {**SALES, "submission_id": "sub-spam", "email": "x@mailinator.com",
            "message": "Buy cheap followers http://a.example http://b.example"}  # fmt: skip
    _, dropped = deliver(webhook, spam)
    other = {**SALES, "submission_id": "sub-2", "email": "bo@acme-analytics.io"}
    _, lost = deliver(webhook, other)
    call(leads_api, "POST", f"/leads/{won['lead_id']}/outcome", {"outcome": "won"})
    call(leads_api, "POST", f"/leads/{lost['lead_id']}/outcome", {"outcome": "lost"})
    AccountsTable(aws.physical_name("AccountsTable")).put_snapshots(
        [AccountSnapshot(account_id="bigfish", employees=5000, first_signup_at=date.today())]
    )
    return {"won": won, "spam": dropped, "lost": lost}


# --- versions --------------------------------------------------------------------------------
def test_the_packaged_rulebook_is_live_until_an_override_is_put(rules: FunctionUnderTest) -> None:
    status, live = call(rules, "GET", "/rulebook")
    assert status == 200
    assert (live["version"], live["source"]) == (PACKAGED["version"], "packaged")
    assert live["rulebook"] == PACKAGED


def test_put_makes_a_version_live_keeps_every_version_and_rolls_back(
    rules: FunctionUnderTest,
) -> None:
    first, second = candidate("2099-01-01.1"), candidate("2099-01-02.1", description="second")
    status, put = call(rules, "PUT", "/rulebook", first)
    assert status == 200
    assert (put["version"], put["previous_version"]) == ("2099-01-01.1", PACKAGED["version"])
    assert call(rules, "PUT", "/rulebook", second)[0] == 200
    _, live = call(rules, "GET", "/rulebook")
    assert (live["version"], live["source"]) == ("2099-01-02.1", "override")
    assert live["rulebook"] == second

    _, listed = call(rules, "GET", "/rulebook/versions")
    assert listed["current"] == "2099-01-02.1"
    versions = {v["version"]: v for v in listed["versions"]}
    assert set(versions) == {"2099-01-01.1", "2099-01-02.1", PACKAGED["version"]}
    assert [v["version"] for v in listed["versions"] if v["active"]] == ["2099-01-02.1"]
    _, old = call(rules, "GET", "/rulebook/versions/2099-01-01.1")
    assert old["rulebook"] == first

    status, back = call(rules, "POST", "/rulebook/rollback", {"version": "2099-01-01.1"})
    assert (status, back["version"], back["previous_version"]) == (
        200,
        "2099-01-01.1",
        "2099-01-02.1",
    )
    assert call(rules, "GET", "/rulebook")[1]["version"] == "2099-01-01.1"
    status, back = call(rules, "POST", "/rulebook/rollback", {"version": PACKAGED["version"]})
    assert (status, back["source"]) == (200, "packaged")
    assert call(rules, "GET", "/rulebook")[1]["source"] == "packaged"
    assert len(call(rules, "GET", "/rulebook/versions")[1]["versions"]) == 3  # nothing deleted


def test_an_invalid_rulebook_is_refused_whole_with_its_field_errors(
    rules: FunctionUnderTest,
) -> None:
    broken = candidate("2099-01-01.1", **{"demo_booking.criteria_required": "two"})
    broken["lead_score"]["max"] = 71  # the metrics no longer add up
    status, answer = call(rules, "PUT", "/rulebook", broken)
    assert status == 422
    fields = {error["field"] for error in answer["errors"]}
    assert "demo_booking.criteria_required" in fields
    assert any(field.startswith("lead_score") for field in fields)
    assert call(rules, "GET", "/rulebook")[1]["source"] == "packaged"
    assert len(call(rules, "GET", "/rulebook/versions")[1]["versions"]) == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("PUT", "/rulebook", {**PACKAGED, "description": "edited"}, 409, "version"),
        ("PUT", "/rulebook", {**PACKAGED, "surprise": 1}, 422, "surprise"),
        ("POST", "/rulebook/rollback", {"version": "1999-01-01.1"}, 404, "path"),
        ("POST", "/rulebook/rollback", {}, 422, "version"),
        ("GET", "/rulebook/versions/nope", None, 404, "path"),
        ("GET", "/rulebook/dry-run/dr_missing", None, 404, "path"),
        ("GET", "/reports/conversion?by=colour", None, 422, "by"),
        ("GET", "/reports/conversion?from=2026-02-01&to=2026-01-01", None, 422, "from"),
        ("GET", "/reports/conversion?from=2020-01-01&to=2026-01-01", None, 422, "to"),
        ("GET", "/reports/conversion?from=yesterday", None, 422, "from"),
    ],
)
def test_errors_name_what_is_wrong(
    rules: FunctionUnderTest, method: str, path: str, body: Any, status: int, field: str
) -> None:
    got, answer = call(rules, method, path, body)
    assert (got, answer["errors"][0]["field"]) == (status, field)


def test_the_same_version_with_another_document_is_a_conflict(rules: FunctionUnderTest) -> None:
    assert call(rules, "PUT", "/rulebook", candidate("2099-01-01.1"))[0] == 200
    assert call(rules, "PUT", "/rulebook", candidate("2099-01-01.1"))[0] == 200  # same: fine
    changed = candidate("2099-01-01.1", **{"demo_booking.lockout_days": 60})
    status, answer = call(rules, "PUT", "/rulebook", changed)
    assert (status, answer["errors"][0]["field"]) == (409, "version")


def test_two_changes_at_once_never_lose_one_silently(rules: FunctionUnderTest) -> None:
    """Another PUT lands between this one's read of the live version and its write: this one
    is a 409 and the other stays live (optimistic concurrency on the live pointer)."""
    raced = []

    def other_put_first(
        botocore_call: Any, client: Any, operation: str, params: dict[str, Any]
    ) -> Any:
        if operation == "TransactWriteItems" and not raced:
            raced.append(True)
            assert call(rules, "PUT", "/rulebook", candidate("2099-01-02.1"))[0] == 200
        return botocore_call(client, operation, params)

    with intercepting_aws(other_put_first):
        status, answer = call(rules, "PUT", "/rulebook", candidate("2099-01-01.1"))
    assert (status, answer["errors"][0]["field"]) == (409, "version")
    assert "changed while" in answer["message"]
    _, live = call(rules, "GET", "/rulebook")
    assert live["version"] == "2099-01-02.1"
    versions = {v["version"] for v in call(rules, "GET", "/rulebook/versions")[1]["versions"]}
    assert "2099-01-01.1" not in versions  # nothing half-applied


# --- live pickup -----------------------------------------------------------------------------
def test_every_function_picks_up_a_put_within_a_minute_without_a_deploy(
    rules: FunctionUnderTest, load_function: Any
) -> None:
    leads_api, webhook, score = (
        load_function(name) for name in ("LeadsApiFunction", "WebhookFunction", "ScoreFunction")
    )
    add_rep(leads_api, "tae-1")
    assert deliver(webhook, SALES)[1]["rulebook_version"] == PACKAGED["version"]
    assert call(rules, "PUT", "/rulebook", candidate("2099-01-01.1"))[0] == 200

    live = webhook.module.demo_requests.rules  # type: ignore[union-attr]  # its 60 s cache
    second = {**SALES, "submission_id": "sub-2"}
    assert deliver(webhook, second)[1]["rulebook_version"] == PACKAGED["version"]
    live.clock = lambda: live._fetched_at + 61  # a minute later
    third = {**SALES, "submission_id": "sub-3"}
    assert deliver(webhook, third)[1]["rulebook_version"] == "2099-01-01.1"
    # A container started after the PUT scores with it at once.
    assert call(score, "POST", "/score", SALES)[1]["rulebook_version"] == "2099-01-01.1"


# --- dry runs --------------------------------------------------------------------------------
def _window() -> dict[str, str]:
    return {"from": TODAY, "to": TODAY}


def test_a_candidate_equal_to_the_live_rules_changes_nothing(
    rules: FunctionUnderTest, history: dict[str, Any]
) -> None:
    status, run = call(rules, "POST", "/rulebook/dry-run", {"rulebook": candidate(), **_window()})
    assert (status, run["status"]) == (200, "complete")
    assert run["leads"]["evaluated"] == 3
    assert run["leads"]["changed"]["any"] == 0
    assert run["accounts"]["evaluated"] == 2  # bigfish, and acme-analytics.io from its form
    assert run["accounts"]["changed"]["any"] == 0
    current, after = run["leads"]["conversion"]["current"], run["leads"]["conversion"]["candidate"]
    assert current == after
    assert (current["leads"], current["booked"], current["won"], current["lost"]) == (2, 2, 1, 1)
    assert current["conversion_rate"] == 0.5


def test_a_lead_that_found_no_rep_is_not_booked_under_either_rulebook(
    rules: FunctionUnderTest, load_function: Any
) -> None:
    """Round robin is not replayed: a lead left unassigned stays unassigned in a dry run."""
    status, answer = deliver(load_function("WebhookFunction"), SALES)  # no TAE in EMEA
    assert (status, answer["outcome"]) == (200, "manual_review")
    lenient = candidate(**{"demo_booking.instant_scheduler_min_lead_score": 0})
    _, run = call(rules, "POST", "/rulebook/dry-run", {"rulebook": lenient, **_window()})
    assert run["leads"]["changed"]["any"] == 0
    assert run["leads"]["conversion"]["candidate"]["booked"] == 0
    _, one = call(rules, "GET", f"/reports/conversion?by=rule&from={TODAY}")
    assert [group["group"] for group in one["groups"]] == ["manual:no_rep"]


def test_a_rule_change_that_flips_known_decisions_is_counted_with_examples(
    rules: FunctionUnderTest, history: dict[str, Any]
) -> None:
    above = history["won"]["lead_score"] + 1  # no lead of the history reaches this score
    stricter = candidate(
        **{"demo_booking.instant_scheduler_min_lead_score": above,
           "routing.new_business.nb4_employees_min": 10_000}  # bigfish is no longer NB-4
    )  # fmt: skip
    status, run = call(rules, "POST", "/rulebook/dry-run", {"rulebook": stricter, **_window()})
    assert status == 200
    assert run["candidate_version"] == "2099-01-01.1"
    leads = run["leads"]
    assert leads["changed"]["outcome"] == 2
    assert leads["changed"]["scheduler_eligible"] == 2
    examples = {example["lead_id"]: example for example in leads["examples"]}
    flipped = examples[history["won"]["lead_id"]]
    assert (flipped["before"]["outcome"], flipped["after"]["outcome"]) == (
        "instant_scheduler",
        "manual_review",
    )
    assert flipped["after"]["rule"] == "manual:lead_score"
    assert "outcome" in flipped["changed"]
    assert history["spam"]["lead_id"] not in examples  # spam stays spam
    assert leads["conversion"]["candidate"]["booked"] == 0
    assert leads["conversion"]["current"]["booked"] == 2
    # won / booked: 1 of the 2 booked today; nobody is booked under the candidate
    assert leads["conversion"]["current"]["booked_conversion_rate"] == 0.5
    assert leads["conversion"]["candidate"]["booked_conversion_rate"] is None
    account = run["accounts"]["examples"][0]
    assert (account["account_id"], account["before"]["rule"]) == ("bigfish", "NB-4")
    assert account["after"]["rule"] != "NB-4"


def test_a_dry_run_writes_no_decision(rules: FunctionUnderTest, history: dict[str, Any]) -> None:
    stricter = candidate(**{"demo_booking.instant_scheduler_min_lead_score": 70})
    with counting_aws() as calls:
        assert (
            call(rules, "POST", "/rulebook/dry-run", {"rulebook": stricter, **_window()})[0] == 200
        )
    writes = {op for op in calls if not op.startswith(("Get", "Query", "Scan", "BatchGet"))}
    assert writes == {"PutItem"}  # the job's own record, in the rulebook table


def test_a_long_dry_run_continues_in_the_worker_and_reports_when_done(
    aws: SamTemplate, load_function: Any, history: dict[str, Any]
) -> None:
    # A budget of 0: nothing fits in the API's answer, all of it goes on in the worker.
    rules = LocalFunction(aws.function("RulebookApiFunction"), {"DRY_RUN_SYNC_BUDGET_MS": 0})
    body = {"rulebook": candidate(**{"demo_booking.instant_scheduler_min_lead_score": 70}),
            **_window()}  # fmt: skip
    status, started = call(rules, "POST", "/rulebook/dry-run", body)
    assert (status, started["status"]) == (202, "running")
    assert started["progress"]["leads_evaluated"] == 0
    _, polled = call(rules, "GET", f"/rulebook/dry-run/{started['job_id']}")
    assert polled["status"] == "running"

    # A worker with no time to spare does one page per message and re-queues the rest:
    # the leads of the day, then the accounts.
    worker = LocalFunction(aws.function("DryRunWorkerFunction"), {"DRY_RUN_MARGIN_MS": 10**9})
    assert drain(aws, worker, "DryRunQueue") == 2
    _, done = call(rules, "GET", f"/rulebook/dry-run/{started['job_id']}")
    assert done["status"] == "complete"
    assert (done["leads"]["evaluated"], done["leads"]["changed"]["outcome"]) == (3, 2)
    assert done["accounts"]["evaluated"] == 2


def test_a_dry_run_of_one_lead_body_answers_before_and_after(
    rules: FunctionUnderTest,
) -> None:
    body = {"rulebook": candidate(**{"demo_booking.instant_scheduler_min_lead_score": 70}),
            "lead": SALES}  # fmt: skip
    status, run = call(rules, "POST", "/rulebook/dry-run", body)
    assert status == 200
    lead = run["lead"]
    assert (lead["before"]["outcome"], lead["after"]["outcome"]) == (
        "instant_scheduler",
        "manual_review",
    )
    assert "outcome" in lead["changed"]


def test_a_dry_run_of_one_account_body_answers_before_and_after(rules: FunctionUnderTest) -> None:
    body = {"rulebook": candidate(**{"routing.new_business.nb4_employees_min": 10_000}),
            "account": {"account_id": "x", "employees": 5000,
                        "first_signup_at": date.today().isoformat()}}  # fmt: skip
    status, run = call(rules, "POST", "/rulebook/dry-run", body)
    assert status == 200
    assert run["account"]["before"]["rule"] == "NB-4"
    assert "rule" in run["account"]["changed"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"lead": SALES, "from": TODAY, "to": TODAY}, "from"),
        ({}, "lead"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
    ],
)
def test_a_dry_run_needs_exactly_one_subject(
    rules: FunctionUnderTest, extra: dict[str, Any], field: str
) -> None:
    status, answer = call(rules, "POST", "/rulebook/dry-run", {"rulebook": candidate(), **extra})
    assert (status, answer["errors"][0]["field"]) == (422, field)


def test_an_invalid_candidate_is_422_naming_the_rulebook_field(rules: FunctionUnderTest) -> None:
    broken = candidate(**{"demo_booking.criteria_required": -1})
    status, answer = call(rules, "POST", "/rulebook/dry-run", {"rulebook": broken, **_window()})
    assert status == 422
    assert answer["errors"][0]["field"].startswith("rulebook.demo_booking")


# --- conversion report -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("by", "groups"),
    [
        ("outcome", {"instant_scheduler": (2, 1)}),
        ("owner", {"tae-1": (2, 1)}),
        ("icp_tier", None),
    ],
)
def test_conversion_by_group_against_the_target(
    rules: FunctionUnderTest, history: dict[str, Any], by: str, groups: dict[str, Any] | None
) -> None:
    status, report = call(rules, "GET", f"/reports/conversion?by={by}&from={TODAY}&to={TODAY}")
    assert status == 200
    assert (report["by"], report["target"]) == (by, 0.2)
    assert report["total"]["leads"] == 2  # the spam is not a sales lead
    assert report["total"]["conversion_rate"] == 0.5
    assert report["total"]["vs_target"] == "above"
    if groups is not None:
        found = {g["group"]: (g["leads"], g["won"]) for g in report["groups"]}
        assert found == groups


def test_conversion_by_rule_names_the_rule_that_decided(
    rules: FunctionUnderTest, history: dict[str, Any]
) -> None:
    _, report = call(rules, "GET", "/reports/conversion?by=rule")  # default: the last 30 days
    (group,) = report["groups"]
    assert group["group"].startswith("instant:")
    assert (group["leads"], group["booked"], group["won"], group["lost"], group["open"]) == (
        2, 2, 1, 1, 0,
    )  # fmt: skip


def test_the_report_target_is_the_live_rulebooks(
    rules: FunctionUnderTest, history: dict[str, Any]
) -> None:
    call(rules, "PUT", "/rulebook", candidate(**{"reporting.conversion_target": 0.6}))
    _, report = call(rules, "GET", "/reports/conversion")
    assert report["target"] == 0.6
    assert report["total"]["vs_target"] == "below"


def test_stored_leads_keep_what_a_dry_run_needs(aws: SamTemplate, history: dict[str, Any]) -> None:
    from leadops.adapters.leads_table import Leads

    stored = Leads(aws.physical_name("LeadsTable")).get(history["won"]["lead_id"])
    record = stored.record
    assert record.submission is not None
    assert record.submission["submission_id"] == "sub-1"
    assert record.rule is not None
    assert record.rule.startswith("instant:")
    assert (record.customer, record.locked_until) == (False, None)
    assert stored.rule == record.rule  # the item's own attribute, read by reports


def test_a_dry_run_of_one_lead_body_shows_both_breakdowns_with_each_items_source(
    rules: FunctionUnderTest,
) -> None:
    """Issue 13: every score item says where its value came from; a body as submitted is all
    the form's (a dry run looks nothing up), and the changed items name it too."""
    bands = PACKAGED["lead_score"]["employees"]["bands"]
    cheaper = [{**band, "points": 0} if band["label"] == "11-1000" else band for band in bands]
    body = {"rulebook": candidate(**{"lead_score.employees.bands": cheaper}), "lead": SALES}
    status, run = call(rules, "POST", "/rulebook/dry-run", body)
    assert status == 200, run
    lead = run["lead"]
    now, then = lead["scores"]["current"], lead["scores"]["candidate"]
    assert now["lead_score"]["total"] == lead["before"]["lead_score"]
    assert then["lead_score"]["total"] == lead["after"]["lead_score"]
    assert then["lead_score"]["total"] == now["lead_score"]["total"] - 10
    assert (now["rulebook_version"], then["rulebook_version"]) == (
        run["current_version"],
        "2099-01-01.1",
    )
    items = [item for side in (now, then) for card in ("lead_score", "icp_score")
             for item in side[card]["items"]]  # fmt: skip
    assert {item["source"] for item in items if item["value"] != "unknown"} == {"form"}
    assert lead["score_items"] == [
        {"score": "lead_score", "metric": "employees", "value": 300, "source": "form",
         "before": 10, "after": 0}
    ]  # fmt: skip
