"""HTTP to vendors (Zendesk, PostHog) over urllib3, which botocore already brings, so the layer
gains no package: a timeout on every request, retries with exponential backoff on 429 and 5xx
and network errors, Retry-After honoured but capped (a vendor may ask for hours; a Lambda has
minutes), no redirects. Errors name the failure, never the payload (it carries PII)."""

from __future__ import annotations

import json
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, InvalidHeader, MaxRetryError
from urllib3.util import Retry, Timeout

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_CAP_S = 30.0


class VendorUnreachable(Exception):
    """No answer after the retries (connection refused, timeouts, a 5xx/429 each time)."""


class _Retry(Retry):
    """urllib3's Retry with Retry-After capped and a malformed Retry-After falling back to
    exponential backoff."""

    RETRY_AFTER_STATUS_CODES = frozenset({429, 503})

    def get_retry_after(self, response: Any) -> float | None:
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:
            return None
        return None if seconds is None else min(seconds, RETRY_AFTER_CAP_S)


class JsonPoster:
    """JSON over HTTP to one vendor. Only for requests that are safe to repeat (a GET, or a POST
    with an idempotency key or de-duplicating ids), since a retried POST may reach the vendor
    twice."""

    def __init__(self, timeout_s: float, retries: int, backoff_factor: float) -> None:
        self.retry = _Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            redirect=False,
            allowed_methods=frozenset({"GET", "POST"}),
            status_forcelist=RETRYABLE_STATUSES,
            backoff_factor=backoff_factor,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self.http = urllib3.PoolManager(timeout=Timeout(total=timeout_s), retries=self.retry)

    def post(self, url: str, document: Any, headers: dict[str, str]) -> tuple[int, bytes]:
        """The final status and body; ``VendorUnreachable`` when there was none."""
        body = json.dumps(document).encode("utf-8")
        return self._request("POST", url, {"Content-Type": "application/json", **headers}, body)

    def get(self, url: str, fields: dict[str, str], headers: dict[str, str]) -> tuple[int, bytes]:
        """GET ``url`` with ``fields`` as its query string; as ``post``."""
        return self._request("GET", url, headers, fields=fields)

    def _request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None = None,
        fields: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        try:
            response = self.http.request(
                method,
                url,
                body=body,
                fields=fields,
                headers={"Accept": "application/json", **headers},
                retries=self.retry,
                redirect=False,
            )
        except MaxRetryError as exc:
            reason = type(exc.reason).__name__ if exc.reason else "unknown"
            raise VendorUnreachable(f"unreachable after retries ({reason})") from None
        except HTTPError as exc:
            raise VendorUnreachable(f"request failed ({type(exc).__name__})") from None
        return response.status, response.data
