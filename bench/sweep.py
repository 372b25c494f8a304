"""Sweep figures for `make bench`: DynamoDB calls to sweep 10,000 accounts (on moto), the write
batching (changed accounts per write call) and what a re-run over unchanged data costs."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from calls import counting_aws
from moto import mock_aws
from routing import sample_accounts

import leadops.adapters.aws
from leadops.account import AccountRecord, ScanPage
from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.leads_table import Pools, Reps
from leadops.assignment import Pool, Rep, RepRole
from leadops.rulebook import load_rulebook
from leadops.scoring import Scorer
from leadops.services.account_routing import AccountRouting
from leadops.services.sweep import SweepTask, plan, run_segment
from leadops_local.provision import provision
from leadops_local.template import SamTemplate


def _sweep(accounts: AccountsTable, routing: AccountRouting, segments: int) -> Counter[str]:
    with counting_aws() as calls:
        for task in plan("bench", segments):
            rest: SweepTask | None = task
            while rest is not None:
                stats, rest = run_segment(rest, accounts, routing, lambda: 10**9)
                calls["changed"] += stats.changed
                calls["accounts"] += stats.accounts
    return calls


def sweep_calls(template: SamTemplate, count: int = 10_000, segments: int = 4) -> dict[str, float]:
    os.environ.setdefault("AWS_REGION", "us-east-1")
    leadops.adapters.aws.client.cache_clear()
    rulebook = load_rulebook()
    with mock_aws():
        provision(template, None)
        accounts = AccountsTable(template.physical_name("AccountsTable"))
        reps = Reps(template.physical_name("LeadsTable"))
        for role, territory in [(r, t) for r in RepRole for t in ("AMER", "EMEA", "APAC")]:
            rep_id = f"{role.value.lower()}-{territory.lower()}"
            reps.put(Rep(rep_id=rep_id, name=rep_id, email=f"{rep_id}@s.io", role=role,
                         team="t", territory=territory, weight=1))  # fmt: skip
        accounts.put_snapshots([account for account, _, _ in sample_accounts(count)])
        pools = Pools(template.physical_name("LeadsTable"))
        routing = AccountRouting(rulebook, Scorer(rulebook), pools, datetime.now(UTC))
        first = _sweep(accounts, routing, segments)
        again = _sweep(accounts, routing, segments)
    leadops.adapters.aws.client.cache_clear()
    writes = first["BatchWriteItem"]
    print(f"  sweep of {count:,} accounts: {dict(first)}")
    print(f"  re-run over unchanged data: {dict(again)}")
    return {
        "sweep_dynamodb_calls_per_10000_accounts": sum(
            n for op, n in first.items() if op not in ("changed", "accounts")
        )
        * 10_000
        / count,
        "sweep_changed_accounts_per_write_call": first["changed"] / writes if writes else 0.0,
        "sweep_round_robin_updates_per_10000_accounts": first["UpdateItem"] * 10_000 / count,
        "sweep_rerun_write_calls": again["BatchWriteItem"] + again["UpdateItem"],
    }


class _SyntheticAccounts:
    """An accounts table of ``count`` accounts made up page by page: what a worker holds in
    memory is then the worker's own, not a fake database's."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.written = 0

    def scan_segment(
        self,
        segment: int,
        total_segments: int,
        start_key: dict[str, Any] | None,
        page_size: int = 500,
    ) -> ScanPage:
        start = int(start_key["n"]) if start_key else 0
        end = min(start + page_size, self.count)
        records = [
            AccountRecord(f"a{i}", snapshot=account)
            for i, (account, _, _) in zip(
                range(start, end), sample_accounts(end - start, seed=start), strict=False
            )
        ]
        return ScanPage(records, {"n": end} if end < self.count else None, read_calls=1)

    def put_routings(self, routings: dict[str, dict[str, Any]]) -> int:
        self.written += len(routings)
        return 1


class _NoPoolWrites:
    """Round-robin slots without DynamoDB (one active rep per pool)."""

    def take_position(self, role: RepRole, territory: str, count: int = 1) -> Pool:
        rep = Rep(rep_id="r", name="r", email="r@s.io", role=role, team="t",
                  territory=territory, weight=1)  # fmt: skip
        return Pool(reps=[rep], position=0)

    def pool_reps(self, role: RepRole, territory: str) -> list[Rep]:
        return self.take_position(role, territory).reps


def sweep_memory(count: int = 100_000) -> dict[str, float]:
    """Peak Python memory of one worker sweeping ``count`` accounts (tracemalloc), beside the
    peak for a tenth as many: flat means the same."""
    import tracemalloc

    rulebook = load_rulebook()
    peaks = {}
    for n in (count // 10, count):
        accounts = _SyntheticAccounts(n)
        routing = AccountRouting(rulebook, Scorer(rulebook), _NoPoolWrites(), datetime.now(UTC))
        tracemalloc.start()
        rest: SweepTask | None = plan("memory", 1)[0]
        while rest is not None:
            _, rest = run_segment(rest, accounts, routing, lambda: 10**9)
        peaks[n] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {
        "sweep_worker_peak_mb_100000_accounts": peaks[count],
        "sweep_worker_peak_mb_10000_accounts": peaks[count // 10],
    }
