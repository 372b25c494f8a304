"""`make run`'s server end to end: a subprocess on a free port, real HTTP, Ctrl-C to stop."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from leadops.signature import sign
from leadops_local.server import LISTENING
from tests.helpers import ROOT, SALES, WEBHOOK_SECRET

pytestmark = pytest.mark.e2e
STARTUP_TIMEOUT_S = 60


@dataclass
class RunningApi:
    process: subprocess.Popen[str]
    url: str

    def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST"
    ) -> tuple[int, Any, Any]:
        """A request to the local API (a loopback http:// URL the test itself started)."""
        request = urllib.request.Request(  # noqa: S310
            self.url + path, data=body or None, headers=headers or {}, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.headers, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers, json.loads(error.read())


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(LISTENING):
            return line.split()[-1]
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(
        f"the local API did not start: {process.stderr.read() if process.stderr else ''}"
    )


@pytest.fixture(scope="module")
def api(make_httpserver: HTTPServer) -> Iterator[RunningApi]:
    """The local API, its Zendesk pointed at the tests' stand-in on 127.0.0.1."""
    zendesk = f"ZendeskBaseUrl={make_httpserver.url_for('')}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leadops_local",
            "--parameter-overrides",
            zendesk,
            "start-api",
            "--port",
            "0",
        ],
        cwd=ROOT,
        env={**os.environ, "LEADOPS_LOCAL_SECRET_WebhookSecret": WEBHOOK_SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield RunningApi(process, _wait_for_url(process))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_score_answers_a_form_body_with_the_breakdown(api: RunningApi) -> None:
    event = json.loads((ROOT / "events" / "score.json").read_text(encoding="utf-8"))
    status, headers, answer = api.post(
        "/score", event["body"].encode(), {"content-type": "application/json"}
    )
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert answer["lead_score"]["max"] == 70
    assert answer["icp_score"]["tier"] in ("high", "low")
    assert {item["metric"] for item in answer["icp_score"]["items"]} >= {"email", "country"}


def test_bad_input_is_a_422_naming_the_field(api: RunningApi) -> None:
    status, _, answer = api.post("/score", b'{"email": "a@acme.io", "company": {"employees": -1}}')
    assert status == 422
    assert answer["errors"][0]["field"] == "company.employees"


def test_an_unknown_route_is_404(api: RunningApi) -> None:
    status, _, answer = api.post("/nowhere", b"{}")
    assert (status, answer) == (404, {"message": "Not Found"})


def test_a_signed_demo_request_is_decided_stored_and_readable(api: RunningApi) -> None:
    rep = (ROOT / "events" / "bodies" / "rep-tae.json").read_bytes()
    status, _, _ = api.post("/reps/grace", rep, {"content-type": "application/json"}, "PUT")
    assert status == 200
    body = (ROOT / "events" / "bodies" / "demo-request.json").read_bytes()
    headers = {"x-leadops-signature": sign(body, WEBHOOK_SECRET, int(time.time()))}
    status, _, answer = api.post("/webhooks/demo-request", body, headers)
    assert (status, answer["outcome"]) == (200, "instant_scheduler")
    assert answer["owner"]["booking_url"] == "https://cal.example.com/grace"
    status, _, stored = api.post(f"/leads/{answer['lead_id']}", b"", method="GET")
    assert (status, stored["reasons"]) == (200, answer["reasons"])
    status, _, _ = api.post("/webhooks/demo-request", body, {"x-leadops-signature": "t=1,v1=0"})
    assert status == 401


def test_queued_work_is_processed_like_lambda_polls_sqs(
    api: RunningApi, httpserver: HTTPServer
) -> None:
    """A support request's ticket message is picked up and sent to (the stand-in) Zendesk."""
    httpserver.expect_request("/api/v2/tickets.json", method="POST").respond_with_json(
        {"ticket": {"id": 42}}, status=201
    )
    body = json.dumps({**SALES, "submission_id": "e2e-support", "message": "refund: billing error"})
    headers = {"x-leadops-signature": sign(body.encode(), WEBHOOK_SECRET, int(time.time()))}
    status, _, answer = api.post("/webhooks/demo-request", body.encode(), headers)
    assert (status, answer["outcome"]) == (200, "support_ticket")
    deadline = time.monotonic() + 30
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.2)
    (request, _), *_ = httpserver.log
    assert request.headers["Idempotency-Key"] == "e2e-support"


def test_any_function_can_be_invoked_with_an_event(api: RunningApi) -> None:
    event = (ROOT / "events" / "sweep_planner.json").read_bytes()
    status, _, answer = api.post("/_local/functions/SweepPlannerFunction/invoke", event)
    assert (status, answer["segments"]) == (200, 4)
    status, _, _ = api.post("/_local/functions/NoSuchFunction/invoke", b"{}")
    assert status == 404


def test_ctrl_c_stops_it_cleanly(api: RunningApi) -> None:
    api.process.send_signal(signal.SIGINT)
    _, stderr = api.process.communicate(timeout=30)
    assert api.process.returncode == 0
    assert "Traceback" not in stderr
