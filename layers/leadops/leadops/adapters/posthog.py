"""ICP score -> PostHog person properties (seed 002: "We also sync the ICP score back into
PostHog as the `icp_score` person property").

Every ``lead.qualified`` event on the bus reaches the ICP-sync queue (an EventBridge rule); the
worker looks up each lead, skips the people whose score and tier PostHog already has, sends
the rest in ONE request to PostHog's batch capture API as ``$set`` events, then remembers what
it sent. Plain HTTP rather than the PostHog SDK: the SDK queues in a background thread, which
loses events when a Lambda is frozen between invocations. Each event's ``uuid`` is derived from
the person and the values; PostHog does not promise to drop a duplicate by it, but a repeated
``$set`` of the same values changes nothing. Emails and distinct ids never reach the logs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from leadops.adapters.vendor_http import RETRYABLE_STATUSES, JsonPoster, VendorUnreachable
from leadops.errors import VendorError
from leadops.icp_sync import IcpUpdate, PersonUpdate, updates_to_send

__all__ = ["IcpUpdate", "PostHogClient", "PostHogError", "updates_to_send"]


class PostHogError(VendorError):
    """PostHog did not take the batch."""


class PostHogClient:
    def __init__(
        self,
        host: str,
        project_api_key: str,
        timeout_s: float = 5.0,
        retries: int = 3,
        backoff_factor: float = 0.5,
    ) -> None:
        parts = urlsplit(host)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("POSTHOG_HOST must be an http(s) URL such as https://us.i.posthog.com")
        self.host = host.rstrip("/")
        self._key = project_api_key
        self._poster = JsonPoster(timeout_s, retries, backoff_factor)

    def __repr__(self) -> str:  # never show the key
        return f"PostHogClient({self.host!r})"

    def send(
        self,
        updates: Iterable[PersonUpdate],
        deadline: float | None = None,
        now: datetime | None = None,
    ) -> int:
        """One batch request of ``$set`` events (``icp_score`` / ``icp_tier``, or the MQL
        properties ``behaviour_score`` / ``lead_grade`` / ``mql_at``); returns the events sent.
        ``deadline`` (``time.monotonic()``) bounds the attempts, as in ``JsonPoster``."""
        at = (now or datetime.now(UTC)).isoformat()
        batch = [
            {
                "event": "$set",
                "distinct_id": update.distinct_id,
                "uuid": update.event_uuid,
                "timestamp": at,
                "properties": {"$set": update.properties},
            }
            for update in updates
        ]
        if not batch:
            return 0
        try:
            status, _ = self._poster.post(
                f"{self.host}/batch/", {"api_key": self._key, "batch": batch}, {}, deadline
            )
        except VendorUnreachable as exc:
            raise PostHogError(f"posthog {exc}", None, True) from None
        if status >= 300:
            retryable = status in RETRYABLE_STATUSES
            raise PostHogError(f"posthog answered {status}", status, retryable)
        return len(batch)
