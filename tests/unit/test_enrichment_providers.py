"""The three provider adapters against stand-ins on 127.0.0.1 that check the documented request
exactly (path, query, auth header), and the mapping of each documented answer onto the form's
fields. The canned answers (events/enrichment/...) follow each provider's documented example."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from leadops.adapters.enrichment import build_providers, provider_names
from leadops.adapters.enrichment.apollo import Apollo
from leadops.adapters.enrichment.clearbit import Clearbit
from leadops.adapters.enrichment.pdl import PeopleDataLabs
from leadops.enrichment import clean_company, clean_person
from leadops.enrichment_mapping import apollo_person, clearbit_company
from leadops.ports import EnrichmentQuery, EnrichmentUnavailable
from leadops_local import enrichment_stub
from tests.helpers import ROOT

CANNED = ROOT / "events" / "enrichment"
SUB_ROLES = (
    "software_engineer",
    "data_science_engineer",
    "web_engineer",
    "project_engineer",
    "founder_ceo",
    "other",
)


def _canned(path: str) -> dict[str, Any]:
    return json.loads((CANNED / path).read_text())


def _deadline() -> float:
    return time.monotonic() + 2


def _base(server: HTTPServer) -> str:
    return server.url_for("").rstrip("/")


def test_clearbit_company_by_domain(httpserver: HTTPServer) -> None:
    """Clearbit Company API (clearbit.com/docs "Company API"; "Authorization: Bearer {key}" is
    its documented alternative to basic auth)::

        GET https://company.clearbit.com/v2/companies/find?domain=stripe.com
        -> {"name", "category": {"sector", "industryGroup", "industry", "subIndustry"}, "tags",
            "type", "foundedYear", "geo": {"countryCode"}, "metrics": {"employees",
            "employeesRange", "annualRevenue", "estimatedAnnualRevenue"}}
    """
    httpserver.expect_request(
        "/v2/companies/find",
        method="GET",
        query_string={"domain": "paylode.com"},
        headers={"Authorization": "Bearer k1"},
    ).respond_with_json(_canned("clearbit/companies/paylode.com.json"))
    clearbit = Clearbit(lambda: "k1", 1.0, 0, _base(httpserver))
    answer = clearbit.lookup(EnrichmentQuery("paylode.com"), _deadline())
    assert answer.person is None
    assert clean_company(answer.company or {}) == {
        "name": "Paylode",
        "employees": 2400,
        "employees_range": "1K-5K",
        "revenue_range": "$100M-$250M",
        "type": "private",
        "founded_year": 2012,
        "country": "US",
        "industry": "Diversified Financial Services; Payments; Financials; Technology; Finance; "
        "Fintech; B2B; SAAS",
    }


def test_clearbit_person_and_company_by_email_with_an_unlisted_sub_role(
    httpserver: HTTPServer,
) -> None:
    """Clearbit Combined API (clearbit.com/docs "Combined API"; the streaming host
    person-stream.clearbit.com holds the request instead of answering 202)::

        GET https://person-stream.clearbit.com/v2/combined/find?email=alex@clearbit.com
        -> {"person": {"employment": {"title", "role", "subRole", "seniority"},
                       "github": {"handle"}, ...},
            "company": {... as the Company API ...} or null}
    A null company is looked up by domain.
    """
    httpserver.expect_request(
        "/v2/combined/find",
        query_string={"email": "lin.wei@paylode.com"},
        headers={"Authorization": "Bearer k1"},
    ).respond_with_json(_canned("clearbit/combined/lin.wei@paylode.com.json"))
    httpserver.expect_request(
        "/v2/companies/find", query_string={"domain": "paylode.com"}
    ).respond_with_json(_canned("clearbit/companies/paylode.com.json"))
    clearbit = Clearbit(lambda: "k1", 1.0, 0, _base(httpserver))
    answer = clearbit.lookup(EnrichmentQuery("paylode.com", "lin.wei@paylode.com"), _deadline())
    assert (answer.company or {})["employees"] == 2400
    # devops_engineer is Clearbit's, not the seed's: used as given, scored as "other".
    assert clean_person(answer.person or {}, SUB_ROLES) == {
        "job_title": "Staff Site Reliability Engineer",
        "role": "engineering",
        "sub_role": "other",
        "github": "linwei",
    }


def test_apollo_person_match_and_organization_enrich(httpserver: HTTPServer) -> None:
    """Apollo (docs.apollo.io "Enrich People Data", "API Pricing"; header ``x-api-key``)::

    POST https://api.apollo.io/api/v1/people/match?email=...   (parameters in the query)
    -> {"person": {"title", "seniority", "departments", "github_url",
                   "organization": {...} or null}}
    GET https://api.apollo.io/api/v1/organizations/enrich?domain=apollo.io
    -> {"organization": {"name", "estimated_num_employees", "annual_revenue", "industry",
                         "industries", "keywords", "founded_year", "country", ...}}
    """
    httpserver.expect_request(
        "/api/v1/people/match",
        method="POST",
        query_string={"email": "lin.wei@paylode.com"},
        headers={"x-api-key": "k2", "Cache-Control": "no-cache"},
    ).respond_with_json(_canned("apollo/people/lin.wei@paylode.com.json"))
    httpserver.expect_request(
        "/api/v1/organizations/enrich",
        method="GET",
        query_string={"domain": "paylode.com"},
        headers={"x-api-key": "k2"},
    ).respond_with_json(_canned("apollo/organizations/paylode.com.json"))
    apollo = Apollo(lambda: "k2", 1.0, 0, _base(httpserver))
    answer = apollo.lookup(EnrichmentQuery("paylode.com", "lin.wei@paylode.com"), _deadline())
    assert clean_company(answer.company or {}) == {
        "name": "Paylode",
        "employees": 2400,
        "annual_revenue": 175000000,
        "industry": "financial services; payments; fintech; online payments; saas",
        "founded_year": 2012,
        "country": "United States",
    }
    assert answer.person == {
        "job_title": "Staff Site Reliability Engineer",
        "role": "engineering",
        "github": "linwei",
    }


def test_pdl_person_and_company_enrich(httpserver: HTTPServer) -> None:
    """People Data Labs (github.com/peopledatalabs/openAPI-specifications, pdl-specs.json:
    security scheme ``X-API-Key`` in the header)::

        GET https://api.peopledatalabs.com/v5/person/enrich?email=...
        -> {"status": 200, "likelihood", "data": {"job_title", "job_title_role",
            "job_title_levels", "github_username", "job_company_size", ...}}; 404 no match
        GET https://api.peopledatalabs.com/v5/company/enrich?website=...
        -> {"status": 200, "name", "display_name", "size", "employee_count",
            "inferred_revenue", "industry", "tags", "type", "founded", "location": {...}}
    """
    httpserver.expect_request(
        "/v5/person/enrich",
        method="GET",
        query_string={"email": "lin.wei@paylode.com"},
        headers={"X-Api-Key": "k3"},
    ).respond_with_json(_canned("pdl/people/lin.wei@paylode.com.json"))
    httpserver.expect_request(
        "/v5/company/enrich",
        method="GET",
        query_string={"website": "paylode.com"},
        headers={"X-Api-Key": "k3"},
    ).respond_with_json(_canned("pdl/companies/paylode.com.json"))
    pdl = PeopleDataLabs(lambda: "k3", 1.0, 0, _base(httpserver))
    answer = pdl.lookup(EnrichmentQuery("paylode.com", "lin.wei@paylode.com"), _deadline())
    company = clean_company(answer.company or {})
    assert (company["employees"], company["employees_range"]) == (2400, "1001-5000")
    assert company["revenue_range"] == "$100M-$250M"
    assert company["country"] == "united states"
    assert answer.person == {
        "job_title": "staff site reliability engineer",
        "role": "engineering",
        "github": "linwei",
    }


@pytest.mark.parametrize("status", [404, 422])
def test_not_found_is_an_answer_not_a_failure(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/v5/company/enrich").respond_with_json({}, status=status)
    pdl = PeopleDataLabs(lambda: "k", 1.0, 0, _base(httpserver))
    assert pdl.lookup(EnrichmentQuery("nobody.io"), _deadline()).company is None


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (429, "{}", "HTTP 429"),
        (500, "x", "HTTP 500"),
        (402, "{}", "HTTP 402"),
        (202, "{}", "HTTP 202"),
        (200, "<html>", "not JSON"),
        (200, "[1]", "not a JSON object"),
    ],
)
def test_failures_are_unavailable_and_name_no_lookup(
    httpserver: HTTPServer, status: int, body: str, error: str
) -> None:
    httpserver.expect_request("/v2/companies/find").respond_with_data(body, status=status)
    clearbit = Clearbit(lambda: "k", 1.0, 0, _base(httpserver))
    with pytest.raises(EnrichmentUnavailable) as raised:
        clearbit.lookup(EnrichmentQuery("secret-domain.io"), _deadline())
    assert str(raised.value) == error
    assert "secret-domain" not in str(raised.value)


def test_a_provider_that_is_down_or_past_the_deadline_is_unavailable() -> None:
    clearbit = Clearbit(lambda: "k", 1.0, 0, "http://127.0.0.1:9")
    with pytest.raises(EnrichmentUnavailable):
        clearbit.lookup(EnrichmentQuery("a.io"), _deadline())
    with pytest.raises(EnrichmentUnavailable, match="no time left"):
        clearbit.lookup(EnrichmentQuery("a.io"), time.monotonic())


def test_provider_order_and_unknown_names() -> None:
    assert provider_names(" pdl, Clearbit ") == ["pdl", "clearbit"]
    assert [p.name for p in build_providers("apollo,pdl", None, 1.0, 0)] == ["apollo", "pdl"]
    with pytest.raises(ValueError, match="unknown enrichment provider"):
        provider_names("clearbit,zoominfo")
    (clearbit,) = build_providers("clearbit", None, 1.0, 0, "http://127.0.0.1:9")
    with pytest.raises(EnrichmentUnavailable, match="no API key for clearbit"):
        clearbit.lookup(EnrichmentQuery("a.io"), _deadline())


def test_mappings_leave_out_what_the_answer_lacks_or_the_form_would_refuse() -> None:
    assert clearbit_company(None) is None
    mapped = clearbit_company(
        {
            "foundedYear": 0,
            "metrics": {"employeesRange": "lots"},
            "tags": ["x" * 300],
            "type": "private",
        }
    )
    assert clean_company(mapped or {}) == {"industry": "x" * 200, "type": "private"}
    assert apollo_person({"title": "CTO", "departments": ["c_suite"], "github_url": None}) == {
        "job_title": "CTO",
        "role": "leadership",
    }


def test_the_local_stand_in_serves_the_canned_answers_to_every_adapter() -> None:
    """``make run``'s stand-in (tools/leadops_local/enrichment_stub.py): the six documented
    lookups from events/enrichment/, 404 for an unknown record, 401 without the auth header."""
    url, server = enrichment_stub.start(CANNED)
    try:
        query = EnrichmentQuery("paylode.com", "lin.wei@paylode.com")
        for provider in (Clearbit, Apollo, PeopleDataLabs):
            answer = provider(lambda: "local", 1.0, 0, url).lookup(query, _deadline())
            assert (answer.company or {})["employees"] == 2400, provider
            assert (answer.person or {})["github"] == "linwei", provider
        unknown = Clearbit(lambda: "local", 1.0, 0, url).lookup(
            EnrichmentQuery("nobody.example"), _deadline()
        )
        assert unknown.company is None
    finally:
        server.shutdown()
    status, _ = enrichment_stub.answer(CANNED, "GET", "/v5/company/enrich?website=paylode.com", {})
    assert status == 401
