"""Sync ICP scores to PostHog: a batch of ``lead.qualified`` messages becomes ONE PostHog
request (only the scores PostHog does not have yet); what was sent is remembered.

Returns the message ids that failed: an unreadable message alone, or every message when the
PostHog request fails after its retries, so SQS delivers them again and, past
maxReceiveCount, to the DLQ: nothing is lost. Emails never reach the logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadops.errors import VendorError
from leadops.icp_sync import IcpUpdate, updates_to_send
from leadops.ports import IcpLedger, IcpSender

logger = Logger(child=True)
_FIELDS = ("lead_id", "icp_score", "icp_tier", "rulebook_version")


class IcpSync:
    def __init__(
        self,
        ledger: IcpLedger,
        posthog: Callable[[], IcpSender],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ledger = ledger
        self.posthog = posthog  # called per batch: the key may have been rotated
        self.clock = clock

    def sync(self, records: Iterable[dict[str, Any]]) -> list[str]:
        """The ids of the messages that failed (SQS records: ``messageId``, ``body``)."""
        wanted, failed = _read(records)
        emails, synced = self.ledger.emails_and_last_sync([d["lead_id"] for d in wanted.values()])
        updates = {  # newest last: one update per email
            emails[d["lead_id"]]: IcpUpdate(
                emails[d["lead_id"]], int(d["icp_score"]), d["icp_tier"], d["rulebook_version"]
            )
            for d in wanted.values()
            if d["lead_id"] in emails
        }
        to_send = updates_to_send(updates, synced)
        try:
            sent = self.posthog().send(to_send)
        except VendorError as error:
            logger.warning(
                "PostHog sync failed", extra={"status": error.status, "retryable": error.retryable}
            )
            return [*failed, *wanted]
        self.ledger.remember_sync(
            {u.email: (u.icp_score, u.icp_tier) for u in to_send}, self.clock()
        )
        logger.info(
            "ICP scores synced",
            extra={"messages": len(wanted), "sent": sent, "unchanged": len(updates) - sent},
        )
        return failed


def _read(records: Iterable[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(message id -> the event's ICP fields, the ids of unreadable messages)."""
    wanted: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    for record in records:
        try:
            detail = json.loads(record["body"])["detail"]
            wanted[record["messageId"]] = {k: detail[k] for k in _FIELDS}
        except (ValueError, KeyError, TypeError):
            logger.error("unreadable ICP sync message", extra={"message_id": record["messageId"]})
            failed.append(record["messageId"])
    return wanted, failed
