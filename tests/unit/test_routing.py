"""Account routing, table-driven from seed 001 "Lead routing": each rule, its edges, and the
precedence (referrals, then product-led 1-4, new business 1-8, BDR 1-4; first match wins)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from leadops.account import AccountRecord
from leadops.account_decision import AccountDecider
from leadops.routing import AccountSnapshot, Router, Signal, SignalType, Team, months_before
from leadops.rulebook import Rulebook
from leadops.scoring import Scorer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
NOTHING: dict[str, Any] = {"account_id": "acct-1", "country": "BR", "employees": 10}

PLS1 = {"mrr": 800, "employees": 51, "user_count": 8, "country": "DE",
        "paying_since": months_before(TODAY, 3)}  # fmt: skip


def _signal(
    kind: SignalType, days_ago: int = 1, team: Team | None = None, campaign: str | None = None
) -> Signal:
    return Signal(kind, NOW - timedelta(days=days_ago), team, campaign)


@pytest.fixture(scope="module")
def router(rulebook: Rulebook) -> Router:
    return Router(rulebook, NOW)


CASES: list[tuple[str, dict[str, Any], list[Signal], bool, str | None]] = [
    # (case, snapshot fields, signals, ICP high, expected rule)
    ("nothing matches", {}, [], False, None),
    ("AM referral", {"segments": ("AM referral",)}, [], False, "AM-referral"),
    ("AE referral", {"segments": ("ae REFERRAL",)}, [], False, "AE-referral"),
    ("PLS-1", PLS1, [], False, "PLS-1"),
    ("PLS-1 MRR at the top edge", {**PLS1, "mrr": 1667}, [], False, "PLS-1"),
    ("PLS-1 MRR below 500", {**PLS1, "mrr": 499}, [], False, None),
    ("PLS-1 50 employees", {**PLS1, "employees": 50}, [], False, None),
    ("PLS-1 7 users", {**PLS1, "user_count": 7}, [], False, None),
    ("PLS-1 not an ICP country", {**PLS1, "country": "PL"}, [], False, None),
    ("PLS-1 paying under 3 months", {**PLS1, "paying_since": TODAY - timedelta(days=80)}, [],
     False, None),
    ("PLS-2", {"plan": "Scale"}, [], True, "PLS-2"),
    ("PLS-2 low ICP", {"plan": "scale"}, [], False, None),
    ("PLS-3", {"plan": "startup", "startup_plan_ends_at": TODAY + timedelta(days=40),
               "last_invoice_usd": 1501}, [], False, "PLS-3"),
    ("PLS-3 ends in 3 months", {"plan": "startup", "last_invoice_usd": 2000,
                                "startup_plan_ends_at": TODAY + timedelta(days=95)}, [], False,
     None),
    ("PLS-3 invoice $1500", {"plan": "startup", "startup_plan_ends_at": TODAY + timedelta(days=5),
                             "last_invoice_usd": 1500}, [], False, None),
    ("PLS-4", {"mrr": 1001, "forecast_spend_change_pct": 51}, [], False, "PLS-4"),
    ("PLS-4 +50% only", {"mrr": 2000, "forecast_spend_change_pct": 50}, [], False, None),
    ("NB-1", {}, [_signal(SignalType.DEMO_FORM)], False, "NB-1"),
    ("NB-1 signal too old", {}, [_signal(SignalType.DEMO_FORM, days_ago=31)], False, None),
    ("NB-2", {}, [_signal(SignalType.EMAILED_SALES)], False, "NB-2"),
    ("NB-3", {}, [_signal(SignalType.ONBOARDING_REFERRAL)], False, "NB-3"),
    ("NB-4 signal", {}, [_signal(SignalType.BIG_FISH_SIGNUP)], False, "NB-4"),
    ("NB-4 snapshot", {"employees": 1000, "first_signup_at": TODAY - timedelta(days=3)}, [], False,
     "NB-4"),
    ("NB-4 old signup", {"employees": 5000, "first_signup_at": TODAY - timedelta(days=60)}, [],
     False, None),
    ("NB-5", {"startup_credits_used_pct": 50, "last_invoice_usd": 5001}, [], False, "NB-5"),
    ("NB-5 invoice $5000", {"startup_credits_used_pct": 90, "last_invoice_usd": 5000}, [], False,
     None),
    ("NB-6", {}, [_signal(SignalType.TRUST_CENTER_NDA)], False, "NB-6"),
    ("NB-7", {}, [_signal(SignalType.CAMPAIGN, team=Team.NEW_BUSINESS)], False, "NB-7"),
    ("NB-8", {}, [_signal(SignalType.BDR_QUALIFIED)], False, "NB-8"),
    ("BDR-1", {}, [_signal(SignalType.CAMPAIGN, team=Team.BDR)], False, "BDR-1"),
    # Issue 16 item 7: a campaign's team from the rulebook's registry, by its name.
    ("NB-7 by name", {}, [_signal(SignalType.CAMPAIGN, campaign="top10")], False, "NB-7"),
    ("BDR-1 an unlisted (Lemlist) campaign", {},
     [_signal(SignalType.CAMPAIGN, campaign="Week 47 job changers")], False, "BDR-1"),
    ("the signal's own team wins", {},
     [_signal(SignalType.CAMPAIGN, team=Team.BDR, campaign="Top10")], False, "BDR-1"),
    ("BDR-2", {}, [_signal(SignalType.JOB_SWITCH)], False, "BDR-2"),
    ("BDR-3", {}, [_signal(SignalType.LOW_USAGE)], False, "BDR-3"),
    # Issue 16 item 8: low usage from the snapshot's usage figures (thresholds exclusive).
    ("BDR-3 from usage", {"active_users_30d": 2, "events_30d": 9_999}, [], False, "BDR-3"),
    ("BDR-3 one figure given", {"events_30d": 0}, [], False, "BDR-3"),
    ("BDR-3 users at the threshold", {"active_users_30d": 3, "events_30d": 10}, [], False, None),
    ("BDR-3 few users, many events", {"active_users_30d": 1, "events_30d": 10_000}, [], False,
     None),
    ("BDR-4", {"closed_lost_at": months_before(TODAY, 5), "closed_lost_reason": "Unresponsive"},
     [], False, "BDR-4"),
    ("BDR-4 4 months to the day", {"closed_lost_at": months_before(TODAY, 4),
                                   "closed_lost_reason": "unresponsive"}, [], False, "BDR-4"),
    ("BDR-4 3 months", {"closed_lost_at": months_before(TODAY, 3),
                        "closed_lost_reason": "unresponsive"}, [], False, None),
    ("BDR-4 7 months", {"closed_lost_at": months_before(TODAY, 7),
                        "closed_lost_reason": "unresponsive"}, [], False, None),
    ("BDR-4 other reason", {"closed_lost_at": months_before(TODAY, 5),
                            "closed_lost_reason": "price"}, [], False, None),
    # Precedence: the first matching rule in seed order wins.
    ("AM referral beats PLS-1", {**PLS1, "segments": ("AM referral",)}, [], False, "AM-referral"),
    ("AE referral beats product-led", {**PLS1, "segments": ("AE referral",)}, [], False,
     "AE-referral"),
    ("product-led beats new business", {"mrr": 5000, "forecast_spend_change_pct": 80},
     [_signal(SignalType.DEMO_FORM)], False, "PLS-4"),
    ("NB-1 beats NB-6", {}, [_signal(SignalType.TRUST_CENTER_NDA), _signal(SignalType.DEMO_FORM)],
     False, "NB-1"),
    ("new business beats BDR", {},
     [_signal(SignalType.LOW_USAGE), _signal(SignalType.BDR_QUALIFIED)], False, "NB-8"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "signals", "icp_high", "rule"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_routing_rules(
    router: Router,
    fields: dict[str, Any],
    signals: list[Signal],
    icp_high: bool,
    rule: str | None,
) -> None:
    snapshot = AccountSnapshot(**{**NOTHING, **fields})
    decision = router.route(snapshot, signals, icp_high, snapshot.country)
    assert decision.rule == rule
    assert decision.reasons
    if rule is not None:
        assert decision.reasons[0].startswith(rule)


@pytest.mark.parametrize(
    ("rule", "team", "role"),
    [("PLS-1", "product_led", "TAM"), ("NB-1", "new_business", "TAE"), ("BDR-2", "bdr", "BDR")],
)
def test_each_team_is_worked_by_its_role(router: Router, rule: str, team: str, role: str) -> None:
    fields, signals = {
        "PLS-1": (PLS1, []),
        "NB-1": ({}, [_signal(SignalType.DEMO_FORM)]),
        "BDR-2": ({}, [_signal(SignalType.JOB_SWITCH)]),
    }[rule]
    snapshot = AccountSnapshot(**{**NOTHING, **fields})
    decision = router.route(snapshot, signals, False, snapshot.country)
    assert (decision.rule, decision.team, decision.role) == (rule, team, role)


@pytest.mark.parametrize("country", ["United Kingdom", "USA", "uk", "GB"])
def test_pls1_reads_a_country_name_as_its_iso_code(rulebook: Rulebook, country: str) -> None:
    """Issue 16 item 1: the rule compares ISO codes, whatever spelling the snapshot kept."""
    record = AccountRecord("acct-1", AccountSnapshot(**{**NOTHING, **PLS1, "country": country}),
                           [{"type": "low_usage", "at": NOW.isoformat()}])  # fmt: skip
    decision = AccountDecider(rulebook, Scorer(rulebook), NOW).decide(record)
    assert decision.routing.rule == "PLS-1"
    assert "ICP country" in decision.routing.reasons[0]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [(date(2026, 5, 31), 3, date(2026, 2, 28)), (date(2026, 1, 15), 2, date(2025, 11, 15))],
)
def test_calendar_months(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected
