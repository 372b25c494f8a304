"""File one Zendesk ticket per ``support`` form submission (the support-ticket queue's worker).

The submission id is the ticket's idempotency key and its ``external_id``. Zendesk's keys
expire (two hours), so a message redriven from the DLQ later is first looked up by its
external id: a ticket already filed is the answer, and only a missing one is created.

The worker keeps to its Lambda's budget: each record's Zendesk calls end ``margin_s`` before
the timeout (shorter attempts, no sleep past it, a long Retry-After not slept at all), and once
the time is spent the records left fail without a call, so SQS delivers them again instead of
Lambda killing the batch and redelivering all of it. Logs carry the submission and lead ids,
never the requester or the message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aws_lambda_powertools import Logger
from pydantic import Json

from leadops.errors import VendorError
from leadops.ports import RemainingTime, TicketDesk
from leadops.services.queue_records import QueueRecord, deadline_of
from leadops.tickets import SupportTicket

logger = Logger(child=True)
MARGIN_S = 1.0  # what a worker needs after its last Zendesk call: the answer to SQS, the logs


class TicketRecord(QueueRecord):
    body: Json[SupportTicket]


class OutOfTime(Exception):
    """The invocation's budget is spent: the record fails untried and SQS delivers it again."""


class SupportTickets:
    def __init__(self, desk: Callable[[], TicketDesk], margin_s: float = MARGIN_S) -> None:
        self.desk = desk  # called per ticket: the credentials may have been rotated
        self.margin_s = margin_s

    def file(self, record: TicketRecord, lambda_context: RemainingTime | None = None) -> int:
        """The ticket's id (found or created); raises (the record fails) when the desk refuses
        it or the time is up. Powertools passes ``lambda_context`` to a handler that asks."""
        ticket = record.body
        ids = {"submission_id": ticket.submission_id, "lead_id": ticket.lead_id}
        deadline = deadline_of(lambda_context, self.margin_s)
        if deadline is not None and deadline <= time.monotonic():
            logger.warning("no time left: ticket left for redelivery", extra=ids)
            raise OutOfTime("the invocation's budget is spent")
        try:
            desk = self.desk()
            ticket_id = desk.find_ticket(ticket.submission_id, deadline)
            if ticket_id is not None:
                logger.info("zendesk ticket already filed", extra={**ids, "ticket_id": ticket_id})
                return ticket_id
            ticket_id = desk.create_ticket(ticket, ticket.submission_id, deadline)
        except VendorError as exc:
            logger.warning(
                str(exc), extra={**ids, "status": exc.status, "retryable": exc.retryable}
            )
            raise
        logger.info("zendesk ticket created", extra={**ids, "ticket_id": ticket_id})
        return ticket_id
