"""`leadops dlq list|redrive <destination>` against moto: the stack found through CloudFormation
outputs, the source queue through the DLQ's redrive policy; a listing shows ids only, and a
redrive deletes a message from the DLQ only once its source queue has it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadops_cli.dlq import DESTINATIONS, ids_in
from tests.cli.conftest import Cli, row
from tests.helpers import intercepting_aws

STACK = "leadops-test"
# The stack's destination queues, as template.yaml declares them (a DLQ and the queue that
# redrives to it), with the outputs the CLI reads.
TEMPLATE = {
    "Resources": {
        **{
            f"{name}Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": [f"{name}DeadLetterQueue", "Arn"]},
                        "maxReceiveCount": 5,
                    }
                },
            }
            for name in ("Slack", "SupportTickets")
        },
        "SlackDeadLetterQueue": {"Type": "AWS::SQS::Queue"},
        "SupportTicketsDeadLetterQueue": {"Type": "AWS::SQS::Queue"},
    },
    "Outputs": {
        "SlackDeadLetterQueueUrl": {"Value": {"Ref": "SlackDeadLetterQueue"}},
        "SupportTicketsDeadLetterQueueUrl": {"Value": {"Ref": "SupportTicketsDeadLetterQueue"}},
    },
}


def qualified_event(lead_id: str) -> str:
    """A lead.qualified event as EventBridge hands it to SQS, with personal data in it that a
    listing must not show."""
    return json.dumps(
        {
            "version": "0",
            "id": f"evt-{lead_id}",
            "detail-type": "lead.qualified",
            "source": "leadops",
            "detail": {"lead_id": lead_id, "owner_id": "grace", "email": "ada@acme-analytics.io"},
        }
    )


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The stack on moto: each queue's URL by logical id."""
    monkeypatch.delenv("LEADOPS_STACK", raising=False)
    with mock_aws():
        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
        resources = cloudformation.describe_stack_resources(StackName=STACK)["StackResources"]
        yield {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}


def park(url: str, *bodies: str) -> None:
    for body in bodies:
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody=body)


def bodies(url: str) -> list[str]:
    """Every message body in the queue (received, so the caller sees each once)."""
    sqs, found = boto3.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        found += [message["Body"] for message in batch]
    return found


def test_list_shows_ids_ages_and_receive_counts_never_the_body(
    cli: Cli, queues: dict[str, str]
) -> None:
    park(queues["SlackDeadLetterQueue"], qualified_event("ld_1"), qualified_event("ld_2"))
    result = cli("dlq", "list", "slack", "--stack", STACK)
    assert result.code == 0, result.err
    assert "slack DLQ: 2 message(s) parked" in result.out
    assert row(result.out, "lead.qualified", "evt-ld_1", "ld_1", "owner_id=grace")
    assert "ada@" not in result.out
    listed = cli("dlq", "list", "slack", "--stack", STACK, "--json").json()["messages"]
    assert {m["lead_id"] for m in listed} == {"ld_1", "ld_2"}
    assert all(m["receive_count"] >= 1 and m["age_s"] >= 0 for m in listed)
    assert set(listed[0]) == {"message_id", "age_s", "receive_count", "event", "event_id",
                              "lead_id", "owner_id"}  # fmt: skip
    # Listing moved nothing: both are still there, visible.
    assert len(bodies(queues["SlackDeadLetterQueue"])) == 2


def test_redrive_sends_every_message_back_to_the_destination_queue(
    cli: Cli, queues: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADOPS_STACK", STACK)
    parked = [qualified_event(f"ld_{n}") for n in range(23)]  # three batches
    park(queues["SlackDeadLetterQueue"], *parked)
    result = cli("dlq", "redrive", "slack")
    assert result.code == 0, result.err
    assert "23 message(s) sent back" in result.out
    assert "moved 10 of ~23, failed 0" in result.err  # progress, batch by batch
    assert sorted(bodies(queues["SlackQueue"])) == sorted(parked)
    assert bodies(queues["SlackDeadLetterQueue"]) == []


def test_a_message_the_source_queue_refuses_stays_in_the_dlq(
    cli: Cli, queues: dict[str, str]
) -> None:
    park(queues["SupportTicketsDeadLetterQueue"], '{"submission_id": "s-1"}', '{"x": 2}')

    def refuse_the_first(call: Any, client: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "SendMessageBatch":
            entries = params["Entries"]
            answer = call(client, operation, {**params, "Entries": entries[1:]})
            failure = {"Id": entries[0]["Id"], "SenderFault": False, "Code": "InternalError"}
            return {**answer, "Failed": [*answer.get("Failed", []), failure]}
        return call(client, operation, params)

    with intercepting_aws(refuse_the_first):
        result = cli("dlq", "redrive", "support-tickets", "--stack", STACK)
    assert result.code == 1
    assert "1 message(s) sent back" in result.out
    assert "1 failed (left in the DLQ)" in result.out
    moved = bodies(queues["SupportTicketsQueue"])
    sqs = boto3.client("sqs")
    dlq = queues["SupportTicketsDeadLetterQueue"]
    held = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert len(moved) == 1
    # Still in the DLQ (invisible for a minute after the try, so not received here): nothing lost.
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    in_flight = int(attributes["ApproximateNumberOfMessagesNotVisible"])
    assert len(held) + in_flight == 1


def test_an_unknown_destination_is_a_usage_error_naming_the_known_ones(
    cli: Cli, queues: dict[str, str]
) -> None:
    result = cli("dlq", "list", "zendesk", "--stack", STACK)
    assert result.code == 2
    assert "unknown destination 'zendesk'" in result.err
    assert all(name in result.err for name in DESTINATIONS)


def test_a_destination_not_deployed_in_the_stack_says_what_turns_it_on(
    cli: Cli, queues: dict[str, str]
) -> None:
    result = cli("dlq", "list", "hubspot", "--stack", STACK)
    assert result.code == 1
    assert "hubspot is not deployed in stack 'leadops-test' (no HubSpotDeadLetterQueueUrl" in (
        result.err
    )


def test_a_missing_stack_and_no_stack_at_all_are_clear_errors(
    cli: Cli, queues: dict[str, str]
) -> None:
    missing = cli("dlq", "list", "slack", "--stack", "nope")
    assert missing.code == 1
    assert "stack 'nope'" in missing.err
    unnamed = cli("dlq", "list", "slack")
    assert unnamed.code == 2
    assert "pass --stack or set LEADOPS_STACK" in unnamed.err


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        (
            qualified_event("ld_9"),
            {
                "event_id": "evt-ld_9",
                "event": "lead.qualified",
                "lead_id": "ld_9",
                "owner_id": "grace",
            },
        ),
        (
            '{"submission_id": "s-1", "lead_id": "ld_1", "requester_email": "a@b.io"}',
            {"submission_id": "s-1", "lead_id": "ld_1"},
        ),
        ("not json", {}),
        ('["a@b.io"]', {}),
    ],
)
def test_only_ids_are_read_out_of_a_body(body: str, ids: dict[str, str]) -> None:
    assert ids_in(body) == ids
