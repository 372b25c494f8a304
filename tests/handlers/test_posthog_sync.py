"""ICP score sync to PostHog: lead.qualified on the bus -> (EventBridge rule) -> ICP-sync queue
-> the worker -> one batched $set request to a PostHog stand-in on 127.0.0.1."""

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from pytest_httpserver import HTTPServer

from leadops_local.provision import provision
from leadops_local.runtime import LambdaContext, LocalFunction, environment
from leadops_local.template import SamTemplate
from tests.helpers import (
    SALES,
    TEMPLATE,
    WEBHOOK_SECRET,
    add_rep,
    deliver,
    hanging_stand_in,
    intercepting_aws,
)

KEY = "phc_test_project_key"


@contextmanager
def stack_on(
    server: HTTPServer, monkeypatch: pytest.MonkeyPatch, **parameters: str
) -> Iterator[SamTemplate]:
    """template.yaml with a PostHogHost (so the sync exists), on in-process moto."""
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", WEBHOOK_SECRET)
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_PostHogKeySecret", KEY)
    host = server.url_for("").rstrip("/")
    template = SamTemplate.load(TEMPLATE, {"PostHogHost": host, **parameters})
    with mock_aws():
        provision(template, None)
        yield template


@pytest.fixture
def stack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamTemplate]:
    with stack_on(httpserver, monkeypatch) as template:
        yield template


def _qualified_lead(stack: SamTemplate, body: dict[str, Any]) -> dict[str, Any]:
    add_rep(LocalFunction(stack.function("LeadsApiFunction")), "tae-1")
    status, answer = deliver(LocalFunction(stack.function("WebhookFunction")), body)
    assert status == 200
    return answer


def _messages(stack: SamTemplate) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=stack.physical_name("IcpSyncQueue"))["QueueUrl"]
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [{"messageId": m["MessageId"], "body": m["Body"]} for m in found]


def _sync(stack: SamTemplate, records: list[dict[str, Any]]) -> dict[str, Any]:
    worker = LocalFunction(stack.function("PostHogSyncFunction"))
    answer: dict[str, Any] = worker.invoke({"Records": records})
    return answer


def test_a_qualified_lead_sets_its_icp_score_in_posthog(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/batch/", method="POST").respond_with_json({"status": 1})
    answer = _qualified_lead(stack, SALES)
    records = _messages(stack)
    assert len(records) == 1
    assert _sync(stack, records) == {"batchItemFailures": []}
    ((request, _),) = httpserver.log
    sent = request.get_json()
    assert sent["api_key"] == KEY
    (event,) = sent["batch"]
    assert (event["event"], event["distinct_id"]) == ("$set", SALES["email"])
    assert event["properties"]["$set"] == {
        "icp_score": answer["icp_score"],
        "icp_tier": answer["icp_tier"],
    }
    # The same score again (a redelivery): nothing is re-sent.
    assert _sync(stack, records) == {"batchItemFailures": []}
    assert len(httpserver.log) == 1


def test_posthog_down_fails_the_batch_and_a_later_retry_delivers(
    stack: SamTemplate, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _qualified_lead(stack, SALES)
    records = _messages(stack)
    httpserver.expect_request("/batch/", method="POST").respond_with_data("down", status=500)
    failed = _sync(stack, records)["batchItemFailures"]
    assert [f["itemIdentifier"] for f in failed] == [r["messageId"] for r in records]
    httpserver.clear()
    httpserver.expect_request("/batch/", method="POST").respond_with_json({"status": 1})
    assert _sync(stack, records) == {"batchItemFailures": []}
    assert httpserver.log[-1][0].get_json()["batch"][0]["distinct_id"] == SALES["email"]


def test_an_unreadable_message_fails_alone(stack: SamTemplate, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/batch/", method="POST").respond_with_json({"status": 1})
    _qualified_lead(stack, SALES)
    records = [*_messages(stack), {"messageId": "junk", "body": "not json"}]
    assert _sync(stack, records) == {"batchItemFailures": [{"itemIdentifier": "junk"}]}
    assert len(httpserver.log) == 1


def test_no_posthog_host_means_no_sync_resources(template: SamTemplate) -> None:
    assert "PostHogSyncFunction" not in {f.logical_id for f in template.functions()}
    assert not template.exists("IcpSyncQueue")


def test_the_event_uuid_is_derived_from_the_person_and_the_values() -> None:
    """PostHog takes a client uuid but does not promise to de-duplicate by it ("deduping based
    on event UUID is not guaranteed due to how merges work in ClickHouse", its
    ingestion-warnings page): the uuid is stable across retries, and a duplicate $set of the
    same values is harmless either way."""
    from leadops.adapters.posthog import IcpUpdate

    first = IcpUpdate("a@acme.io", 12, "high", "v1")
    assert first.event_uuid == IcpUpdate("a@acme.io", 12, "high", "v1").event_uuid
    assert first.event_uuid != IcpUpdate("a@acme.io", 11, "low", "v1").event_uuid
    assert first.event_uuid != IcpUpdate("a@acme.io", 12, "high", "v2").event_uuid
    # PostHog takes the event's uuid as a canonical UUID string
    assert str(uuid.UUID(first.event_uuid)) == first.event_uuid


@pytest.fixture
def hanging_posthog() -> Iterator[HTTPServer]:
    with hanging_stand_in("/batch/") as (server, _):
        yield server


def test_a_posthog_that_hangs_past_the_timeout_is_a_retryable_failure(
    hanging_posthog: HTTPServer,
) -> None:
    """Timed out, retried, then a retryable error: the worker reports the batch failed (and
    SQS retries it)."""
    from leadops.adapters.posthog import IcpUpdate, PostHogClient, PostHogError

    host = hanging_posthog.url_for("").rstrip("/")
    client = PostHogClient(host, KEY, timeout_s=0.2, retries=1)
    started = time.monotonic()
    with pytest.raises(PostHogError) as raised:
        client.send([IcpUpdate("a@acme.io", 12, "high", "v1")])
    assert raised.value.retryable
    assert time.monotonic() - started < 1.5


# --- one bad or repeated record affects only itself ---------------------------------------------
def _refusing_duplicate_keys(call: Any, client: Any, operation: str, params: dict[str, Any]) -> Any:
    """DynamoDB's BatchGetItem refuses a request naming one key twice (moto does not)."""
    if operation == "BatchGetItem":
        for request in params["RequestItems"].values():
            keys = [json.dumps(key, sort_keys=True) for key in request["Keys"]]
            if len(keys) != len(set(keys)):
                error = {"Code": "ValidationException",
                         "Message": "Provided list of item keys contains duplicates"}  # fmt: skip
                raise ClientError({"Error": error}, operation)
    return call(client, operation, params)


def test_a_lead_delivered_twice_in_a_batch_is_sent_once_and_both_succeed(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    """SQS and EventBridge both deliver at least once: a batch may hold one lead twice."""
    httpserver.expect_request("/batch/", method="POST").respond_with_json({"status": 1})
    _qualified_lead(stack, SALES)
    (record,) = _messages(stack)
    again = {**record, "messageId": "again"}
    with intercepting_aws(_refusing_duplicate_keys):
        assert _sync(stack, [record, again]) == {"batchItemFailures": []}
    ((request, _),) = httpserver.log
    assert [event["distinct_id"] for event in request.get_json()["batch"]] == [SALES["email"]]


def test_a_null_icp_score_fails_its_record_alone(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/batch/", method="POST").respond_with_json({"status": 1})
    _qualified_lead(stack, SALES)
    (record,) = _messages(stack)
    body = json.loads(record["body"])
    body["detail"]["icp_score"] = None
    broken = {"messageId": "null-score", "body": json.dumps(body)}
    answer = _sync(stack, [broken, record])
    assert answer == {"batchItemFailures": [{"itemIdentifier": "null-score"}]}
    ((request, _),) = httpserver.log
    assert len(request.get_json()["batch"]) == 1


# --- which PostHog person ---------------------------------------------------------------------
def test_the_form_s_posthog_distinct_id_is_the_person_when_configured(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostHog's capture API: "Every event request must contain an api_key, distinct_id, and
    event field"; a person property is set by "a `$set` event with a `$set` property"; the
    /batch/ endpoint takes ``{"api_key": ..., "batch": [event, ...]}``. With
    PostHogDistinctId=form_field the event's distinct_id is the form's posthog_distinct_id,
    and the email for a submission without one."""
    httpserver.expect_request("/batch/", method="POST").respond_with_json({"status": 1})
    with stack_on(httpserver, monkeypatch, PostHogDistinctId="form_field") as stack:
        _qualified_lead(stack, {**SALES, "posthog_distinct_id": "0190a1b2-visitor"})
        other = {**SALES, "submission_id": "sub-2", "email": "grace@acme-analytics.io"}
        status, _ = deliver(LocalFunction(stack.function("WebhookFunction")), other)
        assert status == 200
        records = _messages(stack)
        assert len(records) == 2
        assert _sync(stack, records) == {"batchItemFailures": []}
    ((request, _),) = httpserver.log
    sent = request.get_json()
    assert sent["api_key"] == KEY
    assert {event["distinct_id"] for event in sent["batch"]} == {
        "0190a1b2-visitor",
        "grace@acme-analytics.io",
    }
    assert all(event["event"] == "$set" for event in sent["batch"])
    assert all(set(event["properties"]["$set"]) == {"icp_score", "icp_tier"}
               for event in sent["batch"])  # fmt: skip


def test_by_default_the_email_is_the_person_even_with_the_form_field(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/batch/", method="POST").respond_with_json({"status": 1})
    _qualified_lead(stack, {**SALES, "posthog_distinct_id": "0190a1b2-visitor"})
    assert _sync(stack, _messages(stack)) == {"batchItemFailures": []}
    ((request, _),) = httpserver.log
    assert request.get_json()["batch"][0]["distinct_id"] == SALES["email"]


# --- the Lambda's budget -----------------------------------------------------------------------
def test_a_hanging_posthog_fails_the_batch_within_the_lambda_budget(
    monkeypatch: pytest.MonkeyPatch, hanging_posthog: HTTPServer
) -> None:
    """PostHog hangs (4 s a try, 3 tries: 12 s and more). With 5 s left the worker ends its
    request 3 s before the timeout and reports the batch failed, rather than being killed."""
    with stack_on(hanging_posthog, monkeypatch) as stack:
        _qualified_lead(stack, SALES)
        records = _messages(stack)
        worker = LocalFunction(stack.function("PostHogSyncFunction"))
        handler = worker.handler()
        context = LambdaContext("PostHogSyncFunction", 512, timeout_s=5)
        started = time.monotonic()
        with environment(worker.env):
            answer = handler({"Records": records}, context)
        assert time.monotonic() - started < 5.0
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    assert failed == [r["messageId"] for r in records]
