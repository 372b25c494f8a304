"""The routing sweep's service (``leadops.services.sweep`` over ``AccountRouting``) against
in-memory accounts and rep pools: what a segment routes, who owns it, what is written."""

from collections import Counter
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Any

import pytest

from leadops.account import AccountRecord
from leadops.assignment import RepRole
from leadops.routing import AccountSnapshot
from leadops.rulebook import Rulebook
from leadops.scoring import Scorer
from leadops.services.account_routing import AccountRouting
from leadops.services.sweep import SegmentStats, SweepTask, run_segment
from tests.unit.fakes import MemoryAccounts, MemoryPools, rep

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# A product-led account (PLS-1) in EMEA.
PLS1: dict[str, Any] = {"mrr": 800, "employees": 120, "user_count": 12, "country": "DE",
        "paying_since": date(2025, 1, 1)}  # fmt: skip
TAMS = (rep("tam-1", RepRole.TAM), rep("tam-2", RepRole.TAM))


def account(account_id: str, **fields: Any) -> AccountRecord:
    return AccountRecord(account_id, AccountSnapshot(account_id=account_id, **fields))


def routed(accounts: MemoryAccounts, account_id: str) -> dict[str, Any]:
    routing = accounts.routing(account_id)
    assert routing is not None, f"{account_id} was never routed"
    return routing


def pls1_accounts(count: int) -> list[AccountRecord]:
    return [account(f"a{i:03}", **PLS1) for i in range(count)]


def sweep(
    accounts: MemoryAccounts,
    pools: MemoryPools,
    rulebook: Rulebook,
    scorer: Scorer,
    page_size: int = 500,
) -> SegmentStats:
    """One whole segment (of one), continuations included."""
    routing = AccountRouting(rulebook, scorer, pools, NOW)
    total = SegmentStats()
    task: SweepTask | None = SweepTask(sweep_id="s", segment=0, total_segments=1)
    while task is not None:
        stats, task = run_segment(task, accounts, routing, lambda: 10**9, page_size=page_size)
        total.accounts += stats.accounts
        total.changed += stats.changed
    return total


@pytest.fixture
def pools() -> MemoryPools:
    return MemoryPools(*TAMS)


def test_a_segment_routes_its_accounts_and_owners_take_turns(
    pools: MemoryPools, rulebook: Rulebook, scorer: Scorer
) -> None:
    accounts = MemoryAccounts(*pls1_accounts(4), account("quiet", country="BR"))
    stats = sweep(accounts, pools, rulebook, scorer)
    assert (stats.accounts, stats.changed) == (5, 4)
    routings = [routed(accounts, f"a{i:03}") for i in range(4)]
    assert {(r["team"], r["rule"]) for r in routings} == {("product_led", "PLS-1")}
    owners = [r["owner"]["id"] for r in routings]
    assert Counter(owners) == {"tam-1": 2, "tam-2": 2}
    assert all(first != second for first, second in pairwise(owners))
    assert pools.reservations == [(RepRole.TAM, "EMEA", 4)]  # one reservation for the page
    assert accounts.routing("quiet") is None  # no rule matched: nothing written


def test_a_rerun_over_unchanged_accounts_writes_nothing(
    pools: MemoryPools, rulebook: Rulebook, scorer: Scorer
) -> None:
    accounts = MemoryAccounts(*pls1_accounts(3))
    sweep(accounts, pools, rulebook, scorer)
    writes, reservations = len(accounts.writes), len(pools.reservations)
    stats = sweep(accounts, pools, rulebook, scorer)
    assert (stats.accounts, stats.changed) == (3, 0)
    assert (len(accounts.writes), len(pools.reservations)) == (writes, reservations)


def test_an_account_waits_for_a_rep_without_rewrites_until_one_joins(
    rulebook: Rulebook, scorer: Scorer
) -> None:
    pools = MemoryPools(rep("tam-away", RepRole.TAM, active=False))
    accounts = MemoryAccounts(*pls1_accounts(1))
    sweep(accounts, pools, rulebook, scorer)
    waiting = routed(accounts, "a000")
    assert waiting["owner"] is None
    assert waiting["reasons"][-1] == "no active TAM in EMEA: waiting for a rep"

    stats = sweep(accounts, pools, rulebook, scorer)
    assert stats.changed == 0
    assert len(pools.reservations) == 1  # the first sweep's only: no slot taken while waiting

    pools.reps.append(rep("tam-1", RepRole.TAM))
    sweep(accounts, pools, rulebook, scorer)  # the next sweep finds the rep
    now_owned = routed(accounts, "a000")
    assert now_owned["owner"]["id"] == "tam-1"
    assert [(h["from"], h["to"]["id"]) for h in now_owned["history"]] == [(None, "tam-1")]


def test_a_team_change_moves_the_owner_and_keeps_the_history(
    rulebook: Rulebook, scorer: Scorer
) -> None:
    pools = MemoryPools(*TAMS, rep("bdr-1", RepRole.BDR))
    lost = {"closed_lost_at": date(2026, 6, 20), "closed_lost_reason": "unresponsive"}
    accounts = MemoryAccounts(account("a000", country="DE", **lost))  # BDR-4
    sweep(accounts, pools, rulebook, scorer)
    accounts.records["a000"] = AccountRecord(
        "a000", AccountSnapshot(account_id="a000", **PLS1), routing=accounts.routing("a000")
    )
    sweep(accounts, pools, rulebook, scorer)
    moved = routed(accounts, "a000")
    assert (moved["team"], moved["rule"]) == ("product_led", "PLS-1")
    assert [((h["from"] or {}).get("id"), h["to"]["id"]) for h in moved["history"]] == [
        (None, "bdr-1"),
        ("bdr-1", moved["owner"]["id"]),
    ]


def test_writes_go_in_full_batches_of_25_and_the_rest_at_the_end(
    pools: MemoryPools, rulebook: Rulebook, scorer: Scorer
) -> None:
    accounts = MemoryAccounts(*pls1_accounts(60))
    stats = sweep(accounts, pools, rulebook, scorer, page_size=20)
    assert stats.changed == 60
    assert [len(batch) for batch in accounts.writes] == [25, 25, 10]


def test_a_worker_short_of_time_hands_on_the_rest_with_nothing_pending(
    pools: MemoryPools, rulebook: Rulebook, scorer: Scorer
) -> None:
    accounts = MemoryAccounts(*pls1_accounts(10))
    routing = AccountRouting(rulebook, scorer, pools, NOW)
    task = SweepTask(sweep_id="s", segment=0, total_segments=1)
    stats, rest = run_segment(task, accounts, routing, lambda: 0, page_size=4)
    assert (stats.accounts, stats.changed) == (4, 4)
    assert sum(len(batch) for batch in accounts.writes) == 4  # written before handing on
    assert rest is not None
    assert (rest.start_key, rest.continuation) == ({"after": "a003"}, 1)
    hops = 1
    while rest is not None:
        _, rest = run_segment(rest, accounts, routing, lambda: 0, page_size=4)
        hops += 1
    assert hops == 3
    assert all(accounts.routing(f"a{i:03}") is not None for i in range(10))
