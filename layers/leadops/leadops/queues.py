"""SQS: the support-ticket queue (the only code that sends to it)."""

from __future__ import annotations

from leadops import aws
from leadops.zendesk import SupportTicket


class SupportQueue:
    def __init__(self, queue_url: str) -> None:
        self.url = queue_url

    def send(self, ticket: SupportTicket) -> None:
        aws.client("sqs").send_message(QueueUrl=self.url, MessageBody=ticket.model_dump_json())
