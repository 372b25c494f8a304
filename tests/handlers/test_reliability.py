"""Reliability under concurrency and duplicates (issue 6): fair round robin from 8 threads, and
one lead / one ticket however often a submission arrives."""

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leadops.adapters.leads_table import AccountProfile, Pools, Reps, keys
from leadops.assignment import Rep, RepRole, pick
from leadops.lead_record import StoredLead
from leadops_local.runtime import LocalFunction, environment
from leadops_local.template import SamTemplate
from tests.helpers import (
    SALES,
    FunctionUnderTest,
    add_rep,
    container_per_thread,
    http_event,
    intercepting_aws,
    serialised_moto,
    signed,
    stored_leads,
    stored_profiles,
)

THREADS, EACH = 8, 500
WEIGHTS = {"a": 1, "b": 1, "c": 2}


@pytest.fixture
def table(aws: SamTemplate) -> Pools:
    reps = Reps(aws.physical_name("LeadsTable"))
    for rep_id, weight in {**WEIGHTS, "off": 3}.items():
        reps.put(
            Rep(rep_id=rep_id, name=rep_id, email=f"{rep_id}@s.io", role=RepRole.TAE,
                team="nb", territory="EMEA", weight=weight, active=rep_id != "off")
        )  # fmt: skip
    return Pools(reps.name)


def _assign_concurrently(next_owner: Callable[[], str]) -> Counter[str]:
    with serialised_moto(), ThreadPoolExecutor(max_workers=THREADS) as pool:
        batches = pool.map(lambda _: [next_owner() for _ in range(EACH)], range(THREADS))
        return Counter(owner for batch in batches for owner in batch)


def _fair(owners: Counter[str]) -> bool:
    total = sum(owners.values())
    share = {rep: total * weight / sum(WEIGHTS.values()) for rep, weight in WEIGHTS.items()}
    return set(owners) <= set(WEIGHTS) and all(
        abs(owners[rep] - share[rep]) <= 1 for rep in WEIGHTS
    )


def test_round_robin_is_fair_from_8_threads(table: Pools) -> None:
    def next_owner() -> str:
        pool = table.take_position(RepRole.TAE, "EMEA")
        rep = pick(pool.reps, pool.position)
        assert rep is not None
        return rep.rep_id

    owners = _assign_concurrently(next_owner)
    assert sum(owners.values()) == THREADS * EACH
    assert owners["off"] == 0
    assert _fair(owners), owners
    assert _slots_used(table) == THREADS * EACH  # every assignment had a slot of its own


def _slots_used(table: Pools) -> int:
    key = keys.pool(RepRole.TAE, "EMEA").typed
    item = boto3.client("dynamodb").get_item(TableName=table.name, Key=key)["Item"]
    return int(item["position"]["N"])


def test_a_naive_read_modify_write_counter_would_fail_this_test(table: Pools) -> None:
    """The same test against read-then-write: threads read the same position and double up."""
    db = boto3.client("dynamodb")
    key = keys.pool(RepRole.TAE, "EMEA").typed
    reps = table.take_position(RepRole.TAE, "EMEA").reps

    def next_owner() -> str:
        item = db.get_item(TableName=table.name, Key=key)["Item"]
        position = int(item.get("position", {"N": "0"})["N"])
        time.sleep(0)  # let another thread run between the read and the write, as Lambdas do
        db.update_item(
            TableName=table.name,
            Key=key,
            UpdateExpression="SET #p = :p",
            ExpressionAttributeNames={"#p": "position"},
            ExpressionAttributeValues={":p": {"N": str(position + 1)}},
        )
        rep = pick(reps, position)
        assert rep is not None
        return rep.rep_id

    owners = _assign_concurrently(next_owner)
    # The check the real counter passes fails here: threads read the same slot, so two leads
    # went to the same place in the cycle and slots were lost.
    assert not (_fair(owners) and _slots_used(table) == THREADS * EACH + 1)


# --- duplicates ---------------------------------------------------------------------------------
@pytest.fixture
def zendesk(httpserver: HTTPServer) -> Counter[str]:
    """A Zendesk stand-in that honours Idempotency-Key; counts tickets per key (the submission
    id, also the ticket's external_id, which the lookup before each create asks for)."""
    created: Counter[str] = Counter()

    def create(request: Request) -> Response:
        key = request.headers["Idempotency-Key"]
        created[key] += 0 if key in created else 1
        return Response(json.dumps({"ticket": {"id": 7}}), 201, content_type="application/json")

    def find(request: Request) -> Response:
        found = [{"id": 7}] if request.args["external_id"] in created else []
        return Response(json.dumps({"tickets": found}), 200, content_type="application/json")

    httpserver.expect_request("/api/v2/tickets.json", method="POST").respond_with_handler(create)
    httpserver.expect_request("/api/v2/tickets.json", method="GET").respond_with_handler(find)
    return created


def _drain_tickets(aws: SamTemplate, httpserver: HTTPServer) -> int:
    """Run the support-ticket worker over everything queued; returns the messages handled."""
    worker = LocalFunction(
        aws.function("SupportTicketsFunction"),
        {
            "ZENDESK_BASE_URL": httpserver.url_for(""),
            "ZENDESK_SECRET_ARN": aws.ref("ZendeskSecret"),
        },
    )
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=aws.physical_name("SupportTicketsQueue"))["QueueUrl"]
    handled = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        records = [
            {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
             "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
             "eventSourceARN": aws.get_att("SupportTicketsQueue", "Arn"), "awsRegion": "us-east-1",
             "md5OfBody": ""}
            for m in messages
        ]  # fmt: skip
        assert worker.invoke({"Records": records}) == {"batchItemFailures": []}
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += len(messages)
    return handled


@pytest.mark.parametrize("kind", ["sales", "support"])
def test_20_deliveries_sequential_and_from_8_threads_make_one_lead_and_one_ticket(
    aws: SamTemplate,
    load_function: Any,
    zendesk: Counter[str],
    httpserver: HTTPServer,
    kind: str,
) -> None:
    add_rep(load_function("LeadsApiFunction"), "tae-1")
    body = SALES if kind == "sales" else {**SALES, "message": "billing error: refund please"}
    raw = json.dumps(body)
    webhook: FunctionUnderTest = load_function("WebhookFunction")
    invoke = container_per_thread(webhook)  # 8 threads: 8 warm containers

    def deliver_once(_: int) -> str:
        event = http_event("POST", "/webhooks/demo-request", raw, headers=signed(raw))
        response = invoke(event)
        assert response["statusCode"] == 200, response
        return str(response["body"])

    with environment(webhook.env):
        with serialised_moto(), ThreadPoolExecutor(max_workers=8) as pool:
            concurrent = list(pool.map(deliver_once, range(20)))  # all new: they race
        sequential = [deliver_once(i) for i in range(20)]  # all replays
    assert len(set(sequential + concurrent)) == 1
    assert len(stored_leads(aws)) == 1
    if kind == "support":
        assert _drain_tickets(aws, httpserver) >= 1
        assert sum(zendesk.values()) == 1


# --- faults on every write of the webhook path --------------------------------------------------
@contextmanager
def failing(operation: str, code: str = "ProvisionedThroughputExceededException") -> Iterator[None]:
    """``operation`` fails (after botocore's own retries) every time while inside."""
    from botocore.exceptions import ClientError

    def maybe_fail(call: Any, client: Any, name: str, params: dict[str, Any]) -> Any:
        if name == operation:
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, name)
        return call(client, name, params)

    with intercepting_aws(maybe_fail):
        yield


def _lead_items(aws: SamTemplate) -> list[StoredLead | AccountProfile]:
    """The leads and account profiles stored (what a submission's transaction writes)."""
    return [*stored_leads(aws), *stored_profiles(aws).values()]


@pytest.mark.parametrize(
    ("kind", "operation", "status_while_failing"),
    [
        ("sales", "BatchGetItem", 503),
        ("sales", "UpdateItem", 503),
        ("sales", "TransactWriteItems", 503),
        ("sales", "PutEvents", 200),  # after the lead is stored: answered, the failure logged
        ("support", "SendMessage", 503),
        ("support", "TransactWriteItems", 503),
    ],
)
def test_a_failing_write_stores_all_or_nothing_and_a_retry_succeeds(
    aws: SamTemplate, load_function: Any, kind: str, operation: str, status_while_failing: int
) -> None:
    add_rep(load_function("LeadsApiFunction"), "tae-1")
    body = SALES if kind == "sales" else {**SALES, "message": "billing error: refund please"}
    webhook: FunctionUnderTest = load_function("WebhookFunction")
    raw = json.dumps(body)
    with failing(operation):
        first = webhook.invoke(
            http_event("POST", "/webhooks/demo-request", raw, headers=signed(raw))
        )
    assert first["statusCode"] == status_while_failing
    stored = _lead_items(aws)
    if status_while_failing >= 500:
        assert stored == [], "a 5xx must leave nothing behind"
    retry = webhook.invoke(http_event("POST", "/webhooks/demo-request", raw, headers=signed(raw)))
    assert retry["statusCode"] == 200
    leads = stored_leads(aws)
    assert len(leads) == 1
    if status_while_failing == 200:
        assert retry["body"] == first["body"]
