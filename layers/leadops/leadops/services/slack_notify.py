"""Tell the rep about a qualified lead in Slack (the Slack queue's worker, one record at a time).

A record is a ``lead.qualified`` event (EventBridge -> SQS): ids and scores only. The worker
reads the stored lead, picks the channel (the assigned rep's ``slack_user_id``, a direct
message; else the configured channel: no owner, or an owner not mapped to Slack), claims the
lead (a conditional write), posts, and remembers the message's ``ts``. A lead already posted,
or being posted by another worker right now, succeeds without a post: one message per lead,
however often the event is delivered. A failed post gives the claim back and fails the record
(SQS retries it, then the DLQ keeps it); a permanent Slack error (``channel_not_found``,
``invalid_auth``, ``not_in_channel``) fails the same way and is logged as not retryable, so
an operator fixes the configuration and redrives (``leadops dlq redrive slack``).

The worker keeps to its Lambda's budget as the Zendesk worker does: a post ends ``margin_s``
before the timeout, and once the time is spent the records left fail untried. Logs carry lead,
rep and message ids, Slack's error code and status; never names or message text.

A ``lead.mql`` (issue 15) becomes a short message, "<who> became a marketing-qualified lead:
behaviour score N, grade A1", to the lead's rep (the person's stored lead, if any) or the
channel; claimed per MQL crossing (the person and the crossing's ``mql_at``) the same way, so
one message per crossing however often the event is delivered.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal, Protocol

from aws_lambda_powertools import Logger
from pydantic import BaseModel, Field, Json, StringConstraints

from leadops.errors import NotFound, VendorError
from leadops.lead_record import StoredLead
from leadops.ports import RemainingTime, SlackLedger, SlackPoster
from leadops.services.queue_records import QueueRecord, deadline_of
from leadops.slack_notice import LeadNotice, MqlNotice

logger = Logger(child=True)
MARGIN_S = 2.0  # after the post: remember it (one UpdateItem), answer SQS, log
LEASE_WITHOUT_CONTEXT_S = 60.0
_Id = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class QualifiedDetail(BaseModel):
    """The fields of a ``lead.qualified`` detail the worker reads (ids only)."""

    lead_id: _Id
    owner_id: _Id | None = None


class QualifiedEvent(BaseModel):
    """The EventBridge event as the rule's SQS target receives it."""

    id: _Id | None = None
    detail_type: Literal["lead.qualified"] = Field("lead.qualified", alias="detail-type")
    detail: QualifiedDetail


class MqlDetail(BaseModel):
    """The fields of a ``lead.mql`` detail the worker reads (issue 15)."""

    person_id: _Id
    lead_id: _Id | None = None
    domain: _Id | None = None
    behaviour_score: int
    grade: _Id
    mql_at: _Id


class MqlEvent(BaseModel):
    id: _Id | None = None
    detail_type: Literal["lead.mql"] = Field(alias="detail-type")
    detail: MqlDetail


class SlackRecord(QueueRecord):
    body: Json[QualifiedEvent | MqlEvent]


class _Notice(Protocol):
    def text(self) -> str: ...

    def blocks(self) -> list[dict[str, Any]]: ...


class OutOfTime(Exception):
    """The invocation's budget is spent: the record fails untried and SQS delivers it again."""


class SlackNotifier:
    def __init__(
        self,
        ledger: SlackLedger,
        slack: Callable[[], SlackPoster],
        channel: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        margin_s: float = MARGIN_S,
    ) -> None:
        self.ledger = ledger
        self.slack = slack  # called per post: the token may have been rotated
        self.channel = channel  # where leads without a rep in Slack go
        self.clock = clock
        self.margin_s = margin_s

    def notify(self, record: SlackRecord, lambda_context: RemainingTime | None = None) -> str:
        """``posted``, ``already posted``, ``being posted`` or ``no such lead`` (logged as an
        error: the event is published after the lead is stored, so retrying cannot help, as
        the PostHog sync treats it); raises (the record fails) when Slack refuses or the time
        is up."""
        event = record.body
        ids: dict[str, str | None] = {"lead_id": event.detail.lead_id, "event_id": event.id}
        deadline = deadline_of(lambda_context, self.margin_s)
        if deadline is not None and deadline <= time.monotonic():
            logger.warning("no time left: Slack notice left for redelivery", extra=ids)
            raise OutOfTime("the invocation's budget is spent")
        if isinstance(event, MqlEvent):
            return self._notify_mql(event.detail, ids, deadline, lambda_context)
        try:
            lead, posted_ts = self.ledger.lead(event.detail.lead_id)
        except NotFound:  # lead.qualified follows the lead's commit: it never will be
            logger.error("lead not stored: nothing to announce", extra=ids)
            return "no such lead"
        if posted_ts is not None:
            logger.info("slack notice already posted", extra={**ids, "ts": posted_ts})
            return "already posted"
        channel, ids["owner_id"] = self._channel(lead.owner_id), lead.owner_id
        token = uuid.uuid4().hex
        now = self.clock()
        if not self.ledger.claim(lead.lead_id, token, now, now + self._lease(lambda_context)):
            logger.info("slack notice posted or being posted by another delivery", extra=ids)
            return "being posted"
        release = partial(self.ledger.release, lead.lead_id, token)
        ts = self._post(channel, LeadNotice.of(lead), deadline, release, ids)
        self.ledger.posted(lead.lead_id, channel, ts, self.clock())
        logger.info("slack notice posted", extra={**ids, "channel": channel, "ts": ts})
        return "posted"

    def _notify_mql(
        self,
        detail: MqlDetail,
        ids: dict[str, str | None],
        deadline: float | None,
        context: RemainingTime | None,
    ) -> str:
        """One message per MQL crossing: ``posted`` or ``already posted`` (or being posted)."""
        ids |= {"person_id": detail.person_id, "notice": "mql"}
        lead: StoredLead | None = None
        if detail.lead_id:
            try:
                lead, _ = self.ledger.lead(detail.lead_id)
            except NotFound:  # gone (quarantine TTL): the channel, without a name
                logger.info("lead of the MQL not stored: posting to the channel", extra=ids)
        channel = self._channel(lead.owner_id if lead is not None else None)
        token, now = uuid.uuid4().hex, self.clock()
        person, crossing = detail.person_id, detail.mql_at
        if not self.ledger.claim_mql(person, crossing, token, now, now + self._lease(context)):
            logger.info("slack MQL notice posted or being posted already", extra=ids)
            return "already posted"
        notice = MqlNotice.of(lead, detail.domain, detail.behaviour_score, detail.grade)
        release = partial(self.ledger.release_mql, person, crossing, token)
        ts = self._post(channel, notice, deadline, release, ids)
        self.ledger.mql_posted(person, crossing, channel, ts, self.clock())
        logger.info("slack MQL notice posted", extra={**ids, "channel": channel, "ts": ts})
        return "posted"

    def _post(
        self,
        channel: str,
        notice: _Notice,
        deadline: float | None,
        release: Callable[[], bool],
        ids: dict[str, str | None],
    ) -> str:
        """The message's ``ts``; a failed post gives the claim back (``release``) and raises."""
        try:
            return self.slack().post_message(channel, notice.text(), notice.blocks(), deadline)
        except Exception as exc:  # not posted: the next delivery may post at once
            release()
            if isinstance(exc, VendorError):
                code = getattr(exc, "code", None)
                logger.warning(
                    str(exc),
                    extra={**ids, "status": exc.status, "retryable": exc.retryable, "code": code},
                )
            raise

    def _channel(self, owner_id: str | None) -> str:
        """The owner's Slack user id (a direct message), else the configured channel."""
        rep = self.ledger.rep(owner_id) if owner_id else None
        return rep.slack_user_id if rep is not None and rep.slack_user_id else self.channel

    def _lease(self, context: RemainingTime | None) -> timedelta:
        """A claim lasts as long as this invocation may: a killed worker's claim has expired
        by the time SQS delivers the message again (its visibility timeout is longer)."""
        if context is None:
            return timedelta(seconds=LEASE_WITHOUT_CONTEXT_S)
        return timedelta(milliseconds=context.get_remaining_time_in_millis() + 1000)
