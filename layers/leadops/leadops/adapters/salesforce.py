"""Salesforce REST API: a connected app's OAuth 2.0 client-credentials token, and upserts of up
to 200 records a call through sObject Collections (issue 14).

- Token: ``POST {instance}/services/oauth2/token`` with the form body
  ``grant_type=client_credentials&client_id=...&client_secret=...`` (Salesforce's "OAuth 2.0
  Client Credentials Flow for Server-to-Server Integration"); the answer's ``access_token`` is
  sent as ``Authorization: Bearer``. It is kept for the life of the container and fetched
  again once when a call answers 401 (an expired or revoked session).
- Upsert: ``PATCH /services/data/vXX.X/composite/sobjects/{SobjectName}/{ExternalIdFieldName}``
  with ``{"allOrNone": false, "records": [...]}``, each record with ``attributes.type`` and the
  external id field, never ``Id``; "the list can contain up to 200 objects". The answer is a
  list of UpsertResult (``id``, ``success``, ``errors``, ``created``) in request order, so one
  refused record fails alone.
- Every answer's ``Sforce-Limit-Info: api-usage=N/M`` feeds ``leadops.api_usage.ApiUsage``.

Lead fields (emails, names) never reach logs or exception messages; only Salesforce's error
``statusCode`` values do.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from leadops.adapters import aws
from leadops.adapters.vendor_http import (
    RETRYABLE_STATUSES,
    JsonPoster,
    VendorAnswer,
    VendorUnreachable,
)
from leadops.api_usage import ApiUsage
from leadops.crm_mapping import SalesforceMapping
from leadops.destinations import AccountFacts, LeadFacts
from leadops.errors import VendorError
from leadops.settings import SalesforceSyncSettings

COLLECTION_LIMIT = 200  # records per sObject Collections request
SECRET_MAX_AGE_S = 300
_CODE_MAX = 60


class SalesforceError(VendorError):
    """Salesforce did not take the request."""


class SalesforceClient:
    def __init__(
        self,
        instance_url: str,
        client_id: str,
        client_secret: str,
        api_version: str = "62.0",
        timeout_s: float = 10.0,
        retries: int = 3,
        backoff_factor: float = 0.5,
    ) -> None:
        self.instance_url = instance_url.rstrip("/")
        self.api_version = api_version
        self._credentials = (client_id, client_secret)
        self._token: str | None = None
        # Safe to retry: an upsert by external id writes the same record again, never a second.
        self._poster = JsonPoster(timeout_s, retries, backoff_factor)
        self.usage = ApiUsage()

    def __repr__(self) -> str:  # never show the credentials
        return f"SalesforceClient({self.instance_url!r})"

    def upsert(
        self,
        sobject: str,
        external_id_field: str,
        records: list[dict[str, Any]],
        deadline: float | None = None,
    ) -> list[bool]:
        """Upsert ``records`` (at most 200) with ``allOrNone: false``; whether each succeeded,
        in order. Raises ``SalesforceError`` when the call as a whole failed."""
        if len(records) > COLLECTION_LIMIT:
            raise ValueError(f"at most {COLLECTION_LIMIT} records per sObject Collections call")
        path = (
            f"/services/data/v{self.api_version}/composite/sobjects/{sobject}/{external_id_field}"
        )
        body = json.dumps({"allOrNone": False, "records": records}).encode("utf-8")
        answer = self._authorised("PATCH", path, body, deadline)
        if answer.status != 200:
            raise _failure(answer)
        results = _json(answer.data)
        if not isinstance(results, list) or len(results) != len(records):
            raise SalesforceError(
                "salesforce answered 200 without one result per record", 200, True
            )
        return [isinstance(r, dict) and r.get("success") is True for r in results]

    def _authorised(
        self, method: str, path: str, body: bytes, deadline: float | None
    ) -> VendorAnswer:
        """The call with a Bearer token; a 401 fetches a new token and tries once more."""
        for fresh in (self._token is None, True):
            if fresh:
                self._token = self._fetch_token(deadline)
            headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
            answer = self._send(method, f"{self.instance_url}{path}", headers, deadline, body)
            self.usage.observe(answer.header("Sforce-Limit-Info"), time.monotonic())
            if answer.status != 401:
                return answer
            self._token = None
        return answer

    def _fetch_token(self, deadline: float | None) -> str:
        client_id, client_secret = self._credentials
        form = urlencode({"grant_type": "client_credentials", "client_id": client_id,
                          "client_secret": client_secret}).encode()  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        url = f"{self.instance_url}/services/oauth2/token"
        answer = self._send("POST", url, headers, deadline, form)
        token = _json(answer.data)
        if answer.status == 200 and isinstance(token, dict) and token.get("access_token"):
            return str(token["access_token"])
        error = token.get("error") if isinstance(token, dict) else None
        code = error[:_CODE_MAX] if isinstance(error, str) else "no error code"
        retryable = answer.status in RETRYABLE_STATUSES
        raise SalesforceError(f"salesforce token refused: {answer.status} ({code})",
                              answer.status, retryable)  # fmt: skip

    def _send(
        self, method: str, url: str, headers: dict[str, str], deadline: float | None, body: bytes
    ) -> VendorAnswer:
        try:
            return self._poster.send(method, url, headers, deadline, body)
        except VendorUnreachable as exc:
            raise SalesforceError(f"salesforce {exc}", None, True) from None


def _json(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None


def _failure(answer: VendorAnswer) -> SalesforceError:
    """Salesforce's error codes only (``[{"errorCode", "message"}]``): a message can echo input."""
    errors = _json(answer.data)
    codes = (
        [e.get("errorCode") for e in errors if isinstance(e, dict)]
        if isinstance(errors, list)
        else []
    )
    code = str(codes[0])[:_CODE_MAX] if codes else "no error code"
    retryable = answer.status in RETRYABLE_STATUSES
    return SalesforceError(
        f"salesforce answered {answer.status} ({code})", answer.status, retryable
    )


def salesforce_client(settings: SalesforceSyncSettings) -> SalesforceClient:
    """The client for the current secret (``{"client_id", "client_secret"}``, re-read every
    5 minutes): one per secret, so its token and API usage outlive an invocation."""
    secret = aws.secret(settings.salesforce_secret_arn, SECRET_MAX_AGE_S, transform="json")
    if not isinstance(secret, dict) or not all(
        isinstance(secret.get(k), str) and secret.get(k) for k in ("client_id", "client_secret")
    ):
        raise ValueError("the Salesforce secret must be JSON with client_id and client_secret")
    client = _client(settings.salesforce_instance_url, secret["client_id"],
                     secret["client_secret"], settings.salesforce_api_version)  # fmt: skip
    client.usage.slow_at = settings.salesforce_usage_slow_pct / 100
    client.usage.stop_at = settings.salesforce_usage_stop_pct / 100
    return client


@lru_cache(maxsize=2)
def _client(
    instance_url: str, client_id: str, client_secret: str, version: str
) -> SalesforceClient:
    return SalesforceClient(instance_url, client_id, client_secret, version)


class SalesforceDestination:
    """Leads as Lead records by ``lead_external_id_field``; routed accounts as Account owner
    and team fields by ``account_external_id_field`` (the domain); a
    ``leadops.ports.CrmDestination``."""

    name = "salesforce"

    def __init__(self, client: SalesforceClient, mapping: SalesforceMapping) -> None:
        self.client = client
        self.mapping = mapping

    def batch_size(self, kind: str) -> int:
        return COLLECTION_LIMIT

    def lead_record(self, facts: LeadFacts) -> dict[str, Any] | None:
        return self.mapping.lead(facts)

    def account_record(self, facts: AccountFacts) -> dict[str, Any] | None:
        return self.mapping.account(facts)

    def calls_allowed(self) -> int | None:
        return self.client.usage.calls_allowed(time.monotonic())

    def send(self, kind: str, records: list[dict[str, Any]], deadline: float | None) -> list[bool]:
        if kind == "lead":
            return self.client.upsert(
                "Lead", self.mapping.lead_external_id_field, records, deadline
            )
        field = self.mapping.account_external_id_field
        return self.client.upsert("Account", field, records, deadline)
