"""Lead score (max 70), table-driven from seed 000 "Lead scoring": every band, edge and tier."""

import pytest

from leadops.models import LeadInput
from leadops.normalise import NormalisedLead
from leadops.rulebook import Rulebook
from leadops.scoring import ScoreItem, Scorer
from tests.helpers import item_of

# (employees, points, band) - seed rows 1-10 / 11-1000 / 1000+; each band starts at its lower
# edge, so 1,000 is "1000+" (issue 16: it was "11-1000" here but "1000+" for NB-4's Big Fish).
EMPLOYEES = [
    (1, 0, "1-10"),
    (10, 0, "1-10"),
    (11, 10, "11-1000"),
    (500, 10, "11-1000"),
    (999, 10, "11-1000"),
    (1000, 20, "1000+"),
    (1001, 20, "1000+"),
    (250_000, 20, "1000+"),
    (0, 0, None),
]

# (annual revenue USD, points, band) - $0m-$1m / $1m-$10m / $10m-$100m / $100m+; each band holds
# its lower edge: $1M is "$1m-$10m", $10M "$10m-$100m", $100M "$100m+".
REVENUE = [
    (0, 0, "$0m-$1m"),
    (999_999, 0, "$0m-$1m"),
    (1_000_000, 5, "$1m-$10m"),
    (9_999_999, 5, "$1m-$10m"),
    (10_000_000, 10, "$10m-$100m"),
    (99_999_999, 10, "$10m-$100m"),
    (100_000_000, 20, "$100m+"),
    (5_000_000_000, 20, "$100m+"),
]

ROLES = [("engineering", 10), ("product", 10), ("leadership", 10), ("marketing", 5), ("other", 0)]

SUB_ROLES = [
    ("data_science_engineer", 10),
    ("project_engineer", 10),
    ("software_engineer", 10),
    ("web_engineer", 10),
    ("founder_ceo", 10),
    ("other", 0),
]

# The seed's country names exactly as written, through the normaliser.
COUNTRY_10 = ["Austria", "Canada", "France", "Germany", "Japan", "Norway", "Sweden", "UK", "USA"]
COUNTRY_5 = [
    "Australia",
    "Belgium",
    "Estonia",
    "Finland",
    "Georgia",
    "Guernsey",
    "Netherlands",
    "New Zealand",
    "Poland",
    "Portugal",
    "Singapore",
]
COUNTRY_0 = ["Brazil", "India", "Ireland", "Spain", "South Korea", "Nigeria"]


def _item(scorer: Scorer, metric: str, **lead: object) -> ScoreItem:
    return item_of(scorer.lead_score(NormalisedLead(**lead)), metric)  # type: ignore[arg-type]


@pytest.mark.parametrize(("employees", "points", "band"), EMPLOYEES)
def test_employee_bands(scorer: Scorer, employees: int, points: int, band: str | None) -> None:
    item = _item(scorer, "employees", employees=employees)
    assert (item.value, item.points, item.band) == (employees, points, band)


@pytest.mark.parametrize(("revenue", "points", "band"), REVENUE)
def test_revenue_bands(scorer: Scorer, revenue: float, points: int, band: str) -> None:
    item = _item(scorer, "revenue", annual_revenue=revenue)
    assert (item.points, item.band) == (points, band)


@pytest.mark.parametrize(("role", "points"), ROLES)
def test_role_points(scorer: Scorer, role: str, points: int) -> None:
    assert _item(scorer, "role", role=role).points == points


@pytest.mark.parametrize(("sub_role", "points"), SUB_ROLES)
def test_sub_role_points(scorer: Scorer, sub_role: str, points: int) -> None:
    assert _item(scorer, "sub_role", sub_role=sub_role).points == points


@pytest.mark.parametrize(
    ("country", "points"),
    [(c, 10) for c in COUNTRY_10] + [(c, 5) for c in COUNTRY_5] + [(c, 0) for c in COUNTRY_0],
)
def test_country_tiers(scorer: Scorer, country: str, points: int) -> None:
    code = scorer.normaliser.country(country)
    assert code is not None
    assert _item(scorer, "country", country=code).points == points


def test_tier_lists_are_exactly_the_seed_lists(scorer: Scorer, rulebook: Rulebook) -> None:
    tiers = [tier.countries for tier in rulebook.lead_score.country.tiers]
    assert tiers == [
        {scorer.normaliser.country(name) for name in COUNTRY_10},
        {scorer.normaliser.country(name) for name in COUNTRY_5},
    ]


@pytest.mark.parametrize("metric", ["employees", "revenue", "role", "sub_role", "country"])
def test_unknown_values_score_zero_and_say_unknown(scorer: Scorer, metric: str) -> None:
    item = _item(scorer, metric)
    assert (item.value, item.points, item.band) == ("unknown", 0, None)


def test_a_perfect_lead_scores_the_maximum_of_70(scorer: Scorer) -> None:
    card = scorer.lead_score(
        NormalisedLead(
            employees=5000,
            annual_revenue=2e8,
            role="engineering",
            sub_role="software_engineer",
            country="US",
        )
    )
    assert (card.total, card.max) == (70, 70)
    assert [item.metric for item in card.items] == [
        "employees",
        "revenue",
        "role",
        "sub_role",
        "country",
    ]


def test_total_is_the_sum_of_the_items(scorer: Scorer) -> None:
    card = scorer.lead_score(
        NormalisedLead(employees=50, annual_revenue=2e6, role="marketing", country="PL")
    )
    assert card.total == 10 + 5 + 5 + 0 + 5 == sum(item.points for item in card.items)


# Issue 16, item 4: every band starts at its lower edge, for an exact figure or a vendor's range,
# in the lead score and the ICP score alike. (company, lead-score band, ICP band)
EDGES = [
    ({"employees": 1000}, ("employees", "1000+"), ("employees", "1,000+")),
    ({"employees_range": "1000+"}, ("employees", "1000+"), ("employees", "1,000+")),
    ({"employees": 500}, ("employees", "11-1000"), ("employees", "500-1,000")),
    ({"annual_revenue": 1e6}, ("revenue", "$1m-$10m"), ("revenue", "$1M-$50M")),
    ({"annual_revenue": 10e6}, ("revenue", "$10m-$100m"), ("revenue", "$1M-$50M")),
    ({"annual_revenue": 50e6}, ("revenue", "$10m-$100m"), ("revenue", "$50M-$100M")),
    ({"annual_revenue": 100e6}, ("revenue", "$100m+"), ("revenue", "$50M-$100M")),
    ({"revenue_range": "$100M+"}, ("revenue", "$100m+"), ("revenue", "$50M-$100M")),
]


@pytest.mark.parametrize(("company", "lead_band", "icp_band"), EDGES)
def test_a_value_on_a_shared_edge_belongs_to_the_band_it_starts(
    scorer: Scorer,
    company: dict[str, object],
    lead_band: tuple[str, str],
    icp_band: tuple[str, str],
) -> None:
    scores = scorer.score(LeadInput.model_validate({"email": "a@acme.io", "company": company}))
    assert item_of(scores.lead_score, lead_band[0]).band == lead_band[1]
    assert item_of(scores.icp_score, icp_band[0]).band == icp_band[1]
