"""`leadops dlq list|redrive <destination>`: what a destination's dead-letter queue holds, and
sending it back to the destination's queue.

The stack is found by name (``--stack`` or LEADOPS_STACK) through CloudFormation: each
destination's DLQ is a stack output (``SlackDeadLetterQueueUrl``, ...), and its source queue is
the one whose redrive policy points at it (SQS ``ListDeadLetterSourceQueues``). AWS is reached
with botocore's usual chain (``--profile``, ``--region``, AWS_ENDPOINT_URL for a local moto).

Nothing personal is printed: a listing shows the message id, its age, its receive count and the
ids found in the body (lead, submission, event); never emails, names or message text.

Redrive is receive -> send to the source queue -> delete, ten at a time: a message is deleted
from the DLQ only after the send succeeded, so a failure half-way leaves it in the DLQ (visible
again after ``HOLD_S``), never lost. SQS's own ``StartMessageMoveTask`` would do the same
server-side; it is not used because the local stack (moto) does not implement it, and the
batches here report progress as they go.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadops_cli.api import CliError, InputError

STACK_ENV = "LEADOPS_STACK"
# destination -> (stack output with the DLQ's URL, what turns the destination on)
DESTINATIONS: dict[str, tuple[str, str]] = {
    "support-tickets": ("SupportTicketsDeadLetterQueueUrl", "always deployed"),
    "posthog": ("IcpSyncDeadLetterQueueUrl", "the PostHogHost parameter"),
    "slack": ("SlackDeadLetterQueueUrl", "the SlackChannel parameter"),
    "salesforce": ("SalesforceDeadLetterQueueUrl", "the Salesforce parameters"),
    "hubspot": ("HubSpotDeadLetterQueueUrl", "the HubSpot parameters"),
}
BATCH = 10  # SQS's receive / send / delete batch maximum
HOLD_S = 60  # a received message stays invisible this long while it is moved
LIST_HOLD_S = 20  # ... or while the listing pages through the queue
# Long polling: SQS then asks all its servers, so an empty answer means an empty queue (a short
# poll samples some and can answer empty while messages wait); only the last receive waits.
WAIT_S = 1
# Body keys shown by a listing: ids only (an EventBridge event's ``id`` is shown as event_id).
ID_KEYS = ("lead_id", "submission_id", "owner_id")


@dataclass(frozen=True)
class Queues:
    destination: str
    dlq_url: str
    source_url: str


def resolve(destination: str, stack: str | None, sqs: Any, cloudformation: Any) -> Queues:
    """The destination's DLQ and source queue in ``stack``; a clear error when the destination
    is unknown, the stack missing, or the destination not deployed in it."""
    if destination not in DESTINATIONS:
        known = ", ".join(DESTINATIONS)
        raise InputError(f"unknown destination {destination!r}: one of {known}")
    if not stack:
        raise InputError(f"which stack? pass --stack or set {STACK_ENV}")
    output, switch = DESTINATIONS[destination]
    outputs = _outputs(cloudformation, stack)
    if output not in outputs:
        raise CliError(
            f"{destination} is not deployed in stack {stack!r} (no {output} output)",
            details=[f"it is turned on by {switch}"],
        )
    dlq = outputs[output]
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq).get("queueUrls", [])
    if len(sources) != 1:
        raise CliError(
            f"{destination}: expected one queue redriving to {dlq}, found {len(sources)}"
        )
    return Queues(destination, dlq, sources[0])


def _outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise CliError(f"stack {stack!r}: {error.response['Error'].get('Message')}") from None
    except BotoCoreError as error:
        raise CliError(f"AWS: {error}") from None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def _received(sqs: Any, url: str, hold_s: int) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=BATCH,
        VisibilityTimeout=hold_s,
        WaitTimeSeconds=WAIT_S,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    return list(answer.get("Messages", []))


def parked(sqs: Any, queues: Queues, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every message in the DLQ as ids and counts; each is visible again when this returns."""
    now = now or datetime.now(UTC)
    seen: dict[str, dict[str, Any]] = {}
    handles: list[str] = []
    while batch := [
        m for m in _received(sqs, queues.dlq_url, LIST_HOLD_S) if m["MessageId"] not in seen
    ]:
        for message in batch:
            seen[message["MessageId"]] = describe(message, now)
            handles.append(message["ReceiptHandle"])
    for start in range(0, len(handles), BATCH):  # back to visible: the listing moved nothing
        entries = [
            {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
            for i, h in enumerate(handles[start : start + BATCH])
        ]
        sqs.change_message_visibility_batch(QueueUrl=queues.dlq_url, Entries=entries)
    return sorted(seen.values(), key=lambda row: row["age_s"], reverse=True)


def describe(message: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A message as ids and counts: never its body's other fields."""
    attributes = message.get("Attributes", {})
    sent_ms = int(attributes.get("SentTimestamp", "0") or 0)
    age = (now - datetime.fromtimestamp(sent_ms / 1000, UTC)).total_seconds() if sent_ms else None
    row: dict[str, Any] = {
        "message_id": message["MessageId"],
        "age_s": int(age) if age is not None else None,
        "receive_count": int(attributes.get("ApproximateReceiveCount", "0") or 0),
    }
    return row | ids_in(message.get("Body", ""))


def ids_in(body: str) -> dict[str, str]:
    """The ids a body carries: an EventBridge event's id and detail-type, and lead / submission
    / owner ids at its top level or in its ``detail``. Nothing else is read out of it."""
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(document, dict):
        return {}
    found: dict[str, str] = {}
    if "detail" in document and isinstance(document.get("id"), str):
        found["event_id"] = document["id"]
        if isinstance(document.get("detail-type"), str):
            found["event"] = document["detail-type"]
    for place in (document, document.get("detail")):
        if isinstance(place, dict):
            found |= {k: str(place[k]) for k in ID_KEYS if isinstance(place.get(k), str | int)}
    return found


@dataclass
class Progress:
    moved: int = 0
    failed: int = 0
    parked: int = 0  # SQS's approximate count when the redrive started


def redrive(
    sqs: Any, queues: Queues, report: Callable[[Progress], None], limit: int | None = None
) -> Progress:
    """Move the DLQ's messages back to the source queue, ``BATCH`` at a time; a message is
    deleted from the DLQ only once the source queue has it."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queues.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    progress = Progress(parked=int(attributes.get("ApproximateNumberOfMessages", 0)))
    for batch in _batches(sqs, queues.dlq_url, limit, progress):
        entries = {str(i): m for i, m in enumerate(batch)}
        answer = sqs.send_message_batch(
            QueueUrl=queues.source_url,
            Entries=[_resent(i, m) for i, m in entries.items()],
        )
        sent = [entries[ok["Id"]] for ok in answer.get("Successful", [])]
        progress.failed += len(answer.get("Failed", []))
        if sent:
            deleted = sqs.delete_message_batch(
                QueueUrl=queues.dlq_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(sent)
                ],
            )
            progress.moved += len(deleted.get("Successful", []))
        report(progress)
    return progress


def _batches(
    sqs: Any, url: str, limit: int | None, progress: Progress
) -> Iterator[list[dict[str, Any]]]:
    """Received batches until the DLQ answers none (messages held by a failed send stay
    invisible for ``HOLD_S``, so each is tried once per run) or ``limit`` is reached."""
    while limit is None or progress.moved + progress.failed < limit:
        want = BATCH if limit is None else min(BATCH, limit - progress.moved - progress.failed)
        batch = _received(sqs, url, HOLD_S)[:want]
        if not batch:
            return
        yield batch


def _resent(entry_id: str, message: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": entry_id, "MessageBody": message["Body"]}
    if message.get("MessageAttributes"):
        entry["MessageAttributes"] = message["MessageAttributes"]
    return entry


def clients(region: str | None, profile: str | None) -> tuple[Any, Any]:
    """(sqs, cloudformation) from botocore's usual chain; AWS_ENDPOINT_URL is honoured."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
        return session.client("sqs"), session.client("cloudformation")
    except BotoCoreError as error:
        raise CliError(f"AWS: {error}") from None


def age(seconds: int | None) -> str:
    """``3d 4h``, ``5h 10m``, ``12m``, ``40s``."""
    if seconds is None:
        return "-"
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} {seconds % size // sub_size}{sub}"
    return f"{seconds // 60}m" if seconds >= 60 else f"{seconds}s"
