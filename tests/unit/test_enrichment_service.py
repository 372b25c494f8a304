"""The enricher on in-memory fakes: provider order field by field, the cache, the budget, the
deadline, and precedence / provenance (form > account > enrichment, configurable)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadops.enrichment import ACCOUNT, Layer, form_layer, merge, with_sources
from leadops.models import FormSubmission
from leadops.ports import EnrichmentQuery, EnrichmentUnavailable, ProviderAnswer
from leadops.rulebook import EnrichmentRules
from leadops.rules import packaged_rules
from leadops.services.enrichment import Enricher, Wanted

RULES = EnrichmentRules()
NOW = datetime(2026, 12, 2, tzinfo=UTC)


class FakeProvider:
    def __init__(
        self, name: str, company: dict[str, Any] | None = None, fails: bool = False
    ) -> None:
        self.name, self.company, self.fails = name, company, fails
        self.calls: list[EnrichmentQuery] = []

    def lookup(self, query: EnrichmentQuery, deadline: float) -> ProviderAnswer:
        self.calls.append(query)
        if self.fails:
            raise EnrichmentUnavailable("HTTP 503")
        return ProviderAnswer(self.company, None)


class Budget:
    def __init__(self) -> None:
        self.used: dict[tuple[str, str], int] = {}

    def take(self, provider: str, month: str, limit: int) -> bool:
        used = self.used.get((provider, month), 0)
        if used >= limit:
            return False
        self.used[(provider, month)] = used + 1
        return True


def _enricher(*providers: FakeProvider, limit: int = 100) -> Enricher:
    return Enricher(list(providers), Budget(), limit, 1.5, lambda: NOW)


COMPANY = Wanted("paylode.com", None)


def test_the_first_provider_that_answers_a_value_wins_it_field_by_field() -> None:
    first = FakeProvider("clearbit", {"employees": 2400, "country": "US"})
    second = FakeProvider(
        "pdl",
        {
            "employees": 9,
            "revenue_range": "$100M-$250M",
            "industry": "payments",
            "type": "private",
            "founded_year": 2012,
            "name": "Paylode",
        },
    )
    found = _enricher(first, second).enrich(COMPANY, {}, RULES)
    assert found.status == "complete"
    assert found.company.fields["employees"] == 2400
    assert found.company.sources == {
        "employees": "clearbit",
        "country": "clearbit",
        "annual_revenue": "pdl",
        "industry": "pdl",
        "type": "pdl",
        "founded_year": "pdl",
        "name": "pdl",
    }
    assert [w.kind for w in found.writes] == ["company"]
    assert found.writes[0].expires_at - int(NOW.timestamp()) == 30 * 86400


def test_a_cache_hit_asks_nobody() -> None:
    provider = FakeProvider("clearbit", {"employees": 1})
    enricher = _enricher(provider)
    cached = {
        ("company", "paylode.com"): {
            "fields": {"employees": 5},
            "sources": {"employees": "clearbit"},
        }
    }
    found = enricher.enrich(COMPANY, cached, RULES)
    assert provider.calls == []
    assert found.writes == ()
    assert found.company.fields == {"employees": 5}
    assert found.providers == ("clearbit",)


def test_not_found_is_cached_for_less_time() -> None:
    found = _enricher(FakeProvider("clearbit", None)).enrich(COMPANY, {}, RULES)
    (entry,) = found.writes
    assert entry.document["found"] is False
    assert entry.expires_at - int(NOW.timestamp()) == 7 * 86400


def test_a_failure_before_any_answer_is_pending_and_caches_nothing() -> None:
    found = _enricher(FakeProvider("clearbit", fails=True)).enrich(COMPANY, {}, RULES)
    assert found.status == "pending"
    assert found.writes == ()
    assert any("enrichment pending: clearbit (HTTP 503)" in r for r in found.reasons)


def test_a_failing_first_provider_falls_through_to_the_next() -> None:
    found = _enricher(
        FakeProvider("apollo", fails=True), FakeProvider("pdl", {"employees": 3})
    ).enrich(COMPANY, {}, RULES)
    assert found.status == "complete"
    assert found.company.sources == {"employees": "pdl"}


def test_over_budget_is_skipped_with_a_reason() -> None:
    provider = FakeProvider("clearbit", {"employees": 3})
    enricher = _enricher(provider, limit=1)
    enricher.enrich(COMPANY, {}, RULES)
    found = enricher.enrich(Wanted("other.io", None), {}, RULES)
    assert len(provider.calls) == 1
    assert found.status == "skipped"
    assert "monthly budget of 1 calls is used up" in " ".join(found.reasons)


@pytest.mark.parametrize(
    ("lookup", "has_title", "person"),
    [
        ("without_title", True, None),
        ("without_title", False, "a@b.io"),
        ("always", True, "a@b.io"),
        ("never", False, None),
    ],
)
def test_person_lookups_follow_the_rulebook(
    lookup: str, has_title: bool, person: str | None
) -> None:
    rules = EnrichmentRules(person_lookup=lookup)  # type: ignore[arg-type]
    assert _enricher().wanted("b.io", "a@b.io", has_title, rules).email == person


def test_precedence_and_provenance() -> None:
    form = FormSubmission.model_validate(
        {
            "submission_id": "s",
            "email": "a@paylode.com",
            "job_title": "CTO",
            "company": {"employees": 40},
        }
    )
    account = Layer(ACCOUNT, {"employees": 900, "country": "GB", "type": "public"}, {})
    enriched = Layer(
        "enrichment",
        {"country": "US", "founded_year": 2012, "type": "private"},
        {"job_title": "Engineer", "github": "gh"},
        {
            "country": "clearbit",
            "founded_year": "clearbit",
            "type": "clearbit",
            "job_title": "clearbit",
            "github": "clearbit",
        },
    )
    layers = [form_layer(form), account, enriched]
    merged, sources = merge(form, layers, ("form", "account", "enrichment"))
    assert (merged.company.employees, merged.company.country, merged.company.type) == (
        40,
        "GB",
        "public",
    )
    assert (merged.job_title, merged.github, merged.company.founded_year) == ("CTO", "gh", 2012)
    assert sources == {
        "employees": "form",
        "country": "account",
        "type": "account",
        "founded_year": "clearbit",
        "job_title": "form",
        "github": "clearbit",
    }
    merged, sources = merge(form, layers, ("enrichment", "form", "account"))
    assert (merged.company.country, merged.job_title, sources["job_title"]) == (
        "US",
        "Engineer",
        "clearbit",
    )
    scorer = packaged_rules().scorer
    scores = with_sources(scorer.score(merged).as_dict(), sources)
    items = {i["metric"]: i["source"] for i in scores["lead_score"]["items"]}
    assert items == {
        "employees": "form",
        "revenue": None,
        "role": "clearbit",
        "sub_role": "clearbit",
        "country": "clearbit",
    }


def test_the_rulebook_refuses_a_precedence_that_drops_a_source() -> None:
    with pytest.raises(ValueError, match="each once"):
        EnrichmentRules(precedence=("form", "enrichment"))  # type: ignore[arg-type]
