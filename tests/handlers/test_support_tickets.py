"""The support-ticket SQS worker through its real ``lambda_handler``, Zendesk played by a local
HTTP server: partial batch failures, malformed messages, one idempotency key per submission,
a lookup by external_id before every create, and the Lambda's time budget kept."""

import importlib.util
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leadops_local.runtime import LambdaContext
from tests.helpers import ROOT

APP = ROOT / "functions" / "support_tickets" / "app.py"
TICKETS = "/api/v2/tickets.json"
EVENT = ROOT / "events" / "support_tickets.json"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer) -> ModuleType:
    """A fresh import of the handler module (its config is read at import, as in Lambda)."""
    return app_for(monkeypatch, httpserver)


def app_for(monkeypatch: pytest.MonkeyPatch, server: HTTPServer) -> ModuleType:
    for name, value in {
        "ZENDESK_BASE_URL": server.url_for(""),
        "ZENDESK_EMAIL": "agent@example.com",
        "ZENDESK_API_TOKEN": "s3cr3t-token",
        "ZENDESK_RETRIES": "2",
        "ZENDESK_BACKOFF_FACTOR": "0",
        "POWERTOOLS_SERVICE_NAME": "support-tickets",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ZENDESK_SECRET_ARN", raising=False)
    return load_app()


def load_app() -> ModuleType:
    """Import functions/support_tickets/app.py under a new name: a cold start."""
    spec = importlib.util.spec_from_file_location(f"support_tickets_{uuid.uuid4().hex}", APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_zendesk(
    server: HTTPServer, hang_on: str = "", release: threading.Event | None = None
) -> dict[str, int]:
    """A fake Zendesk: creates honour Idempotency-Key (a replayed key answers the same ticket)
    and file the ticket under its external_id, which "List Tickets" (``GET
    /api/v2/tickets.json?external_id=``) answers. A lookup for ``hang_on`` hangs until
    ``release`` is set (10 s at most)."""
    tickets: dict[str, int] = {}  # external_id -> id
    keys: dict[str, int] = {}
    ids = itertools.count(1001)

    def create(request: Request) -> Response:
        key = request.headers["Idempotency-Key"]
        if key not in keys:
            keys[key] = next(ids)
            tickets.setdefault(request.get_json()["ticket"]["external_id"], keys[key])
        body = {"ticket": {"id": keys[key]}}
        return Response(json.dumps(body), status=201, content_type="application/json")

    def find(request: Request) -> Response:
        external_id = request.args["external_id"]
        if external_id == hang_on and release is not None:
            release.wait(10)
        found = [{"id": tickets[external_id], "external_id": external_id}] if (
            external_id in tickets) else []  # fmt: skip
        body = {"tickets": found, "count": len(found), "next_page": None}
        return Response(json.dumps(body), status=200, content_type="application/json")

    server.expect_request(TICKETS, method="POST").respond_with_handler(create)
    server.expect_request(TICKETS, method="GET").respond_with_handler(find)
    return tickets


@pytest.fixture
def zendesk(httpserver: HTTPServer) -> dict[str, int]:
    return fake_zendesk(httpserver)


def ticket(submission_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "submission_id": submission_id,
        "lead_id": f"lead-{submission_id}",
        "requester_email": "ada@acme-analytics.io",
        "requester_name": "Ada Lovelace",
        "subject": "Our CRM sync stopped",
        "body": "Private message text",
        "tags": ["leadops"],
        **fields,
    }


def sqs_event(*bodies: object) -> dict[str, Any]:
    """An SQS event, one record per body (a dict is sent as JSON, a str as is)."""
    record = json.loads(EVENT.read_text(encoding="utf-8"))["Records"][0]
    return {
        "Records": [
            {
                **record,
                "messageId": f"msg-{index}",
                "body": body if isinstance(body, str) else json.dumps(body),
            }
            for index, body in enumerate(bodies, start=1)
        ]
    }


def invoke(app: ModuleType, event: dict[str, Any], timeout_s: int = 60) -> dict[str, Any]:
    context = LambdaContext(
        function_name="SupportTicketsFunction", memory_limit_in_mb=256, timeout_s=timeout_s
    )
    answer: dict[str, Any] = app.lambda_handler(event, context)
    return answer


def keys_sent(server: HTTPServer) -> list[str]:
    """The Idempotency-Keys of the creates, in order (the lookups carry none)."""
    return [r.headers["Idempotency-Key"] for r, _ in server.log if r.method == "POST"]


def lookups(server: HTTPServer) -> list[str]:
    return [r.args["external_id"] for r, _ in server.log if r.method == "GET"]


def no_tickets(server: HTTPServer) -> None:
    """Zendesk's "List Tickets" answering that no ticket has the external_id asked for."""
    server.expect_request(TICKETS, method="GET").respond_with_json(
        {"tickets": [], "count": 0, "next_page": None}
    )


def test_every_record_becomes_a_ticket(
    app: ModuleType, zendesk: dict[str, int], httpserver: HTTPServer
) -> None:
    answer = invoke(app, sqs_event(ticket("s-1"), ticket("s-2"), ticket("s-3")))
    assert answer == {"batchItemFailures": []}
    assert keys_sent(httpserver) == ["s-1", "s-2", "s-3"]
    assert zendesk == {"s-1": 1001, "s-2": 1002, "s-3": 1003}


def test_only_the_record_zendesk_keeps_failing_is_reported(
    app: ModuleType, httpserver: HTTPServer
) -> None:
    no_tickets(httpserver)
    httpserver.expect_request(
        TICKETS, method="POST", headers={"Idempotency-Key": "s-2"}
    ).respond_with_json({"error": "Oops"}, status=500)
    httpserver.expect_request(TICKETS, method="POST").respond_with_json(
        {"ticket": {"id": 1}}, status=201
    )
    answer = invoke(app, sqs_event(ticket("s-1"), ticket("s-2"), ticket("s-3")))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-2"}]}
    assert keys_sent(httpserver) == ["s-1", "s-2", "s-2", "s-2", "s-3"]  # 1 try + 2 retries


@pytest.mark.parametrize(
    "bad_body",
    ["not json", json.dumps(ticket("s-2", requester_email="nope")), json.dumps({"x": 1})],
)
def test_a_malformed_record_is_reported_and_the_others_processed(
    app: ModuleType, zendesk: dict[str, int], bad_body: str
) -> None:
    answer = invoke(app, sqs_event(ticket("s-1"), bad_body, ticket("s-3")))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-2"}]}
    assert set(zendesk) == {"s-1", "s-3"}


def test_a_submission_delivered_twice_makes_one_ticket(
    app: ModuleType, zendesk: dict[str, int], httpserver: HTTPServer
) -> None:
    answer = invoke(app, sqs_event(ticket("s-1"), ticket("s-1")))
    assert answer == {"batchItemFailures": []}
    assert lookups(httpserver) == ["s-1", "s-1"]
    assert keys_sent(httpserver) == ["s-1"]  # the second finds the first's ticket
    assert zendesk == {"s-1": 1001}


def test_a_batch_where_every_record_fails_raises_so_nothing_is_lost(
    app: ModuleType, zendesk: dict[str, int]
) -> None:
    with pytest.raises(BatchProcessingError) as raised:
        invoke(app, sqs_event(ticket("s-1", requester_email="secret-person-at-nowhere")))
    assert "secret-person" not in str(raised.value)


def test_the_sample_event_creates_a_ticket(app: ModuleType, zendesk: dict[str, int]) -> None:
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    assert invoke(app, event) == {"batchItemFailures": []}
    assert len(zendesk) == 1


def test_logs_carry_ids_but_not_the_requester_or_message(
    app: ModuleType, zendesk: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    invoke(app, sqs_event(ticket("s-1"), ticket("s-2", requester_email="leaky-value")))
    logs = {record.getMessage(): record.__dict__ for record in caplog.records}
    created = logs["zendesk ticket created"]
    assert (created["ticket_id"], created["submission_id"]) == (1001, "s-1")
    assert logs["invalid support ticket message"]["fields"] == ["requester_email"]
    everything = " ".join(str(record.__dict__) for record in caplog.records)
    for secret in ("ada@acme-analytics.io", "Private message text", "leaky-value", "s3cr3t"):
        assert secret not in everything


def test_zendesk_failures_are_logged_with_status_not_content(
    app: ModuleType, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    no_tickets(httpserver)
    httpserver.expect_request(TICKETS, method="POST").respond_with_json(
        {"error": "RecordInvalid", "description": "ada@acme-analytics.io is invalid"}, status=422
    )
    with pytest.raises(BatchProcessingError):
        invoke(app, sqs_event(ticket("s-1")))
    (failed,) = [r for r in caplog.records if r.getMessage().startswith("zendesk answered")]
    assert (failed.__dict__["status"], failed.__dict__["retryable"]) == (422, False)
    assert failed.__dict__["submission_id"] == "s-1"
    everything = " ".join(str(record.__dict__) for record in caplog.records)
    assert "ada@acme-analytics.io" not in everything


def test_the_handler_module_needs_zendesk_configured(
    monkeypatch: pytest.MonkeyPatch, app: ModuleType
) -> None:
    monkeypatch.delenv("ZENDESK_BASE_URL")
    with pytest.raises(ValueError, match="base_url"):
        load_app()


# --- a ticket filed before (a late redrive) ----------------------------------------------------
def test_a_ticket_already_filed_under_its_external_id_is_not_created_again(
    app: ModuleType, zendesk: dict[str, int], httpserver: HTTPServer
) -> None:
    """Zendesk's idempotency keys expire after two hours: a message redriven from the DLQ later
    is looked up by its external_id (the submission id) and, found, succeeds without a POST."""
    zendesk["s-1"] = 77  # filed by an earlier delivery, its key long expired
    answer = invoke(app, sqs_event(ticket("s-1"), ticket("s-2")))
    assert answer == {"batchItemFailures": []}
    assert lookups(httpserver) == ["s-1", "s-2"]
    assert keys_sent(httpserver) == ["s-2"]  # no POST for s-1
    assert zendesk == {"s-1": 77, "s-2": 1001}


def test_a_failing_lookup_fails_the_record_without_creating(
    app: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(TICKETS, method="GET").respond_with_json({"error": "x"}, 503)
    with pytest.raises(BatchProcessingError):
        invoke(app, sqs_event(ticket("s-1")))
    assert keys_sent(httpserver) == []


# --- the Lambda's budget -----------------------------------------------------------------------
@pytest.fixture
def threaded() -> Iterator[tuple[HTTPServer, threading.Event]]:
    """A threaded server (a hanging request does not hold the others), released at the end."""
    release = threading.Event()
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    try:
        yield server, release
    finally:
        release.set()
        server.stop()


def test_a_hanging_zendesk_ends_the_batch_within_the_budget(
    monkeypatch: pytest.MonkeyPatch, threaded: tuple[HTTPServer, threading.Event]
) -> None:
    """Zendesk hangs on the second ticket (5 s a try, 3 tries: 15 s for it alone). With 2 s
    left, the worker ends within them: the hanging record and the ones it had no time for
    fail (SQS delivers them again), the first ticket is filed, nothing is asked for the rest."""
    server, release = threaded
    filed = fake_zendesk(server, hang_on="s-2", release=release)
    app = app_for(monkeypatch, server)
    started = time.monotonic()
    answer = invoke(app, sqs_event(*(ticket(f"s-{i}") for i in range(1, 6))), timeout_s=2)
    assert time.monotonic() - started < 2.0  # the budget: Lambda would have killed it after
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    assert failed == ["msg-2", "msg-3", "msg-4", "msg-5"]
    assert filed == {"s-1": 1001}
    release.set()  # the hanging lookup is logged once answered
    while len(server.log) < 3 and time.monotonic() - started < 5:
        time.sleep(0.01)
    assert lookups(server) == ["s-1", "s-2"]  # none for the records without time


def test_a_long_retry_after_fails_the_record_at_once(
    app: ModuleType, zendesk: dict[str, int], httpserver: HTTPServer
) -> None:
    """Zendesk answers 429 with Retry-After: 120 for one ticket: not slept (5 records x 2 x 30 s
    was 300 s against a 60 s timeout), the record fails, the others are filed, within 2 s."""
    limited = Response(status=429, headers={"Retry-After": "120"})
    httpserver.expect_oneshot_request(  # before the fake's handlers; a retry would file it
        TICKETS, method="POST", headers={"Idempotency-Key": "s-2"}
    ).respond_with_response(limited)
    started = time.monotonic()
    answer = invoke(app, sqs_event(ticket("s-1"), ticket("s-2"), ticket("s-3")), timeout_s=2)
    assert time.monotonic() - started < 2.0
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-2"}]}
    assert keys_sent(httpserver) == ["s-1", "s-2", "s-3"]  # one try for s-2
    assert set(zendesk) == {"s-1", "s-3"}
