"""Scheduled: start a routing sweep, one SQS task per parallel-scan segment."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

import uuid
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters.queues import TaskQueue
from leadops.services.sweep import plan
from leadops.settings import SweepPlannerSettings

logger = Logger()
settings = SweepPlannerSettings.from_env()
tasks = TaskQueue(settings.sweep_queue_url)
segments = settings.sweep_segments


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sweep_id = str(event.get("id") or uuid.uuid4())  # the EventBridge event id, when scheduled
    planned = plan(sweep_id, segments)
    tasks.send_all([task.model_dump_json() for task in planned])
    logger.info("sweep planned", extra={"sweep_id": sweep_id, "segments": segments})
    return {"sweep_id": sweep_id, "segments": segments}


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
