"""Accounts API and the routing sweep through the real handlers on moto."""

import dataclasses
import json
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest

from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.leads_table import Pools
from leadops.routing import AccountSnapshot
from leadops.rulebook import load_rulebook
from leadops.scoring import Scorer
from leadops.services.account_routing import AccountRouting
from leadops.services.sweep import SweepTask, run_segment
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate
from tests.helpers import FunctionUnderTest, add_rep, call, counting_aws, drain

PLS1 = {"mrr": 800, "employees": 120, "user_count": 12, "country": "DE",
        "paying_since": date(2025, 1, 1).isoformat()}  # fmt: skip


@pytest.fixture
def api(aws: SamTemplate, load_function: Any) -> FunctionUnderTest:
    leads_api = load_function("LeadsApiFunction")
    add_rep(leads_api, "tae-emea")
    add_rep(leads_api, "tam-emea", role="TAM", team="product_led")
    add_rep(leads_api, "bdr-emea", role="BDR", team="bdr")
    return load_function("AccountsApiFunction")


@pytest.fixture
def accounts(aws: SamTemplate) -> AccountsTable:
    return AccountsTable(aws.physical_name("AccountsTable"))


def test_a_signal_routes_the_account_at_once(api: FunctionUnderTest) -> None:
    status, account = call(api, "POST", "/accounts/acme/signals", {"type": "demo_form"})
    assert status == 200, account
    routing = account["routing"]
    assert (routing["team"], routing["rule"]) == ("new_business", "NB-1")
    assert routing["owner"] == {"id": "tae-emea", "name": "Rep tae-emea", "role": "TAE"}
    assert routing["rulebook_version"] == load_rulebook().version
    assert [entry["to"]["id"] for entry in routing["history"]] == ["tae-emea"]
    assert [signal["type"] for signal in account["signals"]] == ["demo_form"]
    _, again = call(api, "GET", "/accounts/acme")
    assert again["routing"] == routing


def test_a_team_change_moves_the_owner_and_keeps_history(
    api: FunctionUnderTest, accounts: AccountsTable
) -> None:
    call(api, "POST", "/accounts/acme/signals", {"type": "low_usage"})  # BDR-3
    accounts.put_snapshots([AccountSnapshot(account_id="acme", segments=("AM referral",))])
    _, account = call(api, "POST", "/accounts/acme/signals", {"type": "job_switch"})
    routing = account["routing"]
    assert (routing["team"], routing["rule"], routing["owner"]["id"]) == (
        "product_led",
        "AM-referral",
        "tam-emea",
    )
    assert [(h["from"] or {}).get("id") for h in routing["history"]] == [None, "bdr-emea"]


def test_the_same_team_keeps_its_open_assignment(api: FunctionUnderTest) -> None:
    call(api, "POST", "/accounts/acme/signals", {"type": "trust_center_nda"})  # NB-6
    _, account = call(api, "POST", "/accounts/acme/signals", {"type": "demo_form"})  # NB-1
    assert account["routing"]["rule"] == "NB-6"  # not re-routed: same team, owner still open
    assert len(account["routing"]["history"]) == 1


@pytest.mark.parametrize(
    ("campaign", "rule", "owner"),
    [("Top10", "NB-7", "tae-emea"), ("Week 47 - job changers (Lemlist)", "BDR-1", "bdr-emea")],
)
def test_a_campaign_signal_routes_by_its_name(
    api: FunctionUnderTest, campaign: str, rule: str, owner: str
) -> None:
    """Issue 16 item 7: the rulebook's campaign registry names the team ("Top10" is new
    business's; a campaign it does not list is the BDR team's Lemlist campaign)."""
    body = {"type": "campaign", "detail": {"campaign": campaign}}
    status, account = call(api, "POST", "/accounts/acme/signals", body)
    assert status == 200, account
    assert (account["routing"]["rule"], account["routing"]["owner"]["id"]) == (rule, owner)
    assert account["signals"][0]["detail"] == {"campaign": campaign}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "carrier_pigeon"}, "type"),
        ({"type": "campaign"}, "body"),
        ({"type": "campaign", "detail": {"team": "sales"}}, "detail.team"),
        ({"type": "demo_form", "at": "2099-01-01T00:00:00Z"}, "body"),
        ({"type": "demo_form", "at": "2026-01-01T00:00:00"}, "body"),
    ],
)
def test_bad_signals_are_422_naming_the_field(
    api: FunctionUnderTest, body: dict[str, Any], field: str
) -> None:
    status, answer = call(api, "POST", "/accounts/acme/signals", body)
    assert (status, answer["errors"][0]["field"]) == (422, field)


def test_an_unknown_account_is_404(api: FunctionUnderTest) -> None:
    status, answer = call(api, "GET", "/accounts/nobody")
    assert (status, answer["errors"][0]["field"]) == (404, "path")


# --- the sweep ----------------------------------------------------------------------------------
def _snapshots(count: int) -> list[AccountSnapshot]:
    shapes = [PLS1, {"plan": "scale", "employees": 200, "country": "US", "type": "private",
                     "founded_year": 2018, "annual_revenue": 5e6}, {}]  # fmt: skip
    return [
        AccountSnapshot.model_validate({"account_id": f"a{i:04}", **shapes[i % 3]})
        for i in range(count)
    ]


def test_a_scheduled_sweep_routes_every_account_and_a_rerun_writes_nothing(
    api: FunctionUnderTest,
    accounts: AccountsTable,
    aws: SamTemplate,
    load_function: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    accounts.put_snapshots(_snapshots(90))
    planner, worker = load_function("SweepPlannerFunction"), load_function("SweepWorkerFunction")
    scheduled = json.loads((aws.root / "events" / "sweep_planner.json").read_text())
    assert planner.invoke(scheduled)["segments"] == 4
    assert drain(aws, worker, "SweepQueue") == 4
    routed = {a: accounts.get(a).routing for a in (f"a{i:04}" for i in range(90))}
    rules = Counter((r or {}).get("rule") for r in routed.values())
    assert rules == {"PLS-1": 30, "PLS-2": 30, None: 30}  # PLS-2: AMER, waiting for a TAM
    assert all(
        r["owner"]["id"] == "tam-emea"
        for r in routed.values()
        if r and r["team"] == "product_led" and r["territory"] == "EMEA"
    )

    with counting_aws() as calls:
        planner.invoke(scheduled)
        drain(aws, worker, "SweepQueue")
    assert calls["BatchWriteItem"] == 0
    assert calls["UpdateItem"] == 0


def test_the_sweep_finds_low_usage_orgs_in_their_snapshots(
    api: FunctionUnderTest, accounts: AccountsTable, aws: SamTemplate, load_function: Any
) -> None:
    """Issue 16 item 8: BDR-3 from the snapshot's usage figures, with no low_usage signal."""
    accounts.put_snapshots([
        AccountSnapshot(account_id="quiet", active_users_30d=1, events_30d=1_200),
        AccountSnapshot(account_id="busy", active_users_30d=1, events_30d=2_000_000),
    ])  # fmt: skip
    planner, worker = load_function("SweepPlannerFunction"), load_function("SweepWorkerFunction")
    planner.invoke(json.loads((aws.root / "events" / "sweep_planner.json").read_text()))
    drain(aws, worker, "SweepQueue")
    quiet = accounts.get("quiet").routing or {}
    assert (quiet.get("rule"), (quiet.get("owner") or {}).get("id")) == ("BDR-3", "bdr-emea")
    assert "1 active users (< 3), 1,200 events (< 10,000)" in quiet["reasons"][0]
    assert accounts.get("busy").routing is None


def test_a_segment_too_big_for_one_invocation_continues(
    api: FunctionUnderTest, accounts: AccountsTable, aws: SamTemplate
) -> None:
    accounts.put_snapshots(_snapshots(60))
    rulebook = load_rulebook()
    routing = AccountRouting(
        rulebook, Scorer(rulebook), Pools(aws.physical_name("LeadsTable")), datetime.now(UTC)
    )
    task: SweepTask | None = SweepTask(sweep_id="s", segment=0, total_segments=1)
    seen, hops = 0, 0
    while task is not None:
        stats, task = run_segment(task, accounts, routing, lambda: 0, page_size=7)
        seen += stats.accounts
        hops += 1
    assert seen == 60
    assert hops > 5  # one page per invocation: every page handed on as a continuation
    assert accounts.get("a0000").routing["rule"] == "PLS-1"


def test_the_worker_hands_on_a_continuation_when_its_time_runs_short(
    api: FunctionUnderTest, accounts: AccountsTable, aws: SamTemplate
) -> None:
    """Through the real planner and worker: a worker whose Lambda has ~1 s left sweeps one page
    and queues the rest of its segment; draining the queue still routes every account."""
    accounts.put_snapshots(_snapshots(1_200))  # ~300 a segment: more than one page of 200
    short = dataclasses.replace(aws.function("SweepWorkerFunction"), timeout=1)
    worker = LocalFunction(short, {"SWEEP_PAGE_SIZE": "200"})
    planner = LocalFunction(aws.function("SweepPlannerFunction"))
    planner.invoke(json.loads((aws.root / "events" / "sweep_planner.json").read_text()))
    handled = drain(aws, worker, "SweepQueue")
    assert handled > 4  # the 4 segment tasks and their continuations
    routed = [accounts.get(f"a{i:04}").routing for i in range(0, 1_200, 3)]
    assert all(r is not None and r["rule"] == "PLS-1" for r in routed)
