"""ICP score sync to PostHog: lead.qualified on the bus -> (EventBridge rule) -> ICP-sync queue
-> the worker -> one batched $set request to a PostHog stand-in on 127.0.0.1."""

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pytest_httpserver import HTTPServer

from leadops_local.provision import provision
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate
from tests.helpers import SALES, TEMPLATE, WEBHOOK_SECRET, add_rep, deliver

KEY = "phc_test_project_key"


@pytest.fixture
def stack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamTemplate]:
    """template.yaml with a PostHogHost (so the sync exists), on in-process moto."""
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", WEBHOOK_SECRET)
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_PostHogKeySecret", KEY)
    template = SamTemplate.load(TEMPLATE, {"PostHogHost": httpserver.url_for("").rstrip("/")})
    with mock_aws():
        provision(template, None)
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


def test_the_event_uuid_makes_retries_idempotent() -> None:
    from leadops.adapters.posthog import IcpUpdate

    first = IcpUpdate("a@acme.io", 12, "high", "v1")
    assert first.event_uuid == IcpUpdate("a@acme.io", 12, "high", "v1").event_uuid
    assert first.event_uuid != IcpUpdate("a@acme.io", 11, "low", "v1").event_uuid
    assert first.event_uuid != IcpUpdate("a@acme.io", 12, "high", "v2").event_uuid
    # PostHog takes the event's uuid as a canonical UUID string
    assert str(uuid.UUID(first.event_uuid)) == first.event_uuid


def test_a_posthog_that_hangs_past_the_timeout_is_a_retryable_failure() -> None:
    """Timed out, retried, then a retryable error: the worker reports the batch failed (and
    SQS retries it); the hanging request is released so nothing answers late."""
    import threading
    import time

    from werkzeug import Request, Response

    from leadops.adapters.posthog import IcpUpdate, PostHogClient, PostHogError

    release = threading.Event()
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()

    def hang(request: Request) -> Response:
        release.wait(2)
        return Response("{}", status=200, content_type="application/json")

    server.expect_request("/batch/", method="POST").respond_with_handler(hang)
    try:
        client = PostHogClient(server.url_for("").rstrip("/"), KEY, timeout_s=0.2, retries=1)
        started = time.monotonic()
        with pytest.raises(PostHogError) as raised:
            client.send([IcpUpdate("a@acme.io", 12, "high", "v1")])
        assert raised.value.retryable
        assert time.monotonic() - started < 1.5
    finally:
        release.set()
        server.stop()
