"""SQS worker: one Zendesk ticket per ``support`` form submission.

Records are processed one by one and only the failed ones are reported back (partial batch
failure), so SQS redelivers just those and, after maxReceiveCount, moves them to the DLQ.
A body that is not a valid SupportTicket fails too: it is never silently dropped.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadops.adapters.zendesk import ZendeskError, ZendeskSettings
from leadops.tickets import SupportTicket

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)
settings = ZendeskSettings.from_env()  # no AWS call: the secret is read on first use


def create_ticket(record: SQSRecord) -> int:
    try:
        ticket = SupportTicket.model_validate_json(record.body)
    except ValidationError as exc:  # field names and error types only, never the values
        fields = [".".join(map(str, e["loc"])) or "body" for e in exc.errors()]
        types = [e["type"] for e in exc.errors()]
        logger.error("invalid support ticket message", extra={"fields": fields, "types": types})
        raise
    ids = {"submission_id": ticket.submission_id, "lead_id": ticket.lead_id}
    try:
        ticket_id = settings.client().create_ticket(ticket, idempotency_key=ticket.submission_id)
    except ZendeskError as exc:
        logger.warning(str(exc), extra={**ids, "status": exc.status, "retryable": exc.retryable})
        raise
    logger.info("zendesk ticket created", extra={**ids, "ticket_id": ticket_id})
    return ticket_id


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=create_ticket, processor=processor, context=context
    )


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
