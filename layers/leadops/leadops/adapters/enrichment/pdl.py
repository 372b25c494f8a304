"""People Data Labs (docs.peopledatalabs.com; its OpenAPI document
github.com/peopledatalabs/openAPI-specifications), the key in the ``X-Api-Key`` header:

- ``GET https://api.peopledatalabs.com/v5/person/enrich?email=`` -> ``{"status": 200,
  "likelihood": n, "data": {person}}``; 404 "No records were found matching your request";
- ``GET https://api.peopledatalabs.com/v5/company/enrich?website=`` -> the company record at the
  top level (``status``, ``likelihood`` beside its fields); 404 likewise.
402 ("You have reached your account maximum") and 429 are failures, retried later.
"""

from __future__ import annotations

from collections.abc import Callable

from leadops.adapters.enrichment.base import ProviderHttp, base_url
from leadops.enrichment_mapping import pdl_company, pdl_person
from leadops.ports import EnrichmentQuery, ProviderAnswer

HOST = "https://api.peopledatalabs.com"


class PeopleDataLabs:
    name = "pdl"

    def __init__(
        self, key: Callable[[], str], timeout_s: float, retries: int, base: str | None = None
    ) -> None:
        self._http = ProviderHttp(key, lambda k: {"X-Api-Key": k}, timeout_s, retries)
        root = base_url(base, HOST) + "/v5"
        self._person = root + "/person/enrich"
        self._company = root + "/company/enrich"

    def lookup(self, query: EnrichmentQuery, deadline: float) -> ProviderAnswer:
        company = person = None
        if query.email:
            answer = self._http.get(self._person, {"email": query.email}, deadline)
            company, person = pdl_person(answer)
        if query.domain:
            answer = self._http.get(self._company, {"website": query.domain}, deadline)
            company = pdl_company(answer) or company
        return ProviderAnswer(company if query.domain else None, person)
