"""Conversion per group of sales leads, against the rulebook's target (seed 001: "aim for a 20%
conversion rate from these types of leads"). Pure: it reads stored lead items.

For each group: ``leads`` (sales leads received in the window), ``booked`` (shown the instant
scheduler), ``won`` / ``lost`` / ``no_show`` (deal outcomes recorded with
``POST /leads/{id}/outcome``), ``open`` (no outcome yet), ``conversion_rate`` = won / leads, and
``booked_conversion_rate`` = won / booked among the leads shown the instant scheduler (what a
change to the booking rules moves).
``vs_target`` is ``above``, ``at`` or ``below`` the target, or ``unknown`` while no lead of the
group has an outcome (a rate of 0 % then only means "too early to tell").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

# The lead item attributes a report reads (Leads.leads_between projects only these).
ATTRIBUTES = ("classification", "outcome", "rule", "icp_tier", "owner_id", "deal_outcome", "grade")
_OUTCOMES = ("won", "lost", "no_show")


class GroupBy(StrEnum):
    RULE = "rule"
    OUTCOME = "outcome"
    OWNER = "owner"
    ICP_TIER = "icp_tier"
    # fit letter x engagement number, set on the lead whenever its person's behaviour score is
    # written (issue 15); "ungraded": no PostHog activity scored since the lead
    GRADE = "grade"


_FIELD = {GroupBy.RULE: "rule", GroupBy.OUTCOME: "outcome", GroupBy.OWNER: "owner_id",
          GroupBy.ICP_TIER: "icp_tier", GroupBy.GRADE: "grade"}  # fmt: skip
_MISSING = {GroupBy.RULE: "unknown", GroupBy.OUTCOME: "unknown", GroupBy.OWNER: "unassigned",
            GroupBy.ICP_TIER: "unknown", GroupBy.GRADE: "ungraded"}  # fmt: skip


def tally(counts: Counter[str], target: float) -> dict[str, Any]:
    """One row: counts, the rate and where it stands against the target."""
    leads = counts["leads"]
    decided = sum(counts[outcome] for outcome in _OUTCOMES)
    rate = counts["won"] / leads if leads else None
    booked = counts["booked"]
    booked_rate = counts["booked_won"] / booked if booked else None
    if rate is None or decided == 0:
        versus = "unknown"
    elif abs(rate - target) < 1e-9:
        versus = "at"
    else:
        versus = "above" if rate > target else "below"
    return {
        "leads": leads,
        "booked": counts["booked"],
        **{outcome: counts[outcome] for outcome in _OUTCOMES},
        "open": leads - decided,
        "conversion_rate": round(rate, 4) if rate is not None else None,
        "booked_conversion_rate": round(booked_rate, 4) if booked_rate is not None else None,
        "vs_target": versus,
    }


def count(counts: Counter[str], booked: bool, deal_outcome: str | None) -> None:
    counts["leads"] += 1
    counts["booked"] += booked
    if deal_outcome in _OUTCOMES:
        counts[deal_outcome] += 1
        if booked:
            counts[f"booked_{deal_outcome}"] += 1


def conversion(items: Iterable[dict[str, Any]], by: GroupBy, target: float) -> dict[str, Any]:
    groups: defaultdict[str, Counter[str]] = defaultdict(Counter)
    total: Counter[str] = Counter()
    for item in items:
        if item.get("classification") != "sales":
            continue  # spam and support requests are not sales leads
        group = str(item.get(_FIELD[by]) or _MISSING[by])
        booked = item.get("outcome") == "instant_scheduler"
        for counts in (groups[group], total):
            count(counts, booked, item.get("deal_outcome"))
    rows = [{"group": name, **tally(counts, target)} for name, counts in groups.items()]
    rows.sort(key=lambda row: (-row["leads"], row["group"]))
    return {"by": by.value, "target": target, "groups": rows, "total": tally(total, target)}
