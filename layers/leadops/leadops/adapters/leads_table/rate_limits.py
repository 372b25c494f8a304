"""Rate-limit counters: ``RATE#<scope>#<hash>#<window start>`` / ``RATE``, a ``hits`` count in a
fixed window, removed by the table's TTL (``expires_at``) once the window is over.

Every counter a request touches is counted in ONE TransactWriteItems of conditional ``ADD``
updates: either all are under their limits and all go up by one, or none moves and the
answer names the counter that is full. So a refused request stores nothing, not even a count,
and a limit is exact under concurrency (DynamoDB evaluates the condition with the update).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadops.adapters.dynamodb import Table
from leadops.adapters.leads_table import keys
from leadops.ports import Limit

# A counter outlives its window by this much (TTL deletion is not instant anyway).
TTL_SLACK_S = 60


class RateLimits(Table):
    """Satisfies ``leadops.ports.RateCounter``."""

    def hit(self, limits: Sequence[Limit], now: int) -> Limit | None:
        """Count one request against every limit; the first limit that is full (nothing
        counted), else None (all counted)."""
        actions = [{"Update": self._update(limit, now)} for limit in limits]
        try:
            self._db.transact_write_items(TransactItems=actions)
        except ClientError as error:
            full = _full(error, limits)
            if full is None:
                raise  # cancelled for another reason (throttling, a conflict): AWS trouble
            return full
        return None

    def _update(self, limit: Limit, now: int) -> dict[str, Any]:
        start = now - now % limit.window_s
        return {
            "TableName": self.name,
            "Key": keys.rate_counter(limit.scope, limit.subject, start).typed,
            "UpdateExpression": "ADD hits :one SET expires_at = if_not_exists(expires_at, :ttl)",
            "ConditionExpression": "attribute_not_exists(hits) OR hits < :limit",
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                ":limit": {"N": str(limit.limit)},
                ":ttl": {"N": str(start + limit.window_s + TTL_SLACK_S)},
            },
        }


def _full(error: ClientError, limits: Sequence[Limit]) -> Limit | None:
    """The limit whose condition cancelled the transaction, if one did."""
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons") or []
    for limit, reason in zip(limits, reasons, strict=False):
        if reason.get("Code") == "ConditionalCheckFailed":
            return limit
    return None
