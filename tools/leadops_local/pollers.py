"""Local event-source mappings: what Lambda does for an SQS trigger — receive a batch, invoke
the function, delete the messages it did not report as failed (partial batch responses) and
leave the rest to become visible again (and, past maxReceiveCount, to go to the DLQ)."""

from __future__ import annotations

import sys
import threading
import traceback
from typing import Any

import boto3

from leadops_local.runtime import LocalFunction
from leadops_local.template import ACCOUNT_ID, REGION, QueueTrigger, SamTemplate


class QueuePoller(threading.Thread):
    def __init__(self, trigger: QueueTrigger, function: LocalFunction, template: SamTemplate,
                 endpoint: str, stop: threading.Event) -> None:  # fmt: skip
        super().__init__(name=f"poll-{trigger.queue}", daemon=True)
        self.trigger, self.function, self.stop = trigger, function, stop
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
        name = template.physical_name(trigger.queue)
        self.url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        self.arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.poll_once(wait_s=1)
            except Exception:  # keep polling, as Lambda's poller does; the trace is the log
                traceback.print_exc()
                self.stop.wait(1)

    def poll_once(self, wait_s: int = 0) -> int:
        """One receive-invoke-delete round; returns how many messages it handled."""
        answer = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(self.trigger.batch_size, 10),
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._record(message) for message in messages]}
        try:
            result = self.function.invoke(event)
        except Exception:  # the whole batch failed: every message comes back later
            traceback.print_exc()
            return len(messages)
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        print(
            f"SQS {self.trigger.queue} -> {self.trigger.function}: "
            f"{len(messages) - len(failed)} done, {len(failed)} failed",
            file=sys.stderr,
            flush=True,
        )
        return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": REGION,
        }
