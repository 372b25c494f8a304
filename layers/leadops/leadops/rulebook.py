"""The versioned rulebook: every band, point value, list and threshold, as validated data.

The packaged document is ``rulebook.toml`` beside this module. ``load_rulebook()`` parses and
validates it once per process; ``Rulebook.model_validate`` validates any other document (an
override) against the same schema, so an invalid one is refused whole.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal, NamedTuple, Protocol, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
# Sets are written out sorted, so one rulebook is always the same JSON document (its digest
# tells a re-sent version from a changed one, whatever the process's hash seed).
_SORTED = PlainSerializer(sorted, return_type=list[str], when_used="json")
CountryCodes = Annotated[frozenset[CountryCode], _SORTED]
Identifiers = Annotated[frozenset[Identifier], _SORTED]
Names = Annotated[frozenset[str], _SORTED]


class _Strict(BaseModel):
    # Built at import, not deferred like the layer's other models: every decision reads them,
    # mostly just after its first AWS call, so deferring would only hide their cost from
    # the cold-start figure (which stops at that call), not remove it.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    """A numeric interval from ``min``: up to ``max`` (inclusive) or ``below`` (exclusive), or
    open-ended. Where another band starts at this band's ``max``, that edge is the other band's
    (``Bands``)."""

    label: str = Field(min_length=1)
    min: float = -math.inf
    max: float | None = None
    below: float | None = None
    points: int

    @model_validator(mode="after")
    def _one_upper_bound(self) -> Self:
        if self.max is not None and self.below is not None:
            raise ValueError(f"band {self.label!r}: give either max or below, not both")
        upper = self.max if self.max is not None else self.below
        if upper is not None and upper < self.min:
            raise ValueError(f"band {self.label!r}: upper bound is below min")
        return self

    @property
    def upper(self) -> float:
        """The upper bound, whether inclusive or not (infinity when open-ended)."""
        upper = self.max if self.max is not None else self.below
        return math.inf if upper is None else upper


class BandInterval(NamedTuple):
    """One band as the half-open or closed interval it finally covers."""

    low: float
    high: float
    high_inclusive: bool
    band: Band

    def contains(self, value: float) -> bool:
        if value < self.low:
            return False
        return value <= self.high if self.high_inclusive else value < self.high


def _closed_above(band: Band, starts: set[float]) -> bool:
    """A ``max`` is inclusive unless another band starts there (then the edge is that band's)."""
    return band.max is not None and not (band.min < band.max and band.max in starts)


class Bands(_Strict):
    """Bands that do not overlap, each starting at its lower edge: a value on an edge shared by
    two bands belongs to the band that starts there ("$10m-$100m" holds $10M, "1000+" holds
    1,000, whatever ``max`` the band before it names). Order does not matter."""

    bands: tuple[Band, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_overlap(self) -> Self:
        ordered = sorted(self.bands, key=lambda band: band.min)
        for lower, upper in pairwise(ordered):
            if lower.upper > upper.min:
                raise ValueError(f"bands {lower.label!r} and {upper.label!r} overlap")
        return self

    @property
    def max_points(self) -> int:
        return max(0, *(band.points for band in self.bands))

    def intervals(self) -> tuple[BandInterval, ...]:
        """The bands as intervals, a shared edge going to the band it starts."""
        starts = {band.min for band in self.bands}
        return tuple(
            BandInterval(band.min, band.upper, _closed_above(band, starts), band)
            for band in self.bands
        )

    def find(self, value: float) -> Band | None:
        for interval in self.intervals():
            if interval.contains(value):
                return interval.band
        return None


class PointsTable(_Strict):
    points: dict[Identifier, int] = Field(min_length=1)

    @property
    def max_points(self) -> int:
        return max(0, *self.points.values())


def _require_disjoint(kind: str, groups: list[frozenset[str]]) -> None:
    seen: set[str] = set()
    for codes in groups:
        twice = seen & codes
        if twice:
            raise ValueError(f"countries in more than one {kind}: {sorted(twice)}")
        seen |= codes


class CountryTier(_Strict):
    label: str
    points: int
    countries: CountryCodes = Field(min_length=1)


class LeadCountry(_Strict):
    tiers: tuple[CountryTier, ...] = Field(min_length=1)
    other_points: int = 0

    @property
    def max_points(self) -> int:
        return max(self.other_points, *(tier.points for tier in self.tiers))

    @model_validator(mode="after")
    def _disjoint(self) -> Self:
        _require_disjoint("tier", [tier.countries for tier in self.tiers])
        return self


class _Metric(Protocol):
    @property
    def max_points(self) -> int: ...


def _require_max(section: str, declared: int, metrics: Iterable[_Metric]) -> None:
    """A score's declared maximum must be what its metrics can actually add up to."""
    total = sum(metric.max_points for metric in metrics)
    if total != declared:
        raise ValueError(f"{section}.max is {declared} but its metrics add up to {total}")


class LeadScoreRules(_Strict):
    max: int
    employees: Bands
    revenue: Bands
    role: PointsTable
    sub_role: PointsTable
    country: LeadCountry

    @model_validator(mode="after")
    def _max_adds_up(self) -> Self:
        parts = (self.employees, self.revenue, self.role, self.sub_role, self.country)
        _require_max("lead_score", self.max, parts)
        return self


class IcpRole(PointsTable):
    product_with_github_points: int

    @property
    def max_points(self) -> int:
        return max(super().max_points, self.product_with_github_points)


class IcpCountry(_Strict):
    countries: CountryCodes = Field(min_length=1)
    outside_points: int = Field(le=0)


class IcpEmail(_Strict):
    non_work_points: int = Field(le=0)


class IcpScoreRules(_Strict):
    max: int
    high_tier_min: int
    employees: Bands
    revenue: Bands
    role: IcpRole
    company_type: PointsTable
    founded_year: Bands
    country: IcpCountry
    email: IcpEmail

    @model_validator(mode="after")
    def _max_adds_up(self) -> Self:
        parts = (self.employees, self.revenue, self.role, self.company_type, self.founded_year)
        _require_max("icp_score", self.max, parts)
        if not 0 < self.high_tier_min <= self.max:
            raise ValueError("icp_score.high_tier_min must lie between 1 and icp_score.max")
        return self


class RoleRule(_Strict):
    """Maps spellings to one role identifier: exact aliases first, then whole-word keywords."""

    id: Identifier
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")]


class Normalisation(_Strict):
    country_aliases: dict[str, CountryCode] = {}
    # Country names in these languages resolve too (pycountry's translations: "Österreich").
    country_name_languages: tuple[Language, ...] = ()
    extra_free_mail_domains: Names = frozenset()
    extra_disposable_domains: Names = frozenset()
    company_types: dict[str, Identifier] = {}
    roles: tuple[RoleRule, ...] = Field(min_length=1)
    sub_roles: tuple[RoleRule, ...] = Field(min_length=1)


class DemoCriteria(_Strict):
    """The "2 of 3" requirements for revenue, title and industry (seed 001, Demo booking)."""

    revenue_min_usd: float = Field(ge=0)
    title_roles: Identifiers = Field(min_length=1)
    industry_keywords: tuple[str, ...] = Field(min_length=1)


OwnerRole = Literal["TAE", "TAM", "BDR"]


class DemoBooking(_Strict):
    instant_scheduler_min_lead_score: int
    criteria_required: int = Field(ge=0, le=3)
    lockout_days: int = Field(ge=0, le=3650)
    quarantine_days: int = Field(ge=1, le=3650)
    # Ownership before round robin: a demo request from an account whose open routing
    # assignment has an active owner of one of these roles goes to that owner.
    owner_roles: Annotated[frozenset[OwnerRole], _SORTED] = frozenset()
    criteria: DemoCriteria


class SpamEvidence(_Strict):
    honeypot: int = Field(ge=0)
    disposable_email: int = Field(ge=0)
    too_many_links: int = Field(ge=0)
    spam_phrase: int = Field(ge=0)
    empty_message: int = Field(ge=0)


class Classification(_Strict):
    spam_threshold: int = Field(ge=1)
    max_links: int = Field(ge=0)
    spam_evidence: SpamEvidence
    spam_phrases: tuple[str, ...] = ()
    support_min_hits: int = Field(ge=1)
    support_min_hits_customer: int = Field(ge=1)
    support_phrases: tuple[str, ...] = ()
    # One of these is enough from anyone, when the message shows none of the buying intent below.
    support_clear_phrases: tuple[str, ...] = ()
    buying_intent_phrases: tuple[str, ...] = ()


Territory = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]


class Territories(_Strict):
    default: Territory
    countries: dict[Territory, CountryCodes] = Field(min_length=1)

    @model_validator(mode="after")
    def _disjoint(self) -> Self:
        _require_disjoint("territory", list(self.countries.values()))
        return self

    def of(self, country: str | None) -> str:
        for territory, codes in self.countries.items():
            if country in codes:
                return territory
        return self.default


class ProductLedRules(_Strict):
    pls1_mrr_min: float = Field(ge=0)
    pls1_mrr_max: float = Field(ge=0)
    pls1_employees_over: int = Field(ge=0)
    pls1_users_over: int = Field(ge=0)
    pls1_paying_months_min: int = Field(ge=0)
    pls2_plan: str
    pls3_plan: str
    pls3_roll_off_months: int = Field(ge=0)
    pls3_last_invoice_over: float = Field(ge=0)
    pls4_mrr_over: float = Field(ge=0)
    pls4_forecast_increase_over_pct: float


class NewBusinessRules(_Strict):
    nb4_employees_min: int = Field(ge=0)
    nb4_first_signup_window_days: int = Field(ge=0)
    nb5_credits_used_min_pct: float = Field(ge=0, le=100)
    nb5_last_invoice_over: float = Field(ge=0)


class BdrRules(_Strict):
    # BDR-3 from data: an account is a low-usage org when every usage figure its snapshot gives
    # (and the rulebook has a threshold for) is below that threshold. None: not read.
    bdr3_active_users_30d_below: int | None = Field(default=None, ge=1)
    bdr3_events_30d_below: int | None = Field(default=None, ge=1)
    bdr4_closed_lost_min_months: int = Field(ge=0)
    bdr4_closed_lost_max_months: int = Field(ge=0)
    bdr4_reason: str

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.bdr4_closed_lost_min_months > self.bdr4_closed_lost_max_months:
            raise ValueError("bdr4_closed_lost_min_months is above bdr4_closed_lost_max_months")
        return self


CampaignTeam = Literal["new_business", "bdr"]


class Campaigns(_Strict):
    """The campaign registry (NB-7, BDR-1): which team owns a campaign, by its name (compared
    case-insensitively); a campaign the registry does not name is ``unlisted``'s (None: no
    team's, so it routes nowhere unless its signal names a team)."""

    teams: dict[Annotated[str, StringConstraints(min_length=1, max_length=200)], CampaignTeam] = {}
    unlisted: CampaignTeam | None = None

    @model_validator(mode="after")
    def _one_spelling(self) -> Self:
        folded = [name.casefold() for name in self.teams]
        if len(set(folded)) != len(folded):
            raise ValueError("routing.campaigns.teams names a campaign twice (case aside)")
        return self

    def team_of(self, name: str | None) -> CampaignTeam | None:
        if not name:
            return None
        wanted = name.strip().casefold()
        found = (team for listed, team in self.teams.items() if listed.casefold() == wanted)
        return next(found, self.unlisted)


class Routing(_Strict):
    signal_window_days: int = Field(ge=1, le=3650)
    am_referral_segment: str = Field(min_length=1)
    ae_referral_segment: str = Field(min_length=1)
    product_led: ProductLedRules
    new_business: NewBusinessRules
    bdr: BdrRules
    campaigns: Campaigns = Campaigns()


class Customers(_Strict):
    """Who is an existing customer (fewer support phrases make a support request): an imported
    account with MRR above 0 or on one of these plans (compared case-insensitively)."""

    paying_plans: Names = frozenset()

    def paying(self, plan: str | None, mrr: float | None) -> bool:
        if mrr is not None and mrr > 0:
            return True
        wanted = (plan or "").strip().casefold()
        return bool(wanted) and any(wanted == listed.casefold() for listed in self.paying_plans)


class Reporting(_Strict):
    conversion_target: float = Field(default=0.20, gt=0, le=1)


class EnrichmentRules(_Strict):
    """Enrichment (issue 13): which source wins each value, when a person is looked up, and how
    long an answer is kept."""

    # Sources of a value, first wins: the form, the account (what earlier forms of the account
    # said), the enrichment providers (in the stack's provider order).
    precedence: tuple[Literal["form", "account", "enrichment"], ...] = (
        "form", "account", "enrichment",
    )  # fmt: skip
    # Look the person up by email: "without_title" (only when the form gives no job title or
    # role: most demo forms ask for one), "always", or "never" (companies only).
    person_lookup: Literal["without_title", "always", "never"] = "without_title"
    cache_days: int = Field(default=30, ge=1, le=365)
    not_found_cache_days: int = Field(default=7, ge=1, le=365)

    @field_validator("precedence")
    @classmethod
    def _every_source_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if sorted(value) != ["account", "enrichment", "form"]:
            raise ValueError("list form, account and enrichment, each once")
        return value


# --- Behaviour: engagement points, decay, MQL and the fit x engagement grade (issue 15) -------
PropertyValue = str | int | float | bool


class BehaviourRule(_Strict):
    """Points for one kind of PostHog event (glossary, seed 004: "Requested a demo +30, Visited
    pricing page +15"). ``event`` is the PostHog event name; ``url_path`` (a regular expression,
    searched in the path of the event's ``$current_url``) and ``properties`` (exact values)
    narrow it. At most ``cap`` occurrences count in each window of ``cap_window_days``."""

    id: Identifier
    event: str = Field(min_length=1, max_length=200)
    points: int = Field(ge=-1000, le=1000)
    label: str = Field(min_length=1, max_length=200)
    url_path: str | None = Field(default=None, min_length=1, max_length=200)
    properties: dict[str, PropertyValue] = {}
    cap: int | None = Field(default=None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _path_compiles(self) -> Self:
        if self.url_path is not None:
            try:
                re.compile(self.url_path)
            except re.error as exc:
                raise ValueError(f"behaviour rule {self.id!r}: url_path: {exc}") from None
        return self


class BehaviourDecay(_Strict):
    """Seed 004: "No activity in 30 days -10"; the score never goes below 0."""

    points: int = Field(le=0)
    every_days: int = Field(ge=1, le=3650)


class GradeBand(_Strict):
    """A grade's part from a score: ``grade`` from ``min`` (inclusive) up."""

    grade: str = Field(min_length=1, max_length=8)
    min: int


def _band_of(bands: tuple[GradeBand, ...], value: int) -> GradeBand:
    """The band with the highest ``min`` at or below ``value`` (the lowest band otherwise)."""
    ordered = _descending(bands)
    return next((band for band in ordered if value >= band.min), ordered[-1])


@cache
def _descending(bands: tuple[GradeBand, ...]) -> tuple[GradeBand, ...]:
    return tuple(sorted(bands, key=lambda band: band.min, reverse=True))


class Grades(_Strict):
    """Seed 004: "two scoring dimensions, sometimes combined into a grid (A1, B3, etc.)": a fit
    letter from the ICP score (``fit``) and an engagement number from the behaviour score
    (``engagement``); ``no_fit`` is the letter of a person with no stored lead."""

    fit: tuple[GradeBand, ...] = Field(min_length=1)
    engagement: tuple[GradeBand, ...] = Field(min_length=1)
    no_fit: str = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        for name, bands in (("fit", self.fit), ("engagement", self.engagement)):
            if len({band.min for band in bands}) != len(bands):
                raise ValueError(f"behaviour.grades.{name}: two bands start at the same min")
            if len({band.grade for band in bands}) != len(bands):
                raise ValueError(f"behaviour.grades.{name}: a grade is named twice")
        return self

    def fit_letter(self, icp_score: int | None) -> str:
        return self.no_fit if icp_score is None else _band_of(self.fit, icp_score).grade

    def engagement_number(self, behaviour_score: int) -> str:
        return _band_of(self.engagement, behaviour_score).grade


class Behaviour(_Strict):
    rules: tuple[BehaviourRule, ...] = Field(min_length=1)
    cap_window_days: int = Field(ge=1, le=3650)
    decay: BehaviourDecay
    mql_threshold: int = Field(ge=1)
    grades: Grades
    # De-duplication: this many of a person's latest event uuids are remembered.
    seen_uuids: int = Field(default=500, ge=1, le=5000)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [rule.id for rule in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("behaviour.rules: a rule id is used twice")
        return self


class RouterRules(_Strict):
    """The public router's abuse limits (issue 12): per visitor address and per distinct set of
    answers, each counted in a fixed window; and how long a booking link stays valid."""

    per_ip_limit: int = Field(default=30, ge=1, le=100_000)
    per_ip_window_s: int = Field(default=600, ge=1, le=86_400)
    per_answers_limit: int = Field(default=5, ge=1, le=100_000)
    per_answers_window_s: int = Field(default=3600, ge=1, le=86_400)
    booking_token_ttl_s: int = Field(default=3600, ge=60, le=7 * 86_400)


class Rulebook(_Strict):
    version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    description: str = ""
    lead_score: LeadScoreRules
    icp_score: IcpScoreRules
    normalisation: Normalisation
    demo_booking: DemoBooking
    classification: Classification
    territories: Territories
    routing: Routing
    customers: Customers = Customers()
    reporting: Reporting = Reporting()
    enrichment: EnrichmentRules = EnrichmentRules()
    behaviour: Behaviour | None = None  # None: no engagement scoring under this version
    router: RouterRules = RouterRules()

    @model_validator(mode="after")
    def _identifiers_are_scored(self) -> Self:
        """Every role the normaliser can produce has points, so no role scores by accident."""
        tables = {
            "roles": (self.lead_score.role.points, self.icp_score.role.points),
            "sub_roles": (self.lead_score.sub_role.points,),
        }
        for kind, points_tables in tables.items():
            for rule in getattr(self.normalisation, kind):
                for table in points_tables:
                    if rule.id not in table:
                        raise ValueError(f"normalisation.{kind} id {rule.id!r} has no points")
        return self


_PACKAGED = Path(__file__).with_name("rulebook.toml")
_WORDS = re.compile(r"[^a-z0-9+#]+")
# Latin letters that carry no combining mark to strip ("Ø" is not "O" plus a mark).
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})


def fold(text: str) -> str:
    """The form aliases, keywords and phrases are compared in: accents dropped and case folded
    ("Geschäftsführer" is "geschaftsfuhrer"), and every other character but + and # (C++, C#)
    a word break, so "Founder&CEO", "Data-Scientist" and "Dev/Ops" are separate words."""
    text = text.casefold()
    if not text.isascii():  # most input is ASCII: skip the decomposition
        decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORDS.sub(" ", text).strip()


def parse_rulebook(document: str) -> Rulebook:
    """Parse and validate a TOML rulebook document (raises ``pydantic.ValidationError``)."""
    return Rulebook.model_validate(tomllib.loads(document))


@cache
def load_rulebook() -> Rulebook:
    """The packaged rulebook, parsed and validated once per process."""
    return parse_rulebook(_PACKAGED.read_text(encoding="utf-8"))
