"""Sync leadops' decisions to one CRM (the Salesforce and HubSpot workers, issue 14).

A batch of SQS messages (EventBridge events: ``lead.qualified``, ``lead.rescored``,
``lead.disqualified``, ``lead.outcome``, ``lead.mql``, ``account.routed``) becomes one record
per lead or account, built from the stored lead (events carry ids only) and the owning rep's
CRM id, then batched calls by external id (``CrmDestination``). What each record was last sent is
remembered as a fingerprint: a replayed delivery, or a second event that changes nothing the
CRM shows, sends nothing. A ``lead.mql`` (issue 15) adds the behaviour score, grade and MQL
time to its lead's record; one with ``lead_id`` null (a person with no stored lead) has no CRM
record to update and is acknowledged and skipped.

Returns the message ids that failed, and only those: an unreadable message fails alone; a
record the CRM refused fails its messages; a call that failed (after its retries, 429 and 5xx
honouring Retry-After) fails its records and leaves the rest of the batch untried, as does a
spent budget (calls end ``margin_s`` before the Lambda timeout, whatever the CRM does) or the
CRM's API allowance (``calls_allowed``). SQS delivers failed messages again and, past
maxReceiveCount, to the destination's DLQ (``leadops dlq redrive``). Logs carry ids and
counts, never an email or a name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadops.destinations import (
    AccountChange,
    AccountFacts,
    LeadChange,
    NoStoredLead,
    chunks,
    fingerprint,
    lead_facts,
    read_change,
)
from leadops.errors import VendorError
from leadops.ports import CrmDestination, RemainingTime, SyncLedger
from leadops.services.queue_records import deadline_of

logger = Logger(child=True)
MARGIN_S = 3.0  # after the last CRM call: remember what was sent (BatchWriteItem), answer SQS
KINDS = ("lead", "account")


@dataclass
class Pending:
    kind: str
    key: str
    record: dict[str, Any]
    messages: list[str] = field(default_factory=list)


class CrmSync:
    def __init__(
        self,
        ledger: SyncLedger,
        destination: Callable[[], CrmDestination],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        margin_s: float = MARGIN_S,
    ) -> None:
        self.ledger = ledger
        self.destination = destination  # called per batch: the secret may have been rotated
        self.clock = clock
        self.margin_s = margin_s

    def sync(
        self, records: Iterable[dict[str, Any]], lambda_context: RemainingTime | None = None
    ) -> list[str]:
        """The ids of the messages that failed (SQS records: ``messageId``, ``body``)."""
        deadline = deadline_of(lambda_context, self.margin_s)
        changes, failed = _read(records)
        destination = self.destination()
        pending = self._pending(destination, changes)
        last = self.ledger.last_sent(destination.name, list(pending))
        due = [p for key, p in pending.items() if last.get(key) != fingerprint(p.record)]
        failed += self._send(destination, due, deadline)
        counts = {"messages": len(changes), "records": len(pending), "due": len(due)}
        logger.info("crm sync", extra={"destination": destination.name, **counts,
                                        "failed": len(failed)})  # fmt: skip
        return failed

    def _pending(
        self, destination: CrmDestination, changes: dict[str, LeadChange | AccountChange]
    ) -> dict[str, Pending]:
        """One record per lead or account of the batch (its messages listed with it)."""
        lead_ids = [c.lead_id for c in changes.values() if isinstance(c, LeadChange)]
        stored = self.ledger.leads(lead_ids) if lead_ids else {}
        owner_ids = [s.owner_id for s in stored.values() if s.owner_id]
        owner_ids += [c.owner_id for c in changes.values()
                      if isinstance(c, AccountChange) and c.owner_id]  # fmt: skip
        reps = self.ledger.reps(owner_ids) if owner_ids else {}
        pending: dict[str, Pending] = {}
        for message_id, change in changes.items():
            if isinstance(change, LeadChange):
                lead = stored.get(change.lead_id)
                if lead is None or lead.record.classification != "sales":
                    continue  # gone (quarantine TTL) or never a sales lead: nothing to sync
                kind, key = "lead", f"lead#{change.lead_id}"
                owner = reps.get(lead.owner_id) if lead.owner_id else None
                record = destination.lead_record(lead_facts(lead, owner, change.mql))
            else:
                kind, key = "account", f"account#{change.account_id}"
                owner = reps.get(change.owner_id) if change.owner_id else None
                facts = AccountFacts(change.account_id, change.domain, change.team, change.rule,
                                     owner)  # fmt: skip
                record = destination.account_record(facts)
            if record is not None:
                before = pending.get(key)
                messages = [*(before.messages if before else []), message_id]
                pending[key] = Pending(kind, key, record, messages)  # the batch's last wins
        return pending

    def _send(
        self, destination: CrmDestination, due: list[Pending], deadline: float | None
    ) -> list[str]:
        """Send ``due`` in batches; the messages of records not written."""
        allowed = destination.calls_allowed()
        failed: list[str] = []
        stop: str | None = None if allowed != 0 else "the CRM's daily API allowance is near"
        for kind in KINDS:
            for batch in chunks([p for p in due if p.kind == kind], destination.batch_size(kind)):
                if stop is None and deadline is not None and deadline <= time.monotonic():
                    stop = "no time left"
                if stop is not None:
                    failed += [m for p in batch for m in p.messages]
                    continue
                try:
                    written = destination.send(kind, [p.record for p in batch], deadline)
                except VendorError as error:
                    logger.warning(str(error), extra={"destination": destination.name,
                                                      "status": error.status})  # fmt: skip
                    stop = "the CRM failed"
                    failed += [m for p in batch for m in p.messages]
                    continue
                results = list(zip(batch, written, strict=True))
                sent = {p.key: fingerprint(p.record) for p, ok in results if ok}
                failed += [m for p, ok in results if not ok for m in p.messages]
                self.ledger.remember_sent(destination.name, sent, self.clock())
                if allowed is not None:
                    allowed -= 1
                    stop = "slowing down: the CRM's API usage is high" if allowed <= 0 else None
        if stop is not None and failed:
            extra = {"reason": stop, "messages": len(failed)}
            logger.warning("records left for redelivery", extra=extra)
        return failed


def _read(
    records: Iterable[dict[str, Any]],
) -> tuple[dict[str, LeadChange | AccountChange], list[str]]:
    """(message id -> the change it announces, the ids of unreadable messages)."""
    changes: dict[str, LeadChange | AccountChange] = {}
    failed: list[str] = []
    for record in records:
        change = read_change(str(record.get("body", "")))
        if isinstance(change, NoStoredLead):  # an MQL without a stored lead: no CRM record
            logger.info("lead.mql without a stored lead skipped",
                        extra={"message_id": record["messageId"]})  # fmt: skip
        elif change is None:
            extra = {"message_id": record["messageId"]}
            logger.error("unreadable destination message", extra=extra)
            failed.append(record["messageId"])
        else:
            changes[record["messageId"]] = change
    return changes, failed
