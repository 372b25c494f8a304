"""Slack notifications: lead.qualified on the bus -> (EventBridge rule) -> the Slack queue ->
the worker's real ``lambda_handler`` -> ``chat.postMessage`` on a Slack stand-in on 127.0.0.1.

Slack's documented request ("Sending messages", api.slack.com/messaging/sending; the
``chat.postMessage`` reference)::

    POST https://slack.com/api/chat.postMessage
    Content-type: application/json
    Authorization: Bearer xoxb-your-token
    {"channel": "YOUR_CHANNEL_ID", "text": "Hello world :tada:"}

``blocks`` is "a JSON-based array of structured blocks"; "if attachments or blocks are included,
text will be used as fallback text for notifications only". The answer carries ``"ok": true``,
the ``channel`` and the message's ``ts``; failures are ``{"ok": false, "error": "<code>"}``
(``channel_not_found``, ``not_in_channel``, ``invalid_auth``, ...), and a rate limit is
"HTTP 429 Too Many Requests ... and a Retry-After HTTP header containing the number of seconds
until you can retry" (api.slack.com/apis/rate-limits). A member's user id as the ``channel``
posts into the app's direct message with them ("start a DM with a user by calling the
chat.postMessage method and passing the user's ID as the channel parameter")."""

import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leadops.adapters.dynamodb import plain
from leadops.adapters.events import LeadEvents
from leadops_local.runtime import LambdaContext, LocalFunction, environment
from leadops_local.template import SamTemplate
from tests.helpers import SALES, add_rep, deliver, hanging_stand_in, stack_with

TOKEN = "xoxb-test-bot-token"
CHANNEL = "C0LEADS01"
REP_SLACK = "U0GRACE01"
POST = "/chat.postMessage"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json; charset=utf-8"}


@contextmanager
def slack_stack(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamTemplate]:
    """template.yaml with a SlackChannel (so the Slack worker exists) pointing at ``server``."""
    parameters = {"SlackChannel": CHANNEL, "SlackApiUrl": server.url_for("").rstrip("/")}
    with stack_with(monkeypatch, parameters, {"SlackBotTokenSecret": TOKEN}) as template:
        yield template


@pytest.fixture
def stack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamTemplate]:
    with slack_stack(httpserver, monkeypatch) as template:
        yield template


def fake_slack(server: HTTPServer) -> list[dict[str, Any]]:
    """Slack's chat.postMessage, checking the documented headers; the bodies it took."""
    posted: list[dict[str, Any]] = []
    stamps = itertools.count(1)

    def post(request: Request) -> Response:
        body = request.get_json()
        posted.append(body)
        answer = {"ok": True, "channel": body["channel"], "ts": f"1700000000.{next(stamps):06d}"}
        return Response(json.dumps(answer), status=200, content_type="application/json")

    server.expect_request(POST, method="POST", headers=HEADERS).respond_with_handler(post)
    return posted


def qualified(stack: SamTemplate, body: dict[str, Any] = SALES, **rep: Any) -> dict[str, Any]:
    """A rep (with ``rep`` fields), then a sales demo request: the webhook's answer."""
    add_rep(LocalFunction(stack.function("LeadsApiFunction")), "grace", **rep)
    status, answer = deliver(LocalFunction(stack.function("WebhookFunction")), body)
    assert status == 200, answer
    return answer


def queued(stack: SamTemplate, queue: str = "SlackQueue") -> list[dict[str, Any]]:
    """The queue's messages as SQS records (received, so invisible for the default 180 s)."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=stack.physical_name(queue))["QueueUrl"]
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [record(m["MessageId"], m["Body"]) for m in found]


def record(message_id: str, body: str) -> dict[str, Any]:
    return {"messageId": message_id, "body": body, "eventSource": "aws:sqs"}


def notify(stack: SamTemplate, records: list[dict[str, Any]], timeout_s: int = 30) -> Any:
    """The worker's real handler, with a Lambda context of ``timeout_s``. A batch where every
    record fails raises (Powertools), so Lambda retries all of it: shown here as all failed."""
    worker = LocalFunction(stack.function("SlackNotifyFunction"))
    handler = worker.handler()
    context = LambdaContext("SlackNotifyFunction", 512, timeout_s)
    with environment(worker.env):
        try:
            return handler({"Records": records}, context)
        except BatchProcessingError:
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records]}


def lead_item(stack: SamTemplate, lead_id: str) -> dict[str, Any]:
    answer = boto3.client("dynamodb").get_item(
        TableName=stack.physical_name("LeadsTable"),
        Key={"pk": {"S": f"LEAD#{lead_id}"}, "sk": {"S": "LEAD"}},
    )
    return plain(answer["Item"])


def failed(answer: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]


def test_a_qualified_lead_is_one_direct_message_to_its_rep(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    posted = fake_slack(httpserver)
    answer = qualified(stack, slack_user_id=REP_SLACK)
    records = queued(stack)
    assert len(records) == 1
    assert notify(stack, records) == {"batchItemFailures": []}
    (message,) = posted
    assert message["channel"] == REP_SLACK
    assert set(message) == {"channel", "text", "blocks"}
    assert "Ada Lovelace, CTO at Acme Analytics" in message["text"]
    facts = {
        f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in message["blocks"][1]["fields"]
    }
    assert facts["*Lead score*"] == f"{answer['lead_score']} / 70"
    assert facts["*ICP score*"] == f"{answer['icp_score']} / 24 ({answer['icp_tier']})"
    assert facts["*Outcome*"] == "Instant scheduler"
    assert facts["*Booking link*"] == "shown to the visitor"
    assert answer["reasons"][0] in message["blocks"][2]["text"]["text"]
    assert f"leadops explain {answer['lead_id']}" in message["blocks"][3]["elements"][0]["text"]
    stored = lead_item(stack, answer["lead_id"])
    assert (stored["slack_channel"], stored["slack_ts"]) == (REP_SLACK, "1700000000.000001")
    assert "slack_claim" not in stored

    # The same delivery again (SQS/EventBridge redeliver): nothing more is posted.
    assert notify(stack, records) == {"batchItemFailures": []}
    # A replayed webhook delivery answers from the stored lead and emits no event.
    assert deliver(LocalFunction(stack.function("WebhookFunction")), SALES)[1] == answer
    assert queued(stack) == []
    assert len(posted) == 1


def test_a_rep_without_a_slack_user_goes_to_the_configured_channel(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    posted = fake_slack(httpserver)
    qualified(stack)  # grace has no slack_user_id
    assert notify(stack, queued(stack)) == {"batchItemFailures": []}
    assert [message["channel"] for message in posted] == [CHANNEL]


def test_a_lead_without_an_owner_goes_to_the_configured_channel(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    posted = fake_slack(httpserver)
    status, answer = deliver(LocalFunction(stack.function("WebhookFunction")), SALES)  # no reps
    assert (status, answer["owner"]) == (200, None)
    assert notify(stack, queued(stack)) == {"batchItemFailures": []}
    (message,) = posted
    assert message["channel"] == CHANNEL
    assert "No rep assigned" in message["blocks"][3]["elements"][0]["text"]


def test_a_short_retry_after_is_waited_for_within_the_invocation(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    limited = Response(
        json.dumps({"ok": False, "error": "ratelimited"}), status=429,
        headers={"Retry-After": "1"}, content_type="application/json",
    )  # fmt: skip
    httpserver.expect_ordered_request(POST, method="POST").respond_with_response(limited)
    posted = fake_slack(httpserver)
    qualified(stack, slack_user_id=REP_SLACK)
    started = time.monotonic()
    assert notify(stack, queued(stack)) == {"batchItemFailures": []}
    assert time.monotonic() - started >= 1.0  # it waited as Slack asked
    assert len(httpserver.log) == 2
    assert len(posted) == 1


def test_a_long_retry_after_fails_the_record_at_once_and_a_later_delivery_posts(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(POST, method="POST").respond_with_json(
        {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "30"}
    )
    qualified(stack, slack_user_id=REP_SLACK)
    records = queued(stack)
    started = time.monotonic()
    assert failed(notify(stack, records)) == [records[0]["messageId"]]
    assert time.monotonic() - started < 5  # the queue waits, not the Lambda
    posted = fake_slack(httpserver)
    assert notify(stack, records) == {"batchItemFailures": []}  # the claim was given back
    assert len(posted) == 1


@pytest.mark.parametrize("code", ["channel_not_found", "invalid_auth", "not_in_channel"])
def test_a_permanent_slack_error_fails_the_record_without_retrying(
    stack: SamTemplate, httpserver: HTTPServer, code: str
) -> None:
    httpserver.expect_request(POST, method="POST").respond_with_json({"ok": False, "error": code})
    answer = qualified(stack, slack_user_id=REP_SLACK)
    records = queued(stack)
    assert failed(notify(stack, records)) == [records[0]["messageId"]]
    assert len(httpserver.log) == 1  # HTTP 200 ok:false: no point asking again now
    stored = lead_item(stack, answer["lead_id"])
    assert "slack_ts" not in stored
    assert "slack_claim" not in stored


def test_a_record_that_is_not_a_lead_qualified_event_fails_alone(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    posted = fake_slack(httpserver)
    qualified(stack, slack_user_id=REP_SLACK)
    records = [record("junk", json.dumps({"detail": {}})), *queued(stack)]
    assert failed(notify(stack, records)) == ["junk"]
    assert len(posted) == 1


def test_a_lead_that_is_not_stored_is_logged_and_posts_nothing(
    stack: SamTemplate, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    """lead.qualified is published after the lead's commit: a lead not stored never will be,
    so retrying cannot help (as the PostHog sync treats it); it is logged as an error."""
    posted = fake_slack(httpserver)
    ghost = record("ghost", json.dumps({"detail": {"lead_id": "ld_nobody"}}))
    qualified(stack)
    assert notify(stack, [ghost, *queued(stack)]) == {"batchItemFailures": []}
    assert len(posted) == 1
    assert "lead not stored: nothing to announce" in caplog.messages


@pytest.fixture
def hanging_slack() -> Iterator[HTTPServer]:
    with hanging_stand_in(POST, '{"ok": true, "ts": "1.2"}') as (server, _):
        yield server


def test_a_hanging_slack_never_runs_the_worker_past_its_timeout(
    hanging_slack: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with slack_stack(hanging_slack, monkeypatch) as stack:
        answer = qualified(stack, slack_user_id=REP_SLACK)
        other = {**SALES, "submission_id": "sub-2", "email": "grace@acme-analytics.io"}
        deliver(LocalFunction(stack.function("WebhookFunction")), other)
        records = queued(stack)
        assert len(records) == 2
        started = time.monotonic()
        result = notify(stack, records, timeout_s=4)
        elapsed = time.monotonic() - started
        assert elapsed < 4  # ended before Lambda would have killed it
        assert sorted(failed(result)) == sorted(r["messageId"] for r in records)
        assert "slack_claim" not in lead_item(stack, answer["lead_id"])


def test_no_slack_channel_means_no_slack_resources(template: SamTemplate) -> None:
    assert "SlackNotifyFunction" not in {f.logical_id for f in template.functions()}
    assert not template.exists("SlackQueue")
    assert not template.exists("SlackDeadLetterQueue")


# --- issue 15: lead.mql ---------------------------------------------------------------------
def mql(stack: SamTemplate, person_id: str, lead_id: str | None, domain: str) -> None:
    """``lead.mql`` on the stack's bus, as the engagement service publishes it."""
    detail = {"person_id": person_id, "lead_id": lead_id, "domain": domain,
              "behaviour_score": 55, "fit_letter": "A", "grade": "A1",
              "mql_at": "2026-12-02T01:00:00+00:00"}  # fmt: skip
    LeadEvents(stack.physical_name("LeadsBus")).publish("lead.mql", detail)


def test_an_mql_is_one_short_message_per_crossing_to_the_rep_or_the_channel(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    """The documented ``chat.postMessage`` body (channel, fallback ``text``, ``blocks``),
    exactly: the stored lead's rep gets a direct message naming the lead; a person with no
    stored lead goes to the channel by company domain. A replayed delivery posts nothing."""
    answer = qualified(stack, slack_user_id=REP_SLACK)
    queued(stack)  # lead.qualified: not what this test is about
    mql(stack, "p-ada", answer["lead_id"], "acme.io")
    mql(stack, "p-anon", None, "globex.io")
    lead_id = answer["lead_id"]
    explain = f"The lead: `leadops explain {lead_id}` or `GET /leads/{lead_id}`"
    line = " became a marketing-qualified lead: behaviour score 55, grade A1"
    to_rep, to_channel = f"Ada Lovelace at Acme Analytics{line}", f"Someone at globex.io{line}"
    bodies = {
        REP_SLACK: {"channel": REP_SLACK, "text": to_rep, "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": to_rep}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": explain}]}]},
        CHANNEL: {"channel": CHANNEL, "text": to_channel, "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": to_channel}}]},
    }  # fmt: skip
    posted: list[dict[str, Any]] = []

    def post(request: Request) -> Response:
        body = request.get_json()
        assert body == bodies[body["channel"]]
        posted.append(body)
        reply = {"ok": True, "channel": body["channel"], "ts": f"1700000001.00000{len(posted)}"}
        return Response(json.dumps(reply), status=200, content_type="application/json")

    httpserver.expect_request(POST, method="POST", headers=HEADERS).respond_with_handler(post)
    records = queued(stack)
    assert len(records) == 2
    assert notify(stack, records) == {"batchItemFailures": []}
    assert sorted(p["channel"] for p in posted) == sorted([REP_SLACK, CHANNEL])
    httpserver.check_assertions()
    assert notify(stack, records) == {"batchItemFailures": []}  # a replay: nothing posted
    assert len(posted) == 2
    item = boto3.client("dynamodb").get_item(
        TableName=stack.physical_name("LeadsTable"),
        Key={"pk": {"S": "SLACKMQL#p-ada#2026-12-02T01:00:00+00:00"}, "sk": {"S": "SLACKMQL"}},
    )
    stored = plain(item["Item"])
    assert stored["slack_channel"] == REP_SLACK
    assert "slack_claim" not in stored
