"""SQS worker: finishes enrichment lookups that missed the webhook's deadline (issue 13).

Each record is one lead; it is looked up again (with retries, within the invocation's time),
re-scored, stored with its first decision in its history, and announced as ``lead.rescored``.
A record whose lookup fails again fails alone (partial batch failure): SQS delivers it again
and, after maxReceiveCount, moves it to the enrichment DLQ.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters.enrichment import build_enricher
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import EnrichmentItems, Leads
from leadops.services.enrichment_worker import EnrichmentRecord, EnrichmentWorker
from leadops.services.live_rulebook import LiveRulebook
from leadops.services.queue_records import RecordProcessor
from leadops.settings import EnrichmentWorkerSettings

logger = Logger()
processor = RecordProcessor(EnrichmentRecord, refused="invalid enrichment message")
settings = EnrichmentWorkerSettings.from_env()
worker = EnrichmentWorker(
    rules=LiveRulebook.of(settings.rulebook_table),
    leads=Leads(settings.leads_table),
    cache=EnrichmentItems(settings.leads_table),
    enricher=build_enricher(settings, settings.leads_table, deadline_ms=20_000, retries=2),
    events=LeadEvents(settings.event_bus_name),
    clock=lambda: datetime.now(UTC),
    margin_s=settings.enrichment_margin_ms / 1000,
)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=worker.complete, processor=processor, context=context
    )


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
