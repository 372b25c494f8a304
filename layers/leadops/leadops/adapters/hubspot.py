"""HubSpot CRM v3: batch upserts of contacts (by email) and companies (by a unique property),
with a private app's access token (issue 14).

``POST /crm/v3/objects/{contacts|companies}/batch/upsert`` with ``Authorization: Bearer
<token>`` and ``{"inputs": [{"idProperty", "id", "properties"}]}``: "create or update records
identified by a unique property value"; 100 inputs a call at most. 200 (or 201) is every
input written; 207 (multi-status) is some refused, the refused ones named in ``errors[]``
(their ``context`` lists the ids), so only those fail. 429 (rate limit) and 5xx are retried
honouring Retry-After within the deadline (``vendor_http``), then the batch fails and waits in
the queue. Emails never reach logs or exception messages; HubSpot's ``category`` does.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from leadops.adapters import aws
from leadops.adapters.vendor_http import RETRYABLE_STATUSES, JsonPoster, VendorUnreachable
from leadops.crm_mapping import HubSpotMapping
from leadops.destinations import AccountFacts, LeadFacts
from leadops.errors import VendorError
from leadops.settings import HubSpotSyncSettings

BATCH_LIMIT = 100  # inputs per batch upsert
SECRET_MAX_AGE_S = 300
_CODE_MAX = 60


class HubSpotError(VendorError):
    """HubSpot did not take the batch."""


class HubSpotClient:
    def __init__(self, api_url: str, token: str, timeout_s: float = 10.0, retries: int = 3) -> None:
        self.api_url = api_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        # Safe to retry: an upsert by a unique property writes the same record again.
        self._poster = JsonPoster(timeout_s, retries, backoff_factor=0.5)

    def __repr__(self) -> str:  # never show the token
        return f"HubSpotClient({self.api_url!r})"

    def upsert(
        self, object_type: str, inputs: list[dict[str, Any]], deadline: float | None = None
    ) -> list[bool]:
        """Upsert ``inputs`` (at most 100); whether each was written, in order. Raises
        ``HubSpotError`` when the batch as a whole failed."""
        if len(inputs) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} inputs per batch upsert")
        url = f"{self.api_url}/crm/v3/objects/{object_type}/batch/upsert"
        try:
            status, data = self._poster.post(url, {"inputs": inputs}, self._headers, deadline)
        except VendorUnreachable as exc:
            raise HubSpotError(f"hubspot {exc}", None, True) from None
        if status in (200, 201):
            return [True] * len(inputs)
        answer = _json(data)
        if status == 207:
            refused = _refused_ids(answer)
            everything = not refused  # a multi-status naming no id: none is known written
            return [not everything and str(i["id"]).lower() not in refused for i in inputs]
        category = answer.get("category") if isinstance(answer, dict) else None
        code = category[:_CODE_MAX] if isinstance(category, str) else "no category"
        retryable = status in RETRYABLE_STATUSES
        raise HubSpotError(f"hubspot answered {status} ({code})", status, retryable)


def _json(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None


def _refused_ids(answer: Any) -> set[str]:
    """The ids a multi-status answer's errors name (``errors[].context`` lists of ids)."""
    errors = answer.get("errors") if isinstance(answer, dict) else None
    refused: set[str] = set()
    for error in errors if isinstance(errors, list) else []:
        context = error.get("context") if isinstance(error, dict) else None
        for values in context.values() if isinstance(context, dict) else []:
            if isinstance(values, list):
                refused.update(str(v).lower() for v in values)
    return refused


def hubspot_client(settings: HubSpotSyncSettings) -> HubSpotClient:
    """The client for the current token (the secret, re-read every 5 minutes)."""
    token = str(aws.secret(settings.hubspot_token_secret_arn, SECRET_MAX_AGE_S)).strip()
    if not token:
        raise ValueError("the HubSpot token secret is empty")
    return _client(settings.hubspot_api_url, token)


@lru_cache(maxsize=2)
def _client(api_url: str, token: str) -> HubSpotClient:
    return HubSpotClient(api_url, token)


class HubSpotDestination:
    """Leads as contacts by email; routed accounts as companies by the mapping's unique
    ``company_id_property``: ``leadops.ports.CrmDestination``."""

    name = "hubspot"

    def __init__(self, client: HubSpotClient, mapping: HubSpotMapping) -> None:
        self.client = client
        self.mapping = mapping

    def batch_size(self, kind: str) -> int:
        return BATCH_LIMIT

    def lead_record(self, facts: LeadFacts) -> dict[str, Any] | None:
        return self.mapping.contact(facts)

    def account_record(self, facts: AccountFacts) -> dict[str, Any] | None:
        return self.mapping.company(facts)

    def calls_allowed(self) -> int | None:
        return None  # HubSpot answers 429 with Retry-After: the retries honour it

    def send(self, kind: str, records: list[dict[str, Any]], deadline: float | None) -> list[bool]:
        object_type = "contacts" if kind == "lead" else "companies"
        return self.client.upsert(object_type, records, deadline)
