"""Slack's Web API ``chat.postMessage`` with a bot token: one Block Kit message per lead.

Slack's documented request: ``POST https://slack.com/api/chat.postMessage`` with
``Content-type: application/json`` and ``Authorization: Bearer xoxb-...``, a JSON body of
``channel``, ``text`` (the fallback when ``blocks`` are given) and ``blocks``. A member's user
id (``U...``/``W...``) as the ``channel`` posts into the app's direct message with them.

Slack answers most failures with HTTP 200 and ``{"ok": false, "error": "<code>"}``; only the
code is kept (never the message or Slack's echo of it). Rate limits come as HTTP 429 with
``Retry-After`` (seconds): the shared ``JsonPoster`` waits that long when it fits the caller's
deadline, else the failure is retryable and the queue waits. ``chat.postMessage`` takes no
idempotency key: the worker makes a post once-only by what it remembers per lead; a retry
here happens only when Slack did not take the message (429, 5xx, no answer).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from leadops.adapters.vendor_http import RETRYABLE_STATUSES, JsonPoster, VendorUnreachable
from leadops.errors import VendorError

DEFAULT_API_URL = "https://slack.com/api"
_CODE_MAX = 80
# ok:false codes worth another try later; every other code (channel_not_found, invalid_auth,
# not_in_channel, ...) fails the same way until someone changes the configuration.
RETRYABLE_CODES = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
     "request_timeout"}
)  # fmt: skip


class SlackError(VendorError):
    """Slack did not post the message; ``code`` is its error code (``channel_not_found``)."""

    def __init__(self, message: str, status: int | None, retryable: bool, code: str) -> None:
        super().__init__(message, status, retryable)
        self.code = code


class SlackClient:
    def __init__(
        self,
        bot_token: str,
        api_url: str = DEFAULT_API_URL,
        timeout_s: float = 4.0,
        retries: int = 2,
        backoff_factor: float = 0.5,
    ) -> None:
        parts = urlsplit(api_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("SLACK_API_URL must be an http(s) URL such as https://slack.com/api")
        self.api_url = api_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {bot_token}",
            "Content-Type": "application/json; charset=utf-8",
        }
        self._poster = JsonPoster(timeout_s, retries, backoff_factor)

    def __repr__(self) -> str:  # never show the token
        return f"SlackClient({self.api_url!r})"

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        deadline: float | None = None,
    ) -> str:
        """Post; the message's ``ts`` (its id in the channel). ``deadline``
        (``time.monotonic()``) bounds the attempts, as in ``JsonPoster``."""
        body = {"channel": channel, "text": text, "blocks": blocks}
        url = f"{self.api_url}/chat.postMessage"
        try:
            status, data = self._poster.post(url, body, self._headers, deadline)
        except VendorUnreachable as exc:
            raise SlackError(f"slack {exc}", None, True, "unreachable") from None
        return _posted(status, data)


def _posted(status: int, data: bytes) -> str:
    try:
        answer = json.loads(data) if data else None
    except ValueError:
        answer = None
    code = answer.get("error") if isinstance(answer, dict) else None
    code = code[:_CODE_MAX] if isinstance(code, str) else "no error code"
    if status == 429:
        raise SlackError("slack answered 429 (ratelimited)", status, True, "ratelimited")
    if not 200 <= status < 300:
        retryable = status in RETRYABLE_STATUSES
        raise SlackError(f"slack answered {status} ({code})", status, retryable, code)
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        retryable = not isinstance(answer, dict) or code in RETRYABLE_CODES
        raise SlackError(f"slack answered ok:false ({code})", status, retryable, code)
    ts = answer.get("ts")
    if not isinstance(ts, str) or not ts:
        raise SlackError("slack answered ok without a message ts", status, False, "no_ts")
    return ts


@lru_cache(maxsize=4)
def client(bot_token: str, api_url: str = DEFAULT_API_URL) -> SlackClient:
    """A client for this token (one connection pool while the token stays the same)."""
    return SlackClient(bot_token, api_url)
