"""Lead score (max 70, handbook "Lead scoring") and ICP score (max 24, handbook "ICP scoring").

Pure functions of a ``NormalisedLead`` and the rulebook. A ``Scorer`` compiles one rulebook
into lookup tables once; each score is then a handful of dictionary look-ups. Items are shared,
immutable tuples (memoised per value), so scoring a lead allocates little more than its two
``ScoreCard`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from leadops.models import LeadInput
from leadops.normalise import EmailKind, NormalisedLead, Normaliser
from leadops.rulebook import Bands, Rulebook

UNKNOWN = "unknown"


class ScoreItem(NamedTuple):
    """One metric of a score: what was seen ("unknown" when missing), its band, its points."""

    metric: str
    value: str | int | float
    band: str | None
    points: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "value": self.value,
            "band": self.band,
            "points": self.points,
        }


@dataclass(frozen=True, slots=True)
class ScoreCard:
    total: int
    max: int
    items: tuple[ScoreItem, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "max": self.max, "items": [i.as_dict() for i in self.items]}


@dataclass(frozen=True, slots=True)
class IcpScoreCard(ScoreCard):
    tier: str

    def as_dict(self) -> dict[str, Any]:
        return {**ScoreCard.as_dict(self), "tier": self.tier}


_CACHE_LIMIT = 4096
_new_item = tuple.__new__  # ScoreItem without the Python-level __new__: this is the hot path


class _BandMetric:
    """A banded metric: value -> item, memoised (vendors send the same few values again)."""

    __slots__ = ("_bands", "_cache", "_metric", "_unknown")

    def __init__(self, metric: str, bands: Bands) -> None:
        self._metric = metric
        # (min, upper bound, upper bound inclusive?, label, points): shared edges already resolved.
        self._bands = tuple(
            (low, high, inclusive, band.label, band.points)
            for low, high, inclusive, band in bands.intervals()
        )
        self._unknown = ScoreItem(metric, UNKNOWN, None, 0)
        self._cache: dict[float, ScoreItem] = {}

    def item(self, value: float | None) -> ScoreItem:
        if value is None:
            return self._unknown
        item = self._cache.get(value)
        if item is None:
            label, points = None, 0
            for low, high, inclusive, band_label, band_points in self._bands:
                if low <= value and (value <= high if inclusive else value < high):
                    label, points = band_label, band_points
                    break
            item = _new_item(ScoreItem, (self._metric, value, label, points))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[value] = item
        return item


class _TableMetric:
    """An identifier metric (role, country, company type): every item precomputed."""

    __slots__ = ("_default", "_default_band", "_items", "_metric", "_unknown")

    def __init__(
        self,
        metric: str,
        points: dict[str, tuple[str | None, int]],
        default: int = 0,
        default_band: str | None = None,
    ) -> None:
        self._metric = metric
        self._items = {
            key: ScoreItem(metric, key, band, pts) for key, (band, pts) in points.items()
        }
        self._unknown = ScoreItem(metric, UNKNOWN, None, 0)
        self._default = default
        self._default_band = default_band

    def item(self, value: str | None) -> ScoreItem:
        if value is None:
            return self._unknown
        item = self._items.get(value)
        if item is None:
            item = ScoreItem(self._metric, value, self._default_band, self._default)
            if len(self._items) < _CACHE_LIMIT:
                self._items[value] = item
        return item


def _table(points: dict[str, int]) -> dict[str, tuple[str | None, int]]:
    return {key: (None, pts) for key, pts in points.items()}


@dataclass(frozen=True, slots=True)
class LeadScores:
    """Both scores of one lead, and the rulebook version that made them."""

    lead_score: ScoreCard
    icp_score: IcpScoreCard
    rulebook_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_score": self.lead_score.as_dict(),
            "icp_score": self.icp_score.as_dict(),
            "rulebook_version": self.rulebook_version,
        }


class Scorer:
    """Normalises and scores leads under one rulebook (build once per rulebook, reuse)."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook_version = rulebook.version
        self.normaliser = Normaliser(rulebook)
        lead, icp = rulebook.lead_score, rulebook.icp_score
        self.lead_max, self.icp_max, self.icp_high_min = lead.max, icp.max, icp.high_tier_min
        self._lead_employees = _BandMetric("employees", lead.employees)
        self._lead_revenue = _BandMetric("revenue", lead.revenue)
        self._lead_role = _TableMetric("role", _table(lead.role.points))
        self._lead_sub_role = _TableMetric("sub_role", _table(lead.sub_role.points))
        self._lead_country = _TableMetric(
            "country",
            {c: (tier.label, tier.points) for tier in lead.country.tiers for c in tier.countries},
            default=lead.country.other_points,
            default_band="other",
        )
        self._icp_employees = _BandMetric("employees", icp.employees)
        self._icp_revenue = _BandMetric("revenue", icp.revenue)
        self._icp_role = _TableMetric("role", _table(icp.role.points))
        self._icp_product_github = ScoreItem(
            "role", "product", "with GitHub", icp.role.product_with_github_points
        )
        self._icp_company_type = _TableMetric("company_type", _table(icp.company_type.points))
        self._icp_founded = _BandMetric("founded_year", icp.founded_year)
        self._icp_country = _TableMetric(
            "country",
            dict.fromkeys(icp.country.countries, ("ICP country", 0)),
            default=icp.country.outside_points,
            default_band="not an ICP country",
        )
        non_work = icp.email.non_work_points
        self._icp_email = {
            None: ScoreItem("email", UNKNOWN, None, 0),
            EmailKind.WORK: ScoreItem("email", EmailKind.WORK.value, "work", 0),
            EmailKind.FREE_MAIL: ScoreItem(
                "email", EmailKind.FREE_MAIL.value, "non-work", non_work
            ),
            EmailKind.DISPOSABLE: ScoreItem(
                "email", EmailKind.DISPOSABLE.value, "non-work", non_work
            ),
        }

    def score(self, lead: LeadInput) -> LeadScores:
        """Normalise raw input, then compute both scores."""
        return self.score_normalised(self.normaliser.lead(lead))

    def score_normalised(self, lead: NormalisedLead) -> LeadScores:
        return LeadScores(self.lead_score(lead), self.icp_score(lead), self.rulebook_version)

    def lead_score(self, lead: NormalisedLead) -> ScoreCard:
        items = (
            self._lead_employees.item(lead.employees),
            self._lead_revenue.item(lead.annual_revenue),
            self._lead_role.item(lead.role),
            self._lead_sub_role.item(lead.sub_role),
            self._lead_country.item(lead.country),
        )
        total = items[0][3] + items[1][3] + items[2][3] + items[3][3] + items[4][3]
        return ScoreCard(total, self.lead_max, items)

    def icp_score(self, lead: NormalisedLead) -> IcpScoreCard:
        if lead.role == "product" and lead.has_github:
            role = self._icp_product_github
        else:
            role = self._icp_role.item(lead.role)
        items = (
            self._icp_employees.item(lead.employees),
            self._icp_revenue.item(lead.annual_revenue),
            role,
            self._icp_company_type.item(lead.company_type),
            self._icp_founded.item(lead.founded_year),
            self._icp_country.item(lead.country),
            self._icp_email[lead.email_kind],
        )
        total = (
            items[0][3] + items[1][3] + items[2][3] + items[3][3] + items[4][3] + items[5][3]
        ) + items[6][3]
        tier = "high" if total >= self.icp_high_min else "low"
        return IcpScoreCard(total, self.icp_max, items, tier)
