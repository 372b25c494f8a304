"""File one Zendesk ticket per ``support`` form submission (the support-ticket queue's worker).

The submission id is the ticket's idempotency key, so a message delivered twice files one
ticket. Logs carry the submission and lead ids, never the requester or the message.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools import Logger
from pydantic import Json

from leadops.errors import VendorError
from leadops.ports import TicketDesk
from leadops.services.queue_records import QueueRecord
from leadops.tickets import SupportTicket

logger = Logger(child=True)


class TicketRecord(QueueRecord):
    body: Json[SupportTicket]


class SupportTickets:
    def __init__(self, desk: Callable[[], TicketDesk]) -> None:
        self.desk = desk  # called per ticket: the credentials may have been rotated

    def file(self, record: TicketRecord) -> int:
        """The created ticket's id; raises (the record fails) when the desk refuses it."""
        ticket = record.body
        ids = {"submission_id": ticket.submission_id, "lead_id": ticket.lead_id}
        try:
            ticket_id = self.desk().create_ticket(ticket, idempotency_key=ticket.submission_id)
        except VendorError as exc:
            logger.warning(
                str(exc), extra={**ids, "status": exc.status, "retryable": exc.retryable}
            )
            raise
        logger.info("zendesk ticket created", extra={**ids, "ticket_id": ticket_id})
        return ticket_id
