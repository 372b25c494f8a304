"""Routing figure for `make bench`: rule evaluation throughput, pure (no AWS)."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

from leadops.routing import AccountSnapshot, Router, Signal, SignalType, Team
from leadops.rulebook import load_rulebook
from leadops.scoring import Scorer

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def sample_accounts(count: int, seed: int = 3) -> list[tuple[AccountSnapshot, list[Signal], bool]]:
    """Varied accounts: every plan, missing fields, 0-3 signals of any age (many match nothing,
    so most accounts are checked against every rule)."""
    rng = random.Random(seed)
    found = []
    for i in range(count):
        account = AccountSnapshot(
            account_id=f"acct-{i}",
            country=rng.choice(["US", "DE", "BR", "IN", "GB"]),
            employees=rng.randint(1, 5000),
            plan=rng.choice(["free", "paid", "scale", "startup"]),
            mrr=rng.choice([None, rng.randint(0, 3000)]),
            paying_since=rng.choice([None, date(2025, 1, 1), date(2026, 10, 1)]),
            user_count=rng.randint(0, 50),
            last_invoice_usd=rng.randint(0, 8000),
            forecast_spend_change_pct=rng.randint(-50, 100),
            startup_credits_used_pct=rng.randint(0, 100),
            closed_lost_at=rng.choice([None, date(2026, 6, 20)]),
            closed_lost_reason=rng.choice([None, "unresponsive", "price"]),
        )
        signals = [
            Signal(
                rng.choice(list(SignalType)),
                NOW - timedelta(days=rng.randint(0, 60)),
                rng.choice([None, Team.BDR, Team.NEW_BUSINESS]),
            )
            for _ in range(rng.randint(0, 3))
        ]
        found.append((account, signals, rng.random() < 0.3))
    return found


def rule_evaluation(count: int = 20_000, repeats: int = 5) -> dict[str, float]:
    rulebook = load_rulebook()
    router = Router(rulebook, NOW)
    country = Scorer(rulebook).normaliser.country  # the decider normalises once, before routing
    accounts = [(a, s, high, country(a.country)) for a, s, high in sample_accounts(count)]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for account, signals, icp_high, iso in accounts:
            router.route(account, signals, icp_high, iso)
        best = min(best, time.perf_counter() - start)
    return {"rule_evaluation_accounts_per_s": count / best}
