"""Clearbit's Enrichment API (clearbit.com/docs): the Combined API for a person and their
company by email, the Company API by domain; the key as a Bearer token.

- ``GET https://person-stream.clearbit.com/v2/combined/find?email=`` -> ``{"person": {...},
  "company": {...}}`` (either may be null). The streaming host holds the request open instead
  of answering 202 ("queued") the way ``person.clearbit.com`` does; the deadline still bounds it.
- ``GET https://company.clearbit.com/v2/companies/find?domain=`` -> the company; 404 unknown;
  202 queued (a lookup Clearbit has not finished: retried by the worker).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadops.adapters.enrichment.base import ProviderHttp, base_url
from leadops.enrichment_mapping import clearbit_company, clearbit_person
from leadops.ports import EnrichmentQuery, ProviderAnswer

PERSON_HOST = "https://person-stream.clearbit.com"
COMPANY_HOST = "https://company.clearbit.com"


class Clearbit:
    name = "clearbit"

    def __init__(
        self, key: Callable[[], str], timeout_s: float, retries: int, base: str | None = None
    ) -> None:
        self._http = ProviderHttp(
            key, lambda k: {"Authorization": f"Bearer {k}"}, timeout_s, retries
        )
        self._person = base_url(base, PERSON_HOST) + "/v2/combined/find"
        self._company = base_url(base, COMPANY_HOST) + "/v2/companies/find"

    def lookup(self, query: EnrichmentQuery, deadline: float) -> ProviderAnswer:
        if query.email:
            combined = self._http.get(self._person, {"email": query.email}, deadline) or {}
            company = clearbit_company(combined.get("company")) if query.domain else None
            if query.domain and company is None and combined.get("company") is None:
                return ProviderAnswer(
                    self._company_of(query.domain, deadline),
                    clearbit_person(combined.get("person")),
                )
            return ProviderAnswer(company, clearbit_person(combined.get("person")))
        if query.domain:
            return ProviderAnswer(self._company_of(query.domain, deadline), None)
        return ProviderAnswer(None, None)

    def _company_of(self, domain: str, deadline: float) -> dict[str, Any] | None:
        return clearbit_company(self._http.get(self._company, {"domain": domain}, deadline))
