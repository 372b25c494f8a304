"""HTTP to vendors (Zendesk, PostHog) over urllib3, which botocore already brings, so the layer
gains no package: a timeout on every attempt, retries with exponential backoff on 408, 429, 5xx
and network errors, no redirects. Errors name the failure, never the payload (it carries PII).

A request may carry a deadline (a ``time.monotonic()`` instant: the caller's Lambda budget).
Then each attempt's timeout shrinks to the time left, no backoff sleeps past it, and no attempt
starts without ``MIN_ATTEMPT_S`` left: the call ends before the Lambda would be killed, and the
failure is retryable (SQS delivers the message again). A Retry-After longer than
``RETRY_AFTER_CAP_S`` is not slept at all: the vendor's answer (429 or 503) comes back at once
and the message's visibility timeout does the waiting, not a Lambda paid to sleep."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, InvalidHeader
from urllib3.util import Retry, Timeout

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})
RETRY_AFTER_CAP_S = 5.0  # a longer wait is left to the queue
BACKOFF_MAX_S = 120.0  # urllib3's own cap
MIN_ATTEMPT_S = 0.1  # less time left than this: no attempt


@dataclass(frozen=True, slots=True)
class VendorAnswer:
    status: int
    data: bytes
    headers: dict[str, str]  # as sent; look names up case-insensitively with ``header``

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


class VendorUnreachable(Exception):
    """No answer: connection refused, timeouts, or no time left for a try."""


class JsonPoster:
    """JSON over HTTP to one vendor. Only for requests that are safe to repeat (a GET, or a POST
    with an idempotency key or de-duplicating ids), since a retried POST may reach the vendor
    twice."""

    def __init__(self, timeout_s: float, retries: int, backoff_factor: float) -> None:
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_factor = backoff_factor
        self.http = urllib3.PoolManager(retries=False)  # the retries are ours: deadline-aware

    def post(
        self, url: str, document: Any, headers: dict[str, str], deadline: float | None = None
    ) -> tuple[int, bytes]:
        """The final status and body; ``VendorUnreachable`` when there was none."""
        body = json.dumps(document).encode("utf-8")
        headers = {"Content-Type": "application/json", **headers}
        response = self._request("POST", url, headers, deadline, body=body)
        return response.status, response.data

    def get(
        self,
        url: str,
        fields: dict[str, str],
        headers: dict[str, str],
        deadline: float | None = None,
    ) -> tuple[int, bytes]:
        """GET ``url`` with ``fields`` as its query string; as ``post``."""
        response = self._request("GET", url, headers, deadline, fields=fields)
        return response.status, response.data

    def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        deadline: float | None = None,
        body: bytes | None = None,
    ) -> VendorAnswer:
        """Any method with a ready body (a PATCH of JSON, a form POST); the final answer with
        its headers (a vendor's usage header, say). Retried as ``post``."""
        response = self._request(method, url, headers, deadline, body=body)
        return VendorAnswer(response.status, response.data, dict(response.headers.items()))

    def _request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        deadline: float | None,
        body: bytes | None = None,
        fields: dict[str, str] | None = None,
    ) -> Any:
        attempt = 0
        while True:
            attempt += 1
            timeout = self._timeout(deadline)
            try:
                response = self.http.request(
                    method,
                    url,
                    body=body,
                    fields=fields,
                    headers={"Accept": "application/json", **headers},
                    timeout=timeout,
                    retries=False,
                    redirect=False,
                )
            except HTTPError as exc:
                backoff = self._backoff(attempt)
                if attempt > self.retries or not _fits(backoff, deadline):
                    reason = type(exc).__name__
                    raise VendorUnreachable(f"unreachable after retries ({reason})") from None
                time.sleep(backoff)
                continue
            if response.status not in RETRYABLE_STATUSES:
                return response
            wait = self._wait(attempt, response)
            if attempt > self.retries or wait is None or not _fits(wait, deadline):
                return response
            time.sleep(wait)

    def _timeout(self, deadline: float | None) -> Timeout:
        """This attempt's timeout: the configured one, or the time left if less."""
        if deadline is None:
            return Timeout(total=self.timeout_s)
        left = deadline - time.monotonic()
        if left < MIN_ATTEMPT_S:
            raise VendorUnreachable("no time left for the request")
        return Timeout(total=min(self.timeout_s, left))

    def _backoff(self, attempt: int) -> float:
        """urllib3's schedule: no wait before the first retry, then factor x 2^(n-1)."""
        if attempt <= 1:
            return 0.0
        return float(min(BACKOFF_MAX_S, self.backoff_factor * 2 ** (attempt - 1)))

    def _wait(self, attempt: int, response: Any) -> float | None:
        """How long to wait before retrying this answer; None when the vendor asks for longer
        than ``RETRY_AFTER_CAP_S`` (a malformed Retry-After falls back to the backoff)."""
        header = response.headers.get("Retry-After")
        if response.status not in RETRY_AFTER_STATUSES or header is None:
            return self._backoff(attempt)
        try:
            seconds = Retry().parse_retry_after(header)
        except InvalidHeader:
            return self._backoff(attempt)
        return seconds if seconds <= RETRY_AFTER_CAP_S else None


def _fits(wait: float, deadline: float | None) -> bool:
    """Whether waiting ``wait`` seconds still leaves time for another attempt."""
    return deadline is None or time.monotonic() + wait + MIN_ATTEMPT_S <= deadline
