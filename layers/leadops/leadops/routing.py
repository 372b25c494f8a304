"""Account routing (seed 001, "Lead routing"): which team, by which rule, from an account's
billing/usage snapshot and its recent signals. Pure; every threshold is the rulebook's.

Order (DESIGN.md): manual referrals (AM referral -> product-led, AE referral -> new business),
then product-led 1-4, new business 1-8, BDR 1-4, as the seed lists them; the first match wins.
How the signal-based rules are read: each matches a signal of its type recorded within
``routing.signal_window_days`` (NB-1 ``demo_form``, NB-2 ``emailed_sales``, NB-3
``onboarding_referral``, NB-6 ``trust_center_nda``, NB-7 a ``campaign`` owned by new business,
NB-8 ``bdr_qualified``, NB-MQL ``mql`` (a person's behaviour score crossed the MQL threshold),
BDR-1 a ``campaign`` owned by the BDR team, BDR-2 ``job_switch``, BDR-3
``low_usage``); NB-4 matches a ``big_fish_signup`` signal, or a first signup within its window
from a company of 1000+ employees; BDR-3 also matches a snapshot whose usage figures are all under
the rulebook's thresholds. A campaign's team is its signal's ``detail.team``, else the rulebook's
campaign registry's for its ``detail.campaign`` name. Countries are compared as ISO codes: the
router is given the snapshot's country as the normaliser reads it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadops.assignment import RepRole
from leadops.rulebook import BdrRules, NewBusinessRules, ProductLedRules, Rulebook

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class Team(StrEnum):
    PRODUCT_LED = "product_led"
    NEW_BUSINESS = "new_business"
    BDR = "bdr"


# Who works each team's accounts (seed: "routed either to Technical Account Executives or
# Technical Account Managers depending on the type").
TEAM_ROLE = {Team.PRODUCT_LED: RepRole.TAM, Team.NEW_BUSINESS: RepRole.TAE, Team.BDR: RepRole.BDR}


class SignalType(StrEnum):
    DEMO_FORM = "demo_form"
    EMAILED_SALES = "emailed_sales"
    ONBOARDING_REFERRAL = "onboarding_referral"
    BIG_FISH_SIGNUP = "big_fish_signup"
    TRUST_CENTER_NDA = "trust_center_nda"
    CAMPAIGN = "campaign"
    BDR_QUALIFIED = "bdr_qualified"
    JOB_SWITCH = "job_switch"
    LOW_USAGE = "low_usage"
    MQL = "mql"  # a person's behaviour score crossed the MQL threshold (issue 15)


class AccountSnapshot(BaseModel):
    """One account's billing and usage snapshot, as an import row carries it."""

    model_config = ConfigDict(
        defer_build=True, extra="ignore", frozen=True, str_strip_whitespace=True
    )

    account_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    name: Text | None = None
    domain: Text | None = None
    country: Text | None = None
    employees: int | None = Field(default=None, ge=0)
    annual_revenue: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    type: Text | None = None
    founded_year: int | None = Field(default=None, ge=1600, le=2100)
    plan: Text | None = None
    mrr: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    paying_since: date | None = None
    user_count: int | None = Field(default=None, ge=0)
    startup_plan_ends_at: date | None = None
    last_invoice_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    forecast_spend_change_pct: float | None = Field(default=None, allow_inf_nan=False)
    startup_credits_used_pct: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    active_users_30d: int | None = Field(default=None, ge=0)  # usage: BDR-3 "low usage orgs"
    events_30d: int | None = Field(default=None, ge=0)
    first_signup_at: date | None = None
    closed_lost_at: date | None = None
    closed_lost_reason: Text | None = None
    segments: tuple[Text, ...] = ()


@dataclass(frozen=True, slots=True)
class Signal:
    type: SignalType
    at: datetime
    team: Team | None = None  # campaigns only: the team that owns the campaign, if named
    campaign: str | None = None  # campaigns only: its name (the registry knows its team)


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    team: Team | None
    rule: str | None
    reasons: tuple[str, ...]

    @property
    def role(self) -> RepRole | None:
        return TEAM_ROLE[self.team] if self.team else None


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    return months_after(day, -months)


def months_after(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(slots=True)
class _Context:
    """One account's facts as the rules read them (built once per account on the sweep's hot
    path: positional, no frozen-dataclass set-up)."""

    account: AccountSnapshot
    country: str | None  # the snapshot's country as an ISO 3166 alpha-2 code (or None)
    signals: frozenset[SignalType]
    campaign_teams: frozenset[Team]
    segments: frozenset[str]
    icp_high: bool


_NONE: frozenset[Any] = frozenset()


@dataclass(frozen=True, slots=True)
class _Limits:
    """The rulebook's routing thresholds, its month and day windows turned into dates at one
    moment (once per Router, not once per account)."""

    pls: ProductLedRules
    nb: NewBusinessRules
    bdr: BdrRules
    am_segment: str
    ae_segment: str
    icp_countries: frozenset[str]
    today: date
    paid_by: date  # PLS-1: paying since this day or earlier
    roll_off_by: date  # PLS-3: the startup plan ends by this day
    signup_since: date  # NB-4: first signup on this day or later
    lost_from: date  # BDR-4: closed lost between these days
    lost_to: date

    @classmethod
    def at(cls, rulebook: Rulebook, today: date) -> _Limits:
        rules = rulebook.routing
        pls, nb, bdr = rules.product_led, rules.new_business, rules.bdr
        return cls(
            pls=pls,
            nb=nb,
            bdr=bdr,
            am_segment=rules.am_referral_segment.casefold(),
            ae_segment=rules.ae_referral_segment.casefold(),
            icp_countries=rulebook.icp_score.country.countries,
            today=today,
            paid_by=months_before(today, pls.pls1_paying_months_min),
            roll_off_by=months_after(today, pls.pls3_roll_off_months),
            signup_since=today - timedelta(days=nb.nb4_first_signup_window_days),
            lost_from=months_before(today, bdr.bdr4_closed_lost_max_months),
            lost_to=months_before(today, bdr.bdr4_closed_lost_min_months),
        )


# A rule reads an account's facts under the limits: what matched (the reason), or None.
Rule = Callable[[_Context, _Limits], str | None]


# --- the rules, in seed order; docstrings quote seed 001 (figures are the rulebook's) ---------
def am_referral(c: _Context, at: _Limits) -> str | None:
    """Manual referral: "add a Segment for `AM referral` (product-led sales)"."""
    return "AM referral" if at.am_segment in c.segments else None


def ae_referral(c: _Context, at: _Limits) -> str | None:
    """Manual referral: "or `AE referral` (new business)"."""
    return "AE referral" if at.ae_segment in c.segments else None


def pls1(c: _Context, at: _Limits) -> str | None:
    """PLS 1: "Customers with MRR between $500-1,667, employee count > 50, user count > 7,
    based in ICP country, and has been paying for at least 3 months"."""
    a, pls = c.account, at.pls
    if (
        a.mrr is not None
        and pls.pls1_mrr_min <= a.mrr <= pls.pls1_mrr_max
        and (a.employees or 0) > pls.pls1_employees_over
        and (a.user_count or 0) > pls.pls1_users_over
        and c.country in at.icp_countries
        and a.paying_since is not None
        and a.paying_since <= at.paid_by
    ):
        return (
            f"MRR ${a.mrr:,.0f} in ${pls.pls1_mrr_min:,.0f}-${pls.pls1_mrr_max:,.0f}, "
            f"{a.employees} employees, {a.user_count} users, ICP country {c.country}, "
            f"paying since {a.paying_since}"
        )
    return None


def pls2(c: _Context, at: _Limits) -> str | None:
    """PLS 2: "Customers who have high ICP score and subscribe to the Scale plan"."""
    if c.icp_high and (c.account.plan or "").casefold() == at.pls.pls2_plan:
        return f"high ICP score on the {at.pls.pls2_plan} plan"
    return None


def pls3(c: _Context, at: _Limits) -> str | None:
    """PLS 3: "Customers who are set to roll off the startup plan in the next two months and
    had a last invoice greater than $1500"."""
    a, ends = c.account, c.account.startup_plan_ends_at
    if (
        (a.plan or "").casefold() == at.pls.pls3_plan
        and ends is not None
        and at.today <= ends <= at.roll_off_by
        and (a.last_invoice_usd or 0) > at.pls.pls3_last_invoice_over
    ):
        return f"startup plan ends {ends}, last invoice ${a.last_invoice_usd:,.0f}"
    return None


def pls4(c: _Context, at: _Limits) -> str | None:
    """PLS 4: "Customers with MRR > $1K and >50% forecasted spend increase this month"."""
    a = c.account
    if (a.mrr or 0) > at.pls.pls4_mrr_over and (
        a.forecast_spend_change_pct or 0
    ) > at.pls.pls4_forecast_increase_over_pct:
        return f"MRR ${a.mrr:,.0f}, forecast spend +{a.forecast_spend_change_pct:g}%"
    return None


def nb1(c: _Context, at: _Limits) -> str | None:
    """NB 1: "Completed the book a demo form (organic inbound or via paid ads campaign or
    outbound)"."""
    return "completed the demo form" if SignalType.DEMO_FORM in c.signals else None


def nb2(c: _Context, at: _Limits) -> str | None:
    """NB 2: "Emailed sales@"."""
    return "emailed sales@" if SignalType.EMAILED_SALES in c.signals else None


def nb3(c: _Context, at: _Limits) -> str | None:
    """NB 3: "Onboarding specialist referral"."""
    return "onboarding referral" if SignalType.ONBOARDING_REFERRAL in c.signals else None


def nb4(c: _Context, at: _Limits) -> str | None:
    """NB 4: "First signup from a company with 1000+ employees ('Big Fish') signaling a high
    potential large account early in their product led journey"."""
    if SignalType.BIG_FISH_SIGNUP in c.signals:
        return "big fish signup signal"
    a, first = c.account, c.account.first_signup_at
    if (
        first is not None
        and first >= at.signup_since
        and (a.employees or 0) >= at.nb.nb4_employees_min
    ):
        return f"first signup {first} from a company of {a.employees} employees"
    return None


def nb5(c: _Context, at: _Limits) -> str | None:
    """NB 5: "Customers who have used 50% or more of their startup credits and had a last
    invoice greater than $5000"."""
    a = c.account
    if (a.startup_credits_used_pct or 0) >= at.nb.nb5_credits_used_min_pct and (
        a.last_invoice_usd or 0
    ) > at.nb.nb5_last_invoice_over:
        return (
            f"{a.startup_credits_used_pct:g}% of startup credits used, "
            f"last invoice ${a.last_invoice_usd:,.0f}"
        )
    return None


def nb6(c: _Context, at: _Limits) -> str | None:
    """NB 6: "Requests for Trust Center access that require an NDA"."""
    return "trust center NDA" if SignalType.TRUST_CENTER_NDA in c.signals else None


def nb7(c: _Context, at: _Limits) -> str | None:
    """NB 7: "Self-generated campaigns" (a campaign signal owned by new business)."""
    return _campaign_of(c, Team.NEW_BUSINESS)


def nb8(c: _Context, at: _Limits) -> str | None:
    """NB 8 (numbered 7 again in the seed): "Outbound leads manually qualified by BDRs"."""
    return "qualified by a BDR" if SignalType.BDR_QUALIFIED in c.signals else None


def nb_mql(c: _Context, at: _Limits) -> str | None:
    """NB-MQL (ours, after the seed's new-business rules): a person of the account became a
    marketing qualified lead - glossary, seed 004: "A lead crossing a set threshold - say 50
    points - converts to a marketing qualified lead and routes to sales"."""
    return "a marketing qualified lead (behaviour score)" if SignalType.MQL in c.signals else None


def bdr1(c: _Context, at: _Limits) -> str | None:
    """BDR 1: "Self-generated campaigns - all tracked in Lemlist as these change week-to-week"
    (a campaign signal owned by the BDR team)."""
    return _campaign_of(c, Team.BDR)


def bdr2(c: _Context, at: _Limits) -> str | None:
    """BDR 2: "Job switchers"."""
    return "job switcher" if SignalType.JOB_SWITCH in c.signals else None


def bdr3(c: _Context, at: _Limits) -> str | None:
    """BDR 3: "Low usage orgs": the signal, or every usage figure the snapshot gives (that the
    rulebook has a threshold for) under its threshold."""
    if SignalType.LOW_USAGE in c.signals:
        return "low usage"
    a, bdr = c.account, at.bdr
    measured = [
        (value, limit, what)
        for value, limit, what in (
            (a.active_users_30d, bdr.bdr3_active_users_30d_below, "active users"),
            (a.events_30d, bdr.bdr3_events_30d_below, "events"),
        )
        if value is not None and limit is not None
    ]
    if measured and all(value < limit for value, limit, _ in measured):
        said = ", ".join(f"{value:,} {what} (< {limit:,})" for value, limit, what in measured)
        return f"low usage: {said} in the last 30 days"
    return None


def bdr4(c: _Context, at: _Limits) -> str | None:
    """BDR 4: "Closed lost oops 4-6 months old where reason was 'unresponsive'"."""
    a, lost = c.account, c.account.closed_lost_at
    if (
        lost is not None
        and at.lost_from <= lost <= at.lost_to
        and (a.closed_lost_reason or "").casefold() == at.bdr.bdr4_reason
    ):
        return f"closed lost {lost} ({a.closed_lost_reason})"
    return None


def _campaign_of(c: _Context, team: Team) -> str | None:
    return f"a campaign owned by {team.value}" if team in c.campaign_teams else None


# The precedence (DESIGN.md): referrals, product-led 1-4, new business 1-8, BDR 1-4.
RULES: tuple[tuple[str, Team, Rule], ...] = (
    ("AM-referral", Team.PRODUCT_LED, am_referral),
    ("AE-referral", Team.NEW_BUSINESS, ae_referral),
    ("PLS-1", Team.PRODUCT_LED, pls1),
    ("PLS-2", Team.PRODUCT_LED, pls2),
    ("PLS-3", Team.PRODUCT_LED, pls3),
    ("PLS-4", Team.PRODUCT_LED, pls4),
    ("NB-1", Team.NEW_BUSINESS, nb1),
    ("NB-2", Team.NEW_BUSINESS, nb2),
    ("NB-3", Team.NEW_BUSINESS, nb3),
    ("NB-4", Team.NEW_BUSINESS, nb4),
    ("NB-5", Team.NEW_BUSINESS, nb5),
    ("NB-6", Team.NEW_BUSINESS, nb6),
    ("NB-7", Team.NEW_BUSINESS, nb7),
    ("NB-8", Team.NEW_BUSINESS, nb8),
    ("NB-MQL", Team.NEW_BUSINESS, nb_mql),
    ("BDR-1", Team.BDR, bdr1),
    ("BDR-2", Team.BDR, bdr2),
    ("BDR-3", Team.BDR, bdr3),
    ("BDR-4", Team.BDR, bdr4),
)


class Router:
    """Routes accounts under one rulebook at one moment (build per sweep, reuse per account)."""

    def __init__(self, rulebook: Rulebook, now: datetime) -> None:
        self.now = now
        self.version = rulebook.version
        self._signals_since = now - timedelta(days=rulebook.routing.signal_window_days)
        self._limits = _Limits.at(rulebook, now.date())
        self._campaigns = rulebook.routing.campaigns

    def route(
        self,
        account: AccountSnapshot,
        signals: list[Signal],
        icp_high: bool,
        country: str | None,
    ) -> RoutingDecision:
        """``country``: the snapshot's country as an ISO code (``Normaliser.country``)."""
        recent = [s for s in signals if s.at >= self._signals_since]
        kinds = frozenset(s.type for s in recent)
        context = _Context(
            account,
            country,
            kinds,
            self._campaign_teams(recent) if SignalType.CAMPAIGN in kinds else _NONE,
            frozenset(segment.casefold() for segment in account.segments)
            if account.segments
            else _NONE,
            icp_high,
        )
        for rule_id, team, rule in RULES:
            said = rule(context, self._limits)
            if said is not None:
                return RoutingDecision(team, rule_id, (f"{rule_id} -> {team.value}: {said}",))
        return RoutingDecision(None, None, ("no routing rule matched",))

    def _campaign_teams(self, recent: list[Signal]) -> frozenset[Team]:
        return frozenset(
            team
            for s in recent
            if s.type is SignalType.CAMPAIGN and (team := self._campaign_team(s)) is not None
        )

    def _campaign_team(self, signal: Signal) -> Team | None:
        """The signal's own team, else the campaign registry's for its name."""
        if signal.team is not None:
            return signal.team
        team = self._campaigns.team_of(signal.campaign)
        return Team(team) if team else None


def signals_from(items: list[dict[str, Any]]) -> list[Signal]:
    """Stored signal records (``type``, ``at``, ``detail.team``, ``detail.campaign``) as
    ``Signal``s."""
    found = []
    for item in items:
        detail = item.get("detail") or {}
        team = detail.get("team")
        found.append(
            Signal(
                SignalType(item["type"]),
                datetime.fromisoformat(item["at"]),
                Team(team) if team else None,
                detail.get("campaign") or None,
            )
        )
    return found
