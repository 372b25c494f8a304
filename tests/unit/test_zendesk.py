"""The Zendesk client against a local HTTP server standing in for Zendesk: payload, auth,
idempotency key, retries (429 with Retry-After, 5xx, timeouts) and the errors it raises."""

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leadops.adapters.zendesk import ZendeskClient, ZendeskError, ZendeskSettings
from leadops.tickets import NO_MESSAGE, SupportTicket

TICKETS = "/api/v2/tickets.json"
EMAIL, TOKEN = "agent@example.com", "s3cr3t-token"

TICKET = SupportTicket(
    submission_id="sub-1",
    lead_id="lead-1",
    requester_email="ada@acme-analytics.io",
    requester_name="Ada Lovelace",
    subject="Our CRM sync stopped",
    body="Private message text",
    tags=["leadops", "support_form"],
)


def client_for(server: HTTPServer, **options: Any) -> ZendeskClient:
    """A client with fast retries, so a test of five attempts takes milliseconds."""
    return ZendeskClient(server.url_for(""), EMAIL, TOKEN, **{"backoff_factor": 0.001, **options})


def created(ticket_id: int = 42) -> dict[str, Any]:
    return {"ticket": {"id": ticket_id, "status": "new"}}


def test_a_created_ticket_returns_its_id(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TICKETS, method="POST").respond_with_json(created(42), status=201)
    assert client_for(httpserver).create_ticket(TICKET, "sub-1") == 42


def test_the_request_carries_auth_idempotency_key_and_the_ticket(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TICKETS, method="POST").respond_with_json(created(), status=201)
    client_for(httpserver).create_ticket(TICKET, "sub-1")
    ((request, _),) = httpserver.log
    expected_auth = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected_auth}"
    assert request.headers["Idempotency-Key"] == "sub-1"
    assert request.headers["Content-Type"] == "application/json"
    assert request.get_json() == {
        "ticket": {
            "subject": "Our CRM sync stopped",
            "comment": {"body": "Private message text"},
            "requester": {"name": "Ada Lovelace", "email": "ada@acme-analytics.io"},
            "tags": ["leadops", "support_form"],
            "external_id": "sub-1",
        }
    }


def test_429_waits_for_retry_after_then_creates_one_ticket(httpserver: HTTPServer) -> None:
    limited = Response(status=429, headers={"Retry-After": "1"})
    httpserver.expect_ordered_request(TICKETS, method="POST").respond_with_response(limited)
    httpserver.expect_ordered_request(TICKETS, method="POST").respond_with_json(
        created(7), status=201
    )
    started = time.monotonic()
    assert client_for(httpserver).create_ticket(TICKET, "sub-1") == 7
    # urllib3 does not back off before a first retry: the second it waited was Retry-After's.
    assert time.monotonic() - started >= 1.0
    assert [response.status_code for _, response in httpserver.log] == [429, 201]
    assert {request.headers["Idempotency-Key"] for request, _ in httpserver.log} == {"sub-1"}


def test_a_long_retry_after_is_not_slept_but_failed_as_retryable(httpserver: HTTPServer) -> None:
    """Zendesk asking for 120 s: the Lambda does not sleep it (five records would be 300 s
    against a 60 s timeout); the record fails retryable and SQS waits its visibility timeout."""
    limited = Response(status=429, headers={"Retry-After": "120"})
    httpserver.expect_request(TICKETS, method="POST").respond_with_response(limited)
    started = time.monotonic()
    with pytest.raises(ZendeskError) as raised:
        client_for(httpserver).create_ticket(TICKET, "sub-1")
    assert time.monotonic() - started < 2.0  # not 120 s, nor the old cap of 30 s
    assert (raised.value.status, raised.value.retryable) == (429, True)
    assert len(httpserver.log) == 1


def test_a_short_retry_after_past_the_deadline_is_not_slept(httpserver: HTTPServer) -> None:
    limited = Response(status=503, headers={"Retry-After": "3"})
    httpserver.expect_request(TICKETS, method="POST").respond_with_response(limited)
    started = time.monotonic()
    with pytest.raises(ZendeskError) as raised:
        client_for(httpserver).create_ticket(TICKET, "sub-1", deadline=started + 1.0)
    assert time.monotonic() - started < 1.0
    assert (raised.value.status, raised.value.retryable) == (503, True)
    assert len(httpserver.log) == 1


def test_408_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(TICKETS, method="POST").respond_with_data("", status=408)
    httpserver.expect_ordered_request(TICKETS, method="POST").respond_with_json(created(7), 201)
    assert client_for(httpserver).create_ticket(TICKET, "sub-1") == 7
    assert [response.status_code for _, response in httpserver.log] == [408, 201]


def test_no_time_left_makes_no_request(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TICKETS, method="GET").respond_with_json({"tickets": []})
    with pytest.raises(ZendeskError) as raised:
        client_for(httpserver).find_ticket("sub-1", deadline=time.monotonic() + 0.01)
    assert (raised.value.status, raised.value.retryable) == (None, True)
    assert httpserver.log == []


def test_a_malformed_retry_after_falls_back_to_backoff(httpserver: HTTPServer) -> None:
    limited = Response(status=429, headers={"Retry-After": "soon"})
    httpserver.expect_ordered_request(TICKETS, method="POST").respond_with_response(limited)
    httpserver.expect_ordered_request(TICKETS, method="POST").respond_with_json(created(7), 201)
    assert client_for(httpserver).create_ticket(TICKET, "sub-1") == 7


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_are_retried_then_raised_as_retryable(
    httpserver: HTTPServer, status: int
) -> None:
    httpserver.expect_request(TICKETS, method="POST").respond_with_json(
        {"error": "Oops"}, status=status
    )
    with pytest.raises(ZendeskError) as raised:
        client_for(httpserver, retries=4).create_ticket(TICKET, "sub-1")
    assert (raised.value.status, raised.value.retryable) == (status, True)
    assert len(httpserver.log) == 5  # the first attempt and 4 retries


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request(TICKETS, method="POST").respond_with_json(
        {"error": "RecordInvalid", "description": "Requester: ada@acme-analytics.io is invalid"},
        status=status,
    )
    with pytest.raises(ZendeskError) as raised:
        client_for(httpserver).create_ticket(TICKET, "sub-1")
    assert (raised.value.status, raised.value.retryable) == (status, False)
    assert len(httpserver.log) == 1
    assert "RecordInvalid" in str(raised.value)
    assert "ada@" not in str(raised.value)  # Zendesk's description may echo the input


def test_a_ticket_without_a_message_still_has_a_comment(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TICKETS, method="POST").respond_with_json(created(), status=201)
    silent = TICKET.model_copy(update={"body": ""})
    client_for(httpserver).create_ticket(silent, "sub-1")
    ((request, _),) = httpserver.log
    assert request.get_json()["ticket"]["comment"]["body"] == NO_MESSAGE


def test_a_success_without_a_ticket_id_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TICKETS, method="POST").respond_with_data("<html>", status=200)
    with pytest.raises(ZendeskError) as raised:
        client_for(httpserver).create_ticket(TICKET, "sub-1")
    assert (raised.value.status, raised.value.retryable) == (200, False)


@pytest.fixture
def slow_server() -> Iterator[tuple[HTTPServer, threading.Event]]:
    """A threaded server whose handler hangs until released, so no late reply leaks out."""
    release = threading.Event()
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()

    def hang(request: Request) -> Response:
        release.wait(2)
        return Response(json.dumps(created()), status=201, content_type="application/json")

    server.expect_request(TICKETS, method="POST").respond_with_handler(hang)
    try:
        yield server, release
    finally:
        release.set()
        server.stop()


def test_a_timeout_is_retried_then_raised_as_retryable(
    slow_server: tuple[HTTPServer, threading.Event],
) -> None:
    server, _ = slow_server
    started = time.monotonic()
    with pytest.raises(ZendeskError) as raised:
        client_for(server, timeout_s=0.2, retries=1).create_ticket(TICKET, "sub-1")
    assert (raised.value.status, raised.value.retryable) == (None, True)
    assert time.monotonic() - started < 1.5
    assert "ReadTimeoutError" in str(raised.value)


def test_a_deadline_shortens_the_attempts_and_ends_the_retries(
    slow_server: tuple[HTTPServer, threading.Event],
) -> None:
    """A Zendesk that hangs, 5 s a try and 4 retries (25 s and more without a deadline): the
    call ends by its deadline, 0.6 s away, as a retryable failure."""
    server, _ = slow_server
    started = time.monotonic()
    with pytest.raises(ZendeskError) as raised:
        client_for(server, timeout_s=5, retries=4).create_ticket(
            TICKET, "sub-1", deadline=started + 0.6
        )
    assert time.monotonic() - started < 1.5
    assert (raised.value.status, raised.value.retryable) == (None, True)


def test_a_refused_connection_is_retryable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ZendeskClient(f"http://127.0.0.1:{port}", EMAIL, TOKEN, retries=1, backoff_factor=0)
    with pytest.raises(ZendeskError) as raised:
        client.create_ticket(TICKET, "sub-1")
    assert (raised.value.status, raised.value.retryable) == (None, True)


@pytest.mark.parametrize(
    "url", ["ftp://example.zendesk.com", "file:///etc/passwd", "example.zendesk.com", "http://"]
)
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        ZendeskClient(url, EMAIL, TOKEN)


def test_the_client_never_shows_its_credentials() -> None:
    client = ZendeskClient("https://example.zendesk.com/", EMAIL, TOKEN)
    assert client.base_url == "https://example.zendesk.com"
    assert TOKEN not in repr(client)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"submission_id": "has space"}, "submission_id"),
        ({"submission_id": ""}, "submission_id"),
        ({"requester_email": "nope"}, "requester_email"),
        ({"subject": "x" * 256}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"requester_name": ""}, "requester_name"),
        ({"body": "x" * 10_001}, "body"),
        ({"tags": ["two words"]}, "tags.0"),
    ],
)
def test_a_ticket_has_bounded_fields_and_errors_hide_the_input(
    change: dict[str, Any], field: str
) -> None:
    raw = {**TICKET.model_dump(), **change}
    with pytest.raises(ValidationError) as raised:
        SupportTicket.model_validate(raw)
    assert [".".join(map(str, e["loc"])) for e in raised.value.errors()] == [field]
    assert "Private message text" not in str(raised.value)


ENV = {"ZENDESK_BASE_URL": "https://example.zendesk.com", "ZENDESK_EMAIL": EMAIL}


def test_settings_from_env_use_env_credentials_and_cache_the_client() -> None:
    settings = ZendeskSettings.from_env({**ENV, "ZENDESK_API_TOKEN": TOKEN, "ZENDESK_RETRIES": "2"})
    assert settings.credentials() == (EMAIL, TOKEN)
    assert settings.retries == 2
    assert settings.client() is settings.client()
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    "env",
    [
        {"ZENDESK_EMAIL": EMAIL, "ZENDESK_API_TOKEN": TOKEN},  # no base URL
        {**ENV, "ZENDESK_BASE_URL": "ftp://example.zendesk.com", "ZENDESK_API_TOKEN": TOKEN},
        ENV,  # an email but no token, and no secret
    ],
)
def test_incomplete_settings_are_refused_without_echoing_them(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as raised:
        ZendeskSettings.from_env(env)
    assert TOKEN not in str(raised.value)
    assert EMAIL not in str(raised.value)


def test_credentials_come_from_the_secret_when_one_is_configured() -> None:
    from moto import mock_aws

    with mock_aws():
        import boto3

        arn = boto3.client("secretsmanager").create_secret(
            Name="zendesk-test-secret",
            SecretString=json.dumps({"email": "bot@example.com", "api_token": "from-secret"}),
        )["ARN"]
        settings = ZendeskSettings.from_env({**ENV, "ZENDESK_SECRET_ARN": arn})
        assert settings.credentials() == ("bot@example.com", "from-secret")


# --- looking a ticket up by external_id (before creating, for a redrive past the key's life) ---
def test_find_ticket_asks_list_tickets_by_external_id(httpserver: HTTPServer) -> None:
    """Zendesk "List Tickets": ``GET /api/v2/tickets?external_id={external_id}`` answers
    ``{"tickets": [{"id": 35436, "external_id": "...", ...}], "count": 1, ...}``; external ids
    need not be unique, so several may come back: the oldest (lowest id) is ours."""
    httpserver.expect_request(
        TICKETS, method="GET", query_string={"external_id": "sub-1"}
    ).respond_with_json(
        {"tickets": [{"id": 90, "external_id": "sub-1"}, {"id": 35, "external_id": "sub-1"}],
         "count": 2, "next_page": None, "previous_page": None}
    )  # fmt: skip
    assert client_for(httpserver).find_ticket("sub-1") == 35
    ((request, _),) = httpserver.log
    expected_auth = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected_auth}"
    assert request.args.to_dict() == {"external_id": "sub-1"}


def test_find_ticket_without_a_match_is_none(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TICKETS, method="GET").respond_with_json(
        {"tickets": [], "count": 0, "next_page": None, "previous_page": None}
    )
    assert client_for(httpserver).find_ticket("sub-2") is None


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (503, {"error": "Unavailable"}, True),
        (401, {"error": "Couldn't authenticate you"}, False),
        (200, {"tickets": "not a list"}, False),
        (200, "<html>", False),
    ],
)
def test_find_ticket_failures_say_whether_to_retry(
    httpserver: HTTPServer, status: int, body: Any, retryable: bool
) -> None:
    response = Response(json.dumps(body) if isinstance(body, dict) else body, status=status)
    httpserver.expect_request(TICKETS, method="GET").respond_with_response(response)
    with pytest.raises(ZendeskError) as failure:
        client_for(httpserver, retries=1).find_ticket("sub-3")
    assert (failure.value.status, failure.value.retryable) == (status, retryable)
