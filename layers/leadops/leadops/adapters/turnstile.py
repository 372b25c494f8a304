"""Cloudflare Turnstile's server-side check (``siteverify``), as its documentation specifies
(developers.cloudflare.com/turnstile/get-started/server-side-validation):

    POST https://challenges.cloudflare.com/turnstile/v0/siteverify
    JSON {"secret": <widget secret key>, "response": <token from the widget>,
          "remoteip": <visitor IP, optional>, "idempotency_key": <uuid, optional>}
    -> {"success": true|false, "error-codes": [...], "challenge_ts", "hostname", "action", ...}

A token is valid for 300 s and once only, so a retried check sends the same
``idempotency_key`` (the documented way to retry safely). The secret lives in Secrets Manager.
When Cloudflare cannot be reached the check is skipped (logged): a visitor is never refused
because a vendor is down; the rate limits still hold.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

from aws_lambda_powertools import Logger

from leadops.adapters.vendor_http import JsonPoster, VendorUnreachable

SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
MAX_TOKEN_CHARS = 2048  # the documented maximum length of a token
TIMEOUT_S = 2.0
BUDGET_S = 3.0  # the whole check, retries included: the visitor is waiting

logger = Logger(child=True)


class Turnstile:
    """Satisfies ``leadops.ports.HumanCheck``."""

    def __init__(self, url: str, secret: Callable[[], str]) -> None:
        self.url = url
        self._secret = secret
        self._http = JsonPoster(timeout_s=TIMEOUT_S, retries=1, backoff_factor=0.2)

    def verify(self, token: str, remote_ip: str | None) -> bool:
        if not token or len(token) > MAX_TOKEN_CHARS:
            return False
        document = {"secret": self._secret(), "response": token}
        document["idempotency_key"] = str(uuid.uuid4())  # the same on a retry of this check
        if remote_ip:
            document["remoteip"] = remote_ip
        try:
            status, body = self._http.post(
                self.url, document, headers={}, deadline=time.monotonic() + BUDGET_S
            )
        except VendorUnreachable:
            logger.warning("turnstile unreachable: check skipped")
            return True
        if status >= 500:
            logger.warning("turnstile unavailable: check skipped", extra={"status": status})
            return True
        try:
            answer = json.loads(body)
        except ValueError:
            return False
        passed = status == 200 and isinstance(answer, dict) and answer.get("success") is True
        if not passed:
            codes = answer.get("error-codes") if isinstance(answer, dict) else None
            logger.info("turnstile refused", extra={"error_codes": codes, "status": status})
        return passed
