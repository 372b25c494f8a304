"""SQS worker: one Zendesk ticket per ``support`` form submission.

Records are processed one by one and only the failed ones are reported back (partial batch
failure), so SQS redelivers just those and, after maxReceiveCount, moves them to the DLQ.
A body that is not a valid SupportTicket fails too: it is never silently dropped.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters.zendesk import ZendeskSettings
from leadops.services.queue_records import RecordProcessor
from leadops.services.support_tickets import SupportTickets, TicketRecord

logger = Logger()
processor = RecordProcessor(TicketRecord, refused="invalid support ticket message")
settings = ZendeskSettings.from_env()  # no AWS call: the secret is read on first use
tickets = SupportTickets(desk=settings.client)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=tickets.file, processor=processor, context=context
    )


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
