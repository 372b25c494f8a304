"""SQS: sweep one parallel-scan segment of the accounts table (or the rest of one)."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import Pools
from leadops.adapters.queues import TaskQueue
from leadops.services.account_routing import AccountRouting
from leadops.services.live_rulebook import LiveRulebook
from leadops.services.queue_records import RecordProcessor, SweepRecord
from leadops.services.sweep import run_segment
from leadops.settings import SweepWorkerSettings

logger = Logger()
processor = RecordProcessor(SweepRecord, refused="invalid sweep task")
settings = SweepWorkerSettings.from_env()
rules = LiveRulebook.of(settings.rulebook_table)
accounts = AccountsTable(settings.accounts_table)
leads = Pools(settings.leads_table)
tasks = TaskQueue(settings.sweep_queue_url)
page_size = settings.sweep_page_size
events = LeadEvents(settings.event_bus_name)


def sweep(record: SweepRecord, lambda_context: LambdaContext) -> None:
    """One task; Powertools passes the Lambda context to a handler that asks for it."""
    task = record.body
    live = rules.current()
    routing = AccountRouting(live.rulebook, live.scorer, leads, datetime.now(UTC))
    time_left = lambda_context.get_remaining_time_in_millis
    stats, rest = run_segment(
        task, accounts, routing, time_left, page_size=page_size, events=events
    )
    if rest is not None:
        tasks.send_all([rest.model_dump_json()])
    logger.info(
        "segment swept" if rest is None else "segment continues",
        extra={"sweep_id": task.sweep_id, "segment": task.segment, **stats.__dict__},
    )


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=sweep, processor=processor, context=context
    )


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
