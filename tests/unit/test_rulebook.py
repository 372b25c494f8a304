"""The rulebook is validated data: the packaged one loads, a broken one is refused whole."""

import copy
import tomllib
from pathlib import Path
from typing import Any

import pycountry
import pytest
from pydantic import ValidationError

import leadops
from leadops.rulebook import Band, Bands, Rulebook, load_rulebook, parse_rulebook

PACKAGED = Path(leadops.__file__).with_name("rulebook.toml")


@pytest.fixture
def document() -> dict[str, Any]:
    return tomllib.loads(PACKAGED.read_text(encoding="utf-8"))


def test_packaged_rulebook_loads_with_a_version(rulebook: Rulebook) -> None:
    assert rulebook.version
    assert (rulebook.lead_score.max, rulebook.icp_score.max) == (70, 24)
    assert rulebook.icp_score.high_tier_min == 12


def test_load_is_cached_per_process() -> None:
    assert load_rulebook() is load_rulebook()


def test_every_country_code_is_a_real_iso_code(rulebook: Rulebook) -> None:
    codes = set(rulebook.icp_score.country.countries) | set(
        rulebook.normalisation.country_aliases.values()
    )
    for tier in rulebook.lead_score.country.tiers:
        codes |= tier.countries
    assert all(pycountry.countries.get(alpha_2=code) for code in codes), codes


def _mutate(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    node = changed
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("lead_score.max", 71, "add up to 70"),
        ("icp_score.max", 20, "add up to 24"),
        ("icp_score.high_tier_min", 0, "high_tier_min"),
        ("lead_score.employees.bands.0.below", 5, "either max or below"),
        ("lead_score.employees.bands.1.max", 2, "upper bound is below min"),
        ("lead_score.employees.bands.1.max", 5000, "'11-1000' and '1000\\+' overlap"),
        ("icp_score.revenue.bands.0.max", 60_000_000, "overlap"),
        ("icp_score.country.countries", ["United Kingdom"], "pattern"),
        ("icp_score.country.outside_points", 5, "less than or equal to 0"),
        ("lead_score.role.points", {"engineering": 10}, "has no points"),
        ("version", "", "at least 1 character"),
        ("lead_score.surprise", 1, "Extra inputs are not permitted"),
    ],
)
def test_invalid_documents_are_refused_naming_the_problem(
    document: dict[str, Any], path: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Rulebook.model_validate(_mutate(document, path, value))


def test_a_country_in_two_lead_tiers_is_refused(document: dict[str, Any]) -> None:
    broken = _mutate(document, "lead_score.country.tiers.1.countries", ["GB", "AU"])
    with pytest.raises(ValidationError, match="more than one tier"):
        Rulebook.model_validate(broken)


def test_a_changed_point_value_is_picked_up_from_the_document() -> None:
    text = PACKAGED.read_text(encoding="utf-8").replace('version = "', 'version = "test-', 1)
    text = text.replace("marketing = 5", "marketing = 0")
    rulebook = parse_rulebook(text)
    assert rulebook.version.startswith("test-")
    assert rulebook.lead_score.role.points["marketing"] == 0


def _bands(*bands: Band) -> Bands:
    return Bands(bands=bands)


def test_a_shared_edge_belongs_to_the_band_that_starts_there_in_any_order() -> None:
    low = Band(label="low", min=0, max=10, points=1)
    high = Band(label="high", min=10, points=2)
    alone = Band(label="alone", min=20, max=30, points=3)
    for bands in (_bands(low, high), _bands(high, low)):
        assert [getattr(bands.find(v), "label", None) for v in (0, 9.99, 10, 11)] == [
            "low",
            "low",
            "high",
            "high",
        ]
    # An upper edge no other band starts stays inclusive.
    assert _bands(alone).find(30) == alone
    assert _bands(alone).find(30.01) is None
