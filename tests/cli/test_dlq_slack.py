"""Issue 14's "done when" for Slack, end to end on moto: Slack down -> the message waits in the
Slack queue, moves to the DLQ after maxReceiveCount deliveries, `leadops dlq list slack` shows
it by id, `leadops dlq redrive slack` sends it back once Slack is up, and the rep gets exactly
one message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from pytest_httpserver import HTTPServer

from leadops_local.runtime import LocalFunction, environment
from leadops_local.template import SamTemplate
from tests.cli.conftest import Cli
from tests.handlers.test_slack_notify import CHANNEL, POST, TOKEN, fake_slack, qualified
from tests.helpers import stack_with

STACK = "leadops-local"


@pytest.fixture
def stack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamTemplate]:
    """The Slack-enabled stack, and a CloudFormation stack on moto with its outputs (what a
    deployed stack offers the CLI)."""
    parameters = {"SlackChannel": CHANNEL, "SlackApiUrl": httpserver.url_for("").rstrip("/")}
    with stack_with(monkeypatch, parameters, {"SlackBotTokenSecret": TOKEN}) as template:
        outputs = {
            "SlackDeadLetterQueueUrl": {"Value": template.queue_url("SlackDeadLetterQueue")},
            "SupportTicketsDeadLetterQueueUrl": {
                "Value": template.queue_url("SupportTicketsDeadLetterQueue")
            },
        }
        body = {"Resources": {"Marker": {"Type": "AWS::SQS::Queue"}}, "Outputs": outputs}
        boto3.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(body))
        monkeypatch.setenv("LEADOPS_STACK", STACK)
        yield template


def poll_once(stack: SamTemplate, url: str) -> int:
    """What Lambda's SQS poller does once: receive, invoke, delete what succeeded. A failed
    message is visible again at once here (in AWS, after the visibility timeout)."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, VisibilityTimeout=0)
    records = [
        {"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"}
        for m in messages.get("Messages", [])
    ]
    if not records:
        return 0
    worker = LocalFunction(stack.function("SlackNotifyFunction"))
    with environment(worker.env):
        try:
            answer: dict[str, Any] = worker.handler()({"Records": records}, worker.context())
            failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        except BatchProcessingError:
            failed = {r["messageId"] for r in records}
    for message in messages["Messages"]:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return len(records)


def test_slack_down_parks_the_message_and_a_redrive_delivers_it_once(
    stack: SamTemplate, httpserver: HTTPServer, cli: Cli
) -> None:
    httpserver.expect_request(POST, method="POST").respond_with_json(
        {"ok": False, "error": "service_unavailable"}, status=503
    )
    answer = qualified(stack, slack_user_id="U0GRACE01")
    queue = stack.queue_url("SlackQueue")
    deliveries = 0
    while poll_once(stack, queue):  # 5 deliveries (maxReceiveCount), then SQS moves it
        deliveries += 1
        assert deliveries <= 10
    assert deliveries == 5

    listed = cli("dlq", "list", "slack", "--json").json()["messages"]
    assert [(m["lead_id"], m["event"]) for m in listed] == [(answer["lead_id"], "lead.qualified")]
    assert cli("dlq", "redrive", "slack").code == 0
    assert cli("dlq", "list", "slack", "--json").json()["messages"] == []

    httpserver.clear()  # Slack is back
    posted = fake_slack(httpserver)
    assert poll_once(stack, queue) == 1
    assert poll_once(stack, queue) == 0
    assert [m["channel"] for m in posted] == ["U0GRACE01"]
