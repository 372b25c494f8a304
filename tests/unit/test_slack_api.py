"""Slack's answers as the adapter reads them (a stand-in on 127.0.0.1): ``ok`` decides, not the
HTTP status alone (Slack answers most failures "200 OK" with ``{"ok": false, "error"}``); only
the error code is kept, never Slack's echo of the request."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from leadops.adapters.slack import SlackClient, SlackError

POST = "/chat.postMessage"


def client(server: HTTPServer) -> SlackClient:
    return SlackClient("xoxb-t", server.url_for("").rstrip("/"), timeout_s=1, retries=1,
                       backoff_factor=0)  # fmt: skip


@pytest.mark.parametrize(
    ("status", "body", "code", "retryable"),
    [
        (200, {"ok": False, "error": "channel_not_found"}, "channel_not_found", False),
        (200, {"ok": False, "error": "invalid_auth"}, "invalid_auth", False),
        (200, {"ok": False, "error": "ratelimited"}, "ratelimited", True),
        (200, {"ok": False, "error": "internal_error"}, "internal_error", True),
        (500, {"ok": False, "error": "fatal_error"}, "fatal_error", True),
        (429, {"ok": False, "error": "ratelimited"}, "ratelimited", True),
        (200, {"ok": True}, "no_ts", False),
    ],
)
def test_failures_keep_the_code_and_whether_to_try_again(
    httpserver: HTTPServer, status: int, body: dict[str, object], code: str, retryable: bool
) -> None:
    httpserver.expect_request(POST, method="POST").respond_with_json(
        body, status=status, headers={"Retry-After": "60"}
    )
    with pytest.raises(SlackError) as raised:
        client(httpserver).post_message("C1", "text", [])
    assert (raised.value.code, raised.value.retryable) == (code, retryable)


def test_a_5xx_is_retried_in_the_invocation_then_posted(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(POST, method="POST").respond_with_data("down", status=502)
    httpserver.expect_ordered_request(POST, method="POST").respond_with_json(
        {"ok": True, "channel": "C1", "ts": "1.000100"}
    )
    assert client(httpserver).post_message("C1", "text", []) == "1.000100"


def test_the_token_never_shows_in_the_client_s_repr() -> None:
    assert "xoxb" not in repr(SlackClient("xoxb-secret"))
