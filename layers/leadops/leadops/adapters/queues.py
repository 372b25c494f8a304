"""SQS: leadops' queues (the only code that sends to them)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from leadops.adapters import aws

if TYPE_CHECKING:  # the Zendesk module (urllib3, its models) only where tickets are handled
    from leadops.tickets import SupportTicket


class SupportQueue:
    def __init__(self, queue_url: str) -> None:
        self.url = queue_url

    def send(self, ticket: SupportTicket) -> None:
        aws.client("sqs").send_message(QueueUrl=self.url, MessageBody=ticket.model_dump_json())


class TaskQueue:
    """A work queue (the sweep's segments): sends in batches of 10, the SQS maximum."""

    def __init__(self, queue_url: str) -> None:
        self.url = queue_url

    def send_all(self, bodies: list[str]) -> None:
        sqs = aws.client("sqs")
        for start in range(0, len(bodies), 10):
            entries = [
                {"Id": str(i), "MessageBody": body}
                for i, body in enumerate(bodies[start : start + 10])
            ]
            answer = sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
            if answer.get("Failed"):
                raise RuntimeError(f"{len(answer['Failed'])} sweep tasks were not queued")


class EnrichmentQueue:
    """Leads whose enrichment missed the webhook's deadline (issue 13): the message is the lead
    id alone, the worker reads the rest (a lead not stored yet fails the record: retried)."""

    def __init__(self, queue_url: str) -> None:
        self.url = queue_url

    def send(self, lead_id: str) -> None:
        body = json.dumps({"lead_id": lead_id})
        aws.client("sqs").send_message(QueueUrl=self.url, MessageBody=body)
