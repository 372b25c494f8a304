"""Apollo's API (docs.apollo.io): People Enrichment and Organization Enrichment, the key in the
``x-api-key`` header.

- ``POST https://api.apollo.io/api/v1/people/match?email=`` -> ``{"person": {..., "organization":
  {...}}}`` (``person`` null when nobody matches);
- ``GET https://api.apollo.io/api/v1/organizations/enrich?domain=`` -> ``{"organization": {...}}``.
Both consume credits (Apollo's "API Pricing" page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadops.adapters.enrichment.base import ProviderHttp, base_url
from leadops.enrichment_mapping import apollo_organization, apollo_person
from leadops.ports import EnrichmentQuery, ProviderAnswer

HOST = "https://api.apollo.io"


class Apollo:
    name = "apollo"

    def __init__(
        self, key: Callable[[], str], timeout_s: float, retries: int, base: str | None = None
    ) -> None:
        headers = {"Cache-Control": "no-cache"}
        self._http = ProviderHttp(key, lambda k: {**headers, "x-api-key": k}, timeout_s, retries)
        root = base_url(base, HOST) + "/api/v1"
        self._match = root + "/people/match"
        self._organization = root + "/organizations/enrich"

    def lookup(self, query: EnrichmentQuery, deadline: float) -> ProviderAnswer:
        person: dict[str, Any] | None = None
        organization: Any = None
        if query.email:
            answer = self._http.post(self._match, {"email": query.email}, deadline) or {}
            person = answer.get("person") if isinstance(answer.get("person"), dict) else None
            organization = (person or {}).get("organization")
        if query.domain and not isinstance(organization, dict):
            found = self._http.get(self._organization, {"domain": query.domain}, deadline)
            organization = (found or {}).get("organization")
        company = apollo_organization(organization) if query.domain else None
        return ProviderAnswer(company, apollo_person(person) if query.email else None)
