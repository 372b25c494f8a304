"""The support-ticket SQS worker through its real ``lambda_handler``, Zendesk played by a local
HTTP server: partial batch failures, malformed messages, one idempotency key per submission."""

import importlib.util
import itertools
import json
import uuid
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
    for name, value in {
        "ZENDESK_BASE_URL": httpserver.url_for(""),
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


@pytest.fixture
def zendesk(httpserver: HTTPServer) -> dict[str, int]:
    """A fake Zendesk honouring Idempotency-Key: a replayed key answers the same ticket."""
    tickets: dict[str, int] = {}
    ids = itertools.count(1001)

    def create(request: Request) -> Response:
        key = request.headers["Idempotency-Key"]
        if key not in tickets:
            tickets[key] = next(ids)
        body = {"ticket": {"id": tickets[key]}}
        return Response(json.dumps(body), status=201, content_type="application/json")

    httpserver.expect_request(TICKETS, method="POST").respond_with_handler(create)
    return tickets


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


def invoke(app: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(
        function_name="SupportTicketsFunction", memory_limit_in_mb=256, timeout_s=60
    )
    answer: dict[str, Any] = app.lambda_handler(event, context)
    return answer


def keys_sent(httpserver: HTTPServer) -> list[str]:
    return [request.headers["Idempotency-Key"] for request, _ in httpserver.log]


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
    assert keys_sent(httpserver) == ["s-1", "s-1"]
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
