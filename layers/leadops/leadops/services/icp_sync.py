"""Sync ICP scores to PostHog: a batch of ``lead.qualified`` messages becomes ONE PostHog
request (only the scores PostHog does not have yet); what was sent is remembered.

Returns the message ids that failed. A message that is not a readable ``lead.qualified`` event
(no JSON, a null ``icp_score``) fails alone; one lead delivered twice in a batch (SQS and
EventBridge both deliver at least once) is one update and two successes. When the PostHog
request fails (after its retries, or because the invocation's budget is spent: the request
ends ``margin_s`` before the Lambda timeout) every readable message fails, so SQS delivers
them again and, past maxReceiveCount, to the DLQ: nothing is lost. Emails and PostHog ids
never reach the logs.

``lead.mql`` events (issue 15) ride in the same batches: each sets ``behaviour_score``,
``lead_grade`` and ``mql_at`` on the person (the lead's PostHog person when the event names a
lead, else the person's stored email), in the same one request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, Field, StringConstraints, ValidationError

from leadops.errors import VendorError
from leadops.icp_sync import DistinctIdSource, IcpUpdate, MqlUpdate, updates_to_send
from leadops.ports import IcpLedger, IcpSender, MqlPeople, RemainingTime
from leadops.services.queue_records import deadline_of

logger = Logger(child=True)
MARGIN_S = 3.0  # after the PostHog request: remember what was sent (BatchWriteItem), answer
_Id = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class Qualified(BaseModel):
    """The fields of a ``lead.qualified`` event's detail the sync reads."""

    lead_id: _Id
    icp_score: int
    icp_tier: _Id
    rulebook_version: _Id


class Mql(BaseModel):
    """The fields of a ``lead.mql`` event's detail the sync reads (issue 15)."""

    person_id: _Id
    lead_id: _Id | None = None
    behaviour_score: int
    grade: _Id
    mql_at: _Id


class _Event(BaseModel):
    detail_type: str = Field(default="lead.qualified", alias="detail-type")
    detail: dict[str, Any]


class IcpSync:
    def __init__(
        self,
        ledger: IcpLedger,
        posthog: Callable[[], IcpSender],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        distinct_id: DistinctIdSource = "email",
        margin_s: float = MARGIN_S,
        mql_people: MqlPeople | None = None,
    ) -> None:
        self.mql_people = mql_people
        self.ledger = ledger
        self.posthog = posthog  # called per batch: the key may have been rotated
        self.clock = clock
        self.distinct_id = distinct_id
        self.margin_s = margin_s

    def sync(
        self, records: Iterable[dict[str, Any]], lambda_context: RemainingTime | None = None
    ) -> list[str]:
        """The ids of the messages that failed (SQS records: ``messageId``, ``body``)."""
        deadline = deadline_of(lambda_context, self.margin_s)
        wanted, mqls, failed = _read(records)
        updates = self._updates(wanted.values())
        to_send = updates_to_send(updates, self.ledger.last_sync(list(updates)))
        mql_updates = self._mql_updates(list(mqls.values()))
        try:
            sent = self.posthog().send([*to_send, *mql_updates], deadline)
        except VendorError as error:
            logger.warning(
                "PostHog sync failed", extra={"status": error.status, "retryable": error.retryable}
            )
            return [*failed, *wanted, *mqls]
        self.ledger.remember_sync(
            {u.distinct_id: (u.icp_score, u.icp_tier) for u in to_send}, self.clock()
        )
        logger.info(
            "ICP scores synced",
            extra={
                "messages": len(wanted) + len(mqls),
                "sent": sent,
                "mql": len(mql_updates),
                "unchanged": len(updates) - len(to_send),
            },
        )
        return failed

    def _updates(self, messages: Iterable[Qualified]) -> dict[str, IcpUpdate]:
        """One update per PostHog person (the last message's, in batch order); a lead no longer
        stored has no one to update."""
        messages = list(messages)
        people = self.ledger.people(list(dict.fromkeys(m.lead_id for m in messages)))
        updates: dict[str, IcpUpdate] = {}
        for message in messages:
            person = people.get(message.lead_id)
            if person is not None:
                distinct_id = person.distinct_id(self.distinct_id)
                updates[distinct_id] = IcpUpdate(
                    distinct_id, message.icp_score, message.icp_tier, message.rulebook_version
                )
        return updates

    def _mql_updates(self, messages: list[Mql]) -> list[MqlUpdate]:
        """One update per PostHog person: the lead's person when the event names a stored
        lead (as for the ICP score), else the email stored with the person."""
        people = self.ledger.people([m.lead_id for m in messages if m.lead_id])
        unnamed = [m.person_id for m in messages if not (m.lead_id and m.lead_id in people)]
        emails = self.mql_people.emails(unnamed) if unnamed and self.mql_people else {}
        updates: dict[str, MqlUpdate] = {}
        for m in messages:
            person = people.get(m.lead_id) if m.lead_id else None
            distinct_id = (
                person.distinct_id(self.distinct_id) if person else emails.get(m.person_id)
            )
            if distinct_id:
                updates[distinct_id] = MqlUpdate(distinct_id, m.behaviour_score, m.grade, m.mql_at)
        return list(updates.values())


def _read(
    records: Iterable[dict[str, Any]],
) -> tuple[dict[str, Qualified], dict[str, Mql], list[str]]:
    """(message id -> the event's ICP fields, message id -> a lead.mql event's fields, the ids
    of unreadable messages)."""
    wanted: dict[str, Qualified] = {}
    mqls: dict[str, Mql] = {}
    failed: list[str] = []
    for record in records:
        try:
            event = _Event.model_validate_json(record["body"])
            if event.detail_type == "lead.mql":
                mqls[record["messageId"]] = Mql.model_validate(event.detail)
            else:
                wanted[record["messageId"]] = Qualified.model_validate(event.detail)
        except (ValidationError, KeyError, TypeError):
            logger.error("unreadable ICP sync message", extra={"message_id": record["messageId"]})
            failed.append(record["messageId"])
    return wanted, mqls, failed
