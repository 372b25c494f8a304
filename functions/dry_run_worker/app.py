"""SQS: go on with a dry run that did not finish within the API's budget, one slice per message
(re-queued until complete; progress is stored with the job, so nothing is redone)."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.services.queue_records import DryRunRecord, RecordProcessor
from leadops.services.rulebook_ops import RulebookOps
from leadops.settings import DryRunWorkerSettings

logger = Logger()
processor = RecordProcessor(DryRunRecord, refused="invalid dry-run message")
settings = DryRunWorkerSettings.from_env()
ops = RulebookOps.from_settings(settings)
margin_ms = settings.dry_run_margin_ms


def go_on(record: DryRunRecord, lambda_context: LambdaContext) -> None:
    job_id = record.body.job_id
    done = ops.dry_runs.resume(job_id, lambda_context.get_remaining_time_in_millis, margin_ms)
    logger.info("dry run " + ("complete" if done else "continues"), extra={"job_id": job_id})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=go_on, processor=processor, context=context
    )


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
