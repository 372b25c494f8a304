"""SQS records as pydantic models, for the queue workers that make one request per record.

Powertools' ``BatchProcessor`` parses each record with the worker's model, calls the record
handler with it, and reports back only the records that failed (partial batch failure), so SQS
redelivers just those and, after maxReceiveCount, moves them to the DLQ. A record whose body
the model refuses fails alone, logged by field and error type, never by value (bodies carry
PII). A batch where every record fails raises, as Powertools does, so nothing is lost.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import BatchSqsTypeModel
from aws_lambda_powertools.utilities.parser.models import (
    SqsAttributesModel,
    SqsMsgAttributeModel,
    SqsRecordModel,
)
from pydantic import BaseModel, ConfigDict, Field, Json, ValidationError

from leadops.ports import RemainingTime
from leadops.services.sweep import SweepTask

logger = Logger(child=True)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Attributes(SqsAttributesModel):
    """SQS's metadata, every field optional: only the message id and the body are read, and the
    records of the local runner and the tests leave the metadata out."""

    ApproximateReceiveCount: str = "1"
    ApproximateFirstReceiveTimestamp: datetime = _EPOCH
    SenderId: str = ""
    SentTimestamp: datetime = _EPOCH


class QueueRecord(SqsRecordModel):
    """Powertools' SQS record model; subclasses declare ``body: Json[TheirModel]``."""

    model_config = ConfigDict(
        defer_build=True, hide_input_in_errors=True
    )  # a refused body's values stay out

    receiptHandle: str = ""
    attributes: _Attributes = _Attributes()
    messageAttributes: dict[str, SqsMsgAttributeModel] = Field(default_factory=dict)
    md5OfBody: str = ""
    eventSourceARN: str = ""
    awsRegion: str = ""


class RecordProcessor(BatchProcessor):
    """A ``BatchProcessor`` for ``model`` that logs a refused record as ``refused``."""

    def __init__(self, model: BatchSqsTypeModel, refused: str) -> None:
        super().__init__(event_type=EventType.SQS, model=model)
        self.refused = refused

    def failure_handler(self, record: Any, exception: Any) -> Any:
        error = exception[1]
        model = getattr(self.model, "__name__", None)
        if isinstance(error, ValidationError) and error.title == model:  # the record's model
            problems = error.errors()
            logger.error(
                self.refused,
                extra={"fields": [_field(p["loc"]) for p in problems],
                       "types": [p["type"] for p in problems]},
            )  # fmt: skip
        return super().failure_handler(record, exception)


def deadline_of(context: RemainingTime | None, margin_s: float) -> float | None:
    """The ``time.monotonic()`` instant a worker must be done by: ``margin_s`` before Lambda
    would stop it (time left to answer, and to log). None without a context (no budget)."""
    if context is None:
        return None
    return time.monotonic() + context.get_remaining_time_in_millis() / 1000 - margin_s


def _field(location: tuple[int | str, ...]) -> str:
    """A body field's path ("company.name"); "body" for the body as a whole (not JSON)."""
    inside = location[1:] if location[:1] == ("body",) else location
    return ".".join(map(str, inside)) or "body"


class DryRunContinuation(BaseModel):
    job_id: str


class DryRunRecord(QueueRecord):
    """A dry run to go on with (the rulebook API queues one when its budget runs out)."""

    body: Json[DryRunContinuation]


class SweepRecord(QueueRecord):
    """One parallel-scan segment of a routing sweep (or the rest of one)."""

    body: Json[SweepTask]
