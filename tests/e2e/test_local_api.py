"""`make run`'s server end to end: a subprocess on a free port, real HTTP, Ctrl-C to stop."""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from leadops.http.signature import sign
from leadops_local.server import LISTENING
from tests.helpers import ROOT, SALES, WEBHOOK_SECRET

pytestmark = pytest.mark.e2e
STARTUP_TIMEOUT_S = 60


@dataclass
class RunningApi:
    process: subprocess.Popen[str]
    url: str
    stderr_lines: list[str] = field(default_factory=list)  # drained as it comes

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

    def stop(self, signum: int) -> tuple[int, str]:
        """Send ``signum``; the exit code and everything the server wrote on stderr."""
        self.process.send_signal(signum)
        code = self.process.wait(timeout=30)
        self._drain.join(timeout=10)
        return code, "".join(self.stderr_lines)

    def __post_init__(self) -> None:
        # A pipe nobody reads fills up and blocks the server: read stderr all along.
        assert self.process.stderr is not None
        stream = self.process.stderr
        self._drain = threading.Thread(
            target=lambda: self.stderr_lines.extend(iter(stream.readline, "")), daemon=True
        )
        self._drain.start()


def _start(*args: str, env: dict[str, str] | None = None) -> RunningApi:
    """``python -m leadops_local ARGS`` from the project root, once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "leadops_local", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    api = RunningApi(process, "")
    api.url = _wait_for_url(api)
    return api


def _wait_for_url(api: RunningApi) -> str:
    """The URL of the listening line, read with a bounded deadline."""
    process = api.process
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=STARTUP_TIMEOUT_S)
    except queue.Empty:
        line = ""
    if line.startswith(LISTENING):
        return line.split()[-1]
    process.kill()
    process.wait(timeout=10)
    api._drain.join(timeout=10)
    raise AssertionError(f"the local API did not start: {line}{''.join(api.stderr_lines)}")


@pytest.fixture(scope="module")
def api(make_httpserver: HTTPServer) -> Iterator[RunningApi]:
    """The local API, its Zendesk pointed at the tests' stand-in on 127.0.0.1."""
    running = _start(
        "--parameter-overrides",
        f"ZendeskBaseUrl={make_httpserver.url_for('')}",
        "start-api",
        "--port",
        "0",
        env={"LEADOPS_LOCAL_SECRET_WebhookSecret": WEBHOOK_SECRET},
    )
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(timeout=10)


def test_score_answers_the_sample_body_with_json(api: RunningApi) -> None:
    event = json.loads((ROOT / "events" / "score.json").read_text(encoding="utf-8"))
    status, headers, answer = api.post(
        "/score", event["body"].encode(), {"content-type": "application/json"}
    )
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert isinstance(answer, dict)


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
    """A support request's ticket message is picked up and sent to (the stand-in) Zendesk:
    looked up by its external_id first, then created."""
    httpserver.expect_request("/api/v2/tickets.json", method="GET").respond_with_json(
        {"tickets": [], "count": 0, "next_page": None}
    )
    httpserver.expect_request("/api/v2/tickets.json", method="POST").respond_with_json(
        {"ticket": {"id": 42}}, status=201
    )
    body = json.dumps({**SALES, "submission_id": "e2e-support", "message": "refund: billing error"})
    headers = {"x-leadops-signature": sign(body.encode(), WEBHOOK_SECRET, int(time.time()))}
    status, _, answer = api.post("/webhooks/demo-request", body.encode(), headers)
    assert (status, answer["outcome"]) == (200, "support_ticket")
    deadline = time.monotonic() + 30
    while len(httpserver.log) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    (lookup, _), (create, _), *_ = httpserver.log
    assert lookup.args["external_id"] == "e2e-support"
    assert create.headers["Idempotency-Key"] == "e2e-support"


def test_the_rules_can_be_changed_tried_and_rolled_back_over_http(api: RunningApi) -> None:
    """The operator's loop through `make run`: put a version, dry-run it, report, roll back."""
    packaged = api.post("/rulebook", b"", method="GET")[2]["rulebook"]
    candidate = {**packaged, "version": "2099-01-01.1"}
    candidate["demo_booking"] = {**packaged["demo_booking"], "instant_scheduler_min_lead_score": 70}
    json_body = {"content-type": "application/json"}
    today = time.strftime("%Y-%m-%d", time.gmtime())
    dry = json.dumps({"rulebook": candidate, "from": today, "to": today}).encode()
    status, _, run = api.post("/rulebook/dry-run", dry, json_body)
    assert (status, run["status"], run["candidate_version"]) == (200, "complete", "2099-01-01.1")
    status, _, put = api.post("/rulebook", json.dumps(candidate).encode(), json_body, "PUT")
    assert (status, put["version"]) == (200, "2099-01-01.1")
    assert api.post("/rulebook", b"", method="GET")[2]["version"] == "2099-01-01.1"
    status, _, report = api.post(f"/reports/conversion?from={today}&by=outcome", b"", method="GET")
    assert (status, report["target"]) == (200, 0.2)
    back = json.dumps({"version": packaged["version"]}).encode()
    status, _, rolled = api.post("/rulebook/rollback", back, json_body)
    assert (status, rolled["source"]) == (200, "packaged")


def test_any_function_can_be_invoked_with_an_event(api: RunningApi) -> None:
    event = (ROOT / "events" / "sweep_planner.json").read_bytes()
    status, _, answer = api.post("/_local/functions/SweepPlannerFunction/invoke", event)
    assert (status, answer["segments"]) == (200, 4)
    status, _, _ = api.post("/_local/functions/NoSuchFunction/invoke", b"{}")
    assert status == 404


def test_ctrl_c_stops_it_cleanly(api: RunningApi) -> None:
    code, stderr = api.stop(signal.SIGINT)
    assert code == 0
    assert "Traceback" not in stderr
    # The startup log: the resources it created and every route with its function.
    assert "created AWS::DynamoDB::Table LeadsTable -> leadops-local-LeadsTable" in stderr
    assert "POST   /score -> ScoreFunction" in stderr


def test_sigterm_stops_it_cleanly() -> None:
    """On the fixture template (few resources, a catch-all route): options after start-api."""
    fixture = ROOT / "tests" / "runner" / "fixtures" / "template.yaml"
    running = _start("start-api", "--port", "0", "--template", str(fixture))
    try:
        status, _, answer = running.post("/leads/l-1", b"", method="GET")
        assert (status, answer["path_parameters"]) == (200, {"lead_id": "l-1"})
        code, stderr = running.stop(signal.SIGTERM)
    finally:
        if running.process.poll() is None:
            running.process.kill()
    assert code == 0
    assert "Traceback" not in stderr
    assert "skipped AWS::CloudWatch::Dashboard Dashboard" in stderr


def test_a_long_dry_run_goes_on_in_the_worker_through_the_runners_queue(tmp_path: Any) -> None:
    """With no time for it in the API's answer, the dry run is queued, the runner's SQS poller
    hands it to DryRunWorkerFunction, and the job reports complete."""
    env_vars = tmp_path / "env.json"
    env_vars.write_text(json.dumps({"RulebookApiFunction": {"DRY_RUN_SYNC_BUDGET_MS": 0}}))
    running = _start("start-api", "--port", "0", "--env-vars", str(env_vars))
    try:
        packaged = running.post("/rulebook", b"", method="GET")[2]["rulebook"]
        today = time.strftime("%Y-%m-%d", time.gmtime())
        body = json.dumps({"rulebook": {**packaged, "version": "2099-01-01.1"}, "from": today})
        status, _, started = running.post("/rulebook/dry-run", body.encode())
        assert (status, started["status"]) == (202, "running")
        deadline, job = time.monotonic() + 60, started
        while job["status"] != "complete" and time.monotonic() < deadline:
            time.sleep(0.5)
            job = running.post(f"/rulebook/dry-run/{started['job_id']}", b"", method="GET")[2]
        assert job["status"] == "complete"
        assert job["leads"]["changed"]["any"] == 0
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(timeout=10)
