"""ICP score (max 24, tier high at >= 12), table-driven from seed 002 "ICP scoring"."""

import pytest

from leadops.normalise import EmailKind, NormalisedLead
from leadops.rulebook import Rulebook
from leadops.scoring import ScoreItem, Scorer
from tests.helpers import item_of

# 0-14 / 15-500 / 500-1,000 / 1,000+; each band starts at its lower edge: 500 is "500-1,000",
# 1,000 is "1,000+".
EMPLOYEES = [
    (0, 0, "0-14"),
    (14, 0, "0-14"),
    (15, 6, "15-500"),
    (499, 6, "15-500"),
    (500, 3, "500-1,000"),
    (999, 3, "500-1,000"),
    (1000, 0, "1,000+"),
    (1001, 0, "1,000+"),
]

# $1M-$50M = 6, $50M-$100M = 3; anything else scores nothing. $50M starts the second band; $100M,
# an edge no band starts, stays in the band it closes.
REVENUE = [
    (999_999, 0, None),
    (1_000_000, 6, "$1M-$50M"),
    (49_999_999, 6, "$1M-$50M"),
    (50_000_000, 3, "$50M-$100M"),
    (100_000_000, 3, "$50M-$100M"),
    (100_000_001, 0, None),
]

# (role, has GitHub id, points): Leadership scores 6 as in the table (DESIGN.md).
ROLES = [
    ("engineering", False, 6),
    ("leadership", False, 6),
    ("product", True, 6),
    ("product", False, 3),
    ("marketing", False, 0),
    ("other", True, 0),
]

FOUNDED = [(2014, 0), (2015, 3), (2018, 3), (2022, 3), (2023, 0)]

# The seed's 28 countries, as written there.
ICP_COUNTRIES = [
    "Australia",
    "Austria",
    "Belgium",
    "Brazil",
    "Canada",
    "Denmark",
    "Estonia",
    "Finland",
    "France",
    "Germany",
    "Iceland",
    "Ireland",
    "Israel",
    "Italy",
    "Japan",
    "Latvia",
    "Lithuania",
    "Netherlands",
    "New Zealand",
    "Norway",
    "Portugal",
    "Singapore",
    "South Korea",
    "Spain",
    "Sweden",
    "Switzerland",
    "UK",
    "US",
]
OUTSIDE = ["Poland", "India", "Georgia", "Guernsey", "Nigeria", "China"]


def _item(scorer: Scorer, metric: str, **lead: object) -> ScoreItem:
    return item_of(scorer.icp_score(NormalisedLead(**lead)), metric)  # type: ignore[arg-type]


@pytest.mark.parametrize(("employees", "points", "band"), EMPLOYEES)
def test_employee_bands(scorer: Scorer, employees: int, points: int, band: str) -> None:
    item = _item(scorer, "employees", employees=employees)
    assert (item.points, item.band) == (points, band)


@pytest.mark.parametrize(("revenue", "points", "band"), REVENUE)
def test_revenue_bands(scorer: Scorer, revenue: float, points: int, band: str | None) -> None:
    item = _item(scorer, "revenue", annual_revenue=revenue)
    assert (item.points, item.band) == (points, band)


@pytest.mark.parametrize(("role", "github", "points"), ROLES)
def test_role_points(scorer: Scorer, role: str, github: bool, points: int) -> None:
    assert _item(scorer, "role", role=role, has_github=github).points == points


@pytest.mark.parametrize(("company_type", "points"), [("private", 3), ("public", 0)])
def test_company_type(scorer: Scorer, company_type: str, points: int) -> None:
    assert _item(scorer, "company_type", company_type=company_type).points == points


@pytest.mark.parametrize(("year", "points"), FOUNDED)
def test_founded_year(scorer: Scorer, year: int, points: int) -> None:
    assert _item(scorer, "founded_year", founded_year=year).points == points


@pytest.mark.parametrize("country", ICP_COUNTRIES)
def test_icp_countries_have_no_penalty(scorer: Scorer, country: str) -> None:
    code = scorer.normaliser.country(country)
    assert _item(scorer, "country", country=code).points == 0


@pytest.mark.parametrize("country", OUTSIDE)
def test_other_countries_lose_5(scorer: Scorer, country: str) -> None:
    code = scorer.normaliser.country(country)
    assert _item(scorer, "country", country=code).points == -5


def test_country_list_is_exactly_the_seed_28(scorer: Scorer, rulebook: Rulebook) -> None:
    expected = {scorer.normaliser.country(name) for name in ICP_COUNTRIES}
    assert rulebook.icp_score.country.countries == expected
    assert len(expected) == 28


@pytest.mark.parametrize(
    ("kind", "points"),
    [(EmailKind.WORK, 0), (EmailKind.FREE_MAIL, -10), (EmailKind.DISPOSABLE, -10)],
)
def test_non_work_email_loses_10(scorer: Scorer, kind: EmailKind, points: int) -> None:
    assert _item(scorer, "email", email_kind=kind).points == points


@pytest.mark.parametrize(
    "metric", ["employees", "revenue", "role", "company_type", "founded_year", "country", "email"]
)
def test_unknown_values_score_zero_and_say_unknown(scorer: Scorer, metric: str) -> None:
    item = _item(scorer, metric)
    assert (item.value, item.points) == ("unknown", 0)


def test_a_perfect_lead_scores_24_and_is_high(scorer: Scorer) -> None:
    card = scorer.icp_score(
        NormalisedLead(
            employees=100,
            annual_revenue=5e6,
            role="engineering",
            company_type="private",
            founded_year=2019,
            country="DE",
            email_kind=EmailKind.WORK,
        )
    )
    assert (card.total, card.max, card.tier) == (24, 24, "high")


@pytest.mark.parametrize(
    ("lead", "total", "tier"),
    [
        # 6 employees + 6 role = 12: exactly on the dividing line is High.
        (NormalisedLead(employees=100, role="engineering", country="US"), 12, "high"),
        # 6 + 3 (product without a GitHub id) + 3 (private) = 12.
        (NormalisedLead(employees=100, role="product", company_type="private"), 12, "high"),
        (NormalisedLead(employees=100, role="product", founded_year=2010), 9, "low"),
        # Everything good but a free-mail address and a country outside the list.
        (
            NormalisedLead(
                employees=100,
                annual_revenue=5e6,
                role="engineering",
                country="IN",
                email_kind=EmailKind.FREE_MAIL,
            ),
            3,
            "low",
        ),
    ],
)
def test_tier_cut_at_12(scorer: Scorer, lead: NormalisedLead, total: int, tier: str) -> None:
    card = scorer.icp_score(lead)
    assert (card.total, card.tier) == (total, tier)
