"""What the three providers share: an HTTP call bounded by the lookup's deadline, turned into a
document, "not found", or ``EnrichmentUnavailable`` (down, too slow, 429 / 5xx, refused, or not
the JSON documented). Errors name the failure, never the lookup (an email, a domain)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from leadops.adapters.vendor_http import JsonPoster, VendorUnreachable
from leadops.ports import EnrichmentUnavailable

NOT_FOUND = (404, 422)  # 422: Apollo's and PDL's "nothing to match this" for some inputs


class ProviderHttp:
    """One provider's HTTP: its API key (read on first use, from Secrets Manager) in its own
    header, a per-call timeout, retries only where the caller allows them (the webhook: none;
    the worker: a few)."""

    def __init__(
        self,
        key: Callable[[], str],
        header: Callable[[str], dict[str, str]],
        timeout_s: float,
        retries: int,
    ) -> None:
        self._key = key
        self._header = header
        self._http = JsonPoster(timeout_s, retries, backoff_factor=0.5)

    def get(self, url: str, query: dict[str, str], deadline: float) -> dict[str, Any] | None:
        return self._answer(lambda headers: self._http.get(url, query, headers, deadline))

    def post(self, url: str, query: dict[str, str], deadline: float) -> dict[str, Any] | None:
        """POST with the parameters in the query string (Apollo's documented form), no body."""
        target = f"{url}?{urlencode(query)}"
        return self._answer(lambda headers: self._http.post(target, {}, headers, deadline))

    def _answer(self, send: Callable[[dict[str, str]], tuple[int, bytes]]) -> dict[str, Any] | None:
        try:
            status, body = send(self._header(self._key()))
        except VendorUnreachable as error:
            raise EnrichmentUnavailable(str(error)) from None
        if status in NOT_FOUND:
            return None
        if status != 200:
            raise EnrichmentUnavailable(f"HTTP {status}")
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise EnrichmentUnavailable("not JSON") from None
        if not isinstance(document, dict):
            raise EnrichmentUnavailable("not a JSON object")
        return document


def base_url(override: str | None, default: str) -> str:
    """The provider's own host, unless the stack points every provider elsewhere (a local
    stand-in, a proxy)."""
    return (override or default).rstrip("/")
