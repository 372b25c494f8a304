"""Small helpers shared by tests (fixtures live in conftest.py)."""

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import botocore.client

from leadops.adapters.leads_table import AccountProfile, AccountProfiles, Leads
from leadops.http.signature import sign
from leadops.lead_record import StoredLead
from leadops.rulebook import load_rulebook
from leadops.scoring import ScoreCard, ScoreItem
from leadops_local.apigw import Match, build_event, match_route
from leadops_local.runtime import LocalFunction
from leadops_local.template import Route, SamTemplate

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "test-webhook-secret"
TEMPLATE = ROOT / "template.yaml"

FunctionUnderTest = LocalFunction


def item_of(card: ScoreCard, metric: str) -> ScoreItem:
    """The one item of ``card`` for ``metric``."""
    (item,) = (item for item in card.items if item.metric == metric)
    return item


@cache
def _routes() -> list[Route]:
    """template.yaml's routes, parsed once per test session (the hostile-body tests build
    thousands of events)."""
    return SamTemplate.load(TEMPLATE).routes()


def http_event(
    method: str,
    path: str,
    body: str = "",
    *,
    is_base64: bool = False,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    """The payload v2.0 event API Gateway would send for this request to template.yaml's API
    (built by the local runner's own code, so tests and `make run` see the same events)."""
    match = match_route(_routes(), method, path) or Match(Route(method, path, "none", True), {})
    all_headers = {"content-type": "application/json", **(headers or {})}
    event = build_event(match, method, path, query, list(all_headers.items()), body.encode())
    if is_base64:
        event["body"], event["isBase64Encoded"] = body, True
    return event


# The README's /score example body (without its GitHub id).
SCORE_BODY: dict[str, Any] = {
    "email": "ada@acme-analytics.io",
    "job_title": "Senior Software Engineer",
    "company": {
        "employees_range": "51-250",
        "revenue_range": "$10M-$50M",
        "type": "Private",
        "founded_year": 2018,
        "country": "United Kingdom",
    },
}


# --- the demo-request webhook and the leads API -------------------------------------------
SALES: dict[str, Any] = {
    "submission_id": "sub-1",
    "email": "ada@acme-analytics.io",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "job_title": "CTO",
    "message": "We would like a demo for our data team.",
    "company": {
        "name": "Acme Analytics",
        "domain": "acme-analytics.io",
        "employees": 300,
        "annual_revenue": 25_000_000,
        "industry": "Software",
        "type": "Private",
        "founded_year": 2017,
        "country": "Germany",
    },
}


def signed(body: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {"x-leadops-signature": sign(body.encode(), secret, timestamp)}


def deliver(
    webhook: FunctionUnderTest, body: dict[str, Any] | str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    event = http_event(
        "POST", "/webhooks/demo-request", raw, headers=signed(raw) if headers is None else headers
    )
    response = webhook.invoke(event)
    return response["statusCode"], json.loads(response["body"])


def call(api: FunctionUnderTest, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One API request; ``path`` may carry a query string."""
    path, _, query = path.partition("?")
    raw = json.dumps(body) if body is not None else ""
    response = api.invoke(http_event(method, path, raw, query=query))
    return response["statusCode"], json.loads(response["body"])


def drain(aws: SamTemplate, worker: FunctionUnderTest, queue: str) -> int:
    """Deliver a queue's messages to its worker one at a time, as Lambda's poller would, until
    the queue is empty (continuations included); the number of messages handled."""
    import boto3

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=aws.physical_name(queue))["QueueUrl"]
    handled = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages"):
        (message,) = messages
        record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                  "body": message["Body"], "attributes": {}, "messageAttributes": {},
                  "eventSource": "aws:sqs", "awsRegion": "us-east-1", "md5OfBody": "",
                  "eventSourceARN": aws.get_att(queue, "Arn")}  # fmt: skip
        assert worker.invoke({"Records": [record]}) == {"batchItemFailures": []}
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += 1
    return handled


def add_rep(api: FunctionUnderTest, rep_id: str, **fields: Any) -> None:
    rep = {
        "name": f"Rep {rep_id}",
        "email": f"{rep_id}@seller.io",
        "role": "TAE",
        "team": "new_business",
        "territory": "EMEA",
        "weight": 1,
        "active": True,
        "booking_url": f"https://cal.example.com/{rep_id}",
        **fields,
    }
    status, answer = call(api, "PUT", f"/reps/{rep_id}", rep)
    assert status == 200, answer


def stored_leads(template: SamTemplate) -> list[StoredLead]:
    """Every lead in the leads table, read through its adapter."""
    return Leads(template.physical_name("LeadsTable")).scan()


def stored_profiles(template: SamTemplate) -> dict[str, AccountProfile]:
    """Every account profile in the leads table (account key -> profile), through its adapter."""
    return AccountProfiles(template.physical_name("LeadsTable")).scan()


AwsCall = Callable[[Any, str, dict[str, Any]], Any]  # (client, operation, params) -> answer


@contextmanager
def intercepting_aws(around: Callable[[AwsCall, Any, str, dict[str, Any]], Any]) -> Iterator[None]:
    """Every AWS API call made inside goes through ``around(call, client, operation, params)``
    (botocore's one entry point), so tests can count, serialise or fail calls."""
    original: AwsCall = botocore.client.BaseClient._make_api_call

    def intercepted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        return around(original, self, operation, params)

    botocore.client.BaseClient._make_api_call = intercepted  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def container_per_thread(function: FunctionUnderTest) -> Callable[[dict[str, Any]], Any]:
    """Invoke ``function`` with one warm container (its own import of the handler module) per
    thread: Lambda never runs two requests in one container at once, and Powertools' resolver
    keeps the current request on the app object. Apply ``function.env`` around the threads."""
    local = threading.local()

    def invoke(event: dict[str, Any]) -> Any:
        if not hasattr(local, "container"):
            local.container = LocalFunction(function.function)
            local.handler = local.container.handler()
        return local.handler(event, local.container.context())

    return invoke


@contextmanager
def serialised_moto() -> Iterator[None]:
    """moto's backends are not thread-safe: one AWS call at a time, so these tests check our
    use of DynamoDB (one atomic update per slot), not moto's internals."""
    lock = threading.Lock()

    def one_at_a_time(call: AwsCall, client: Any, operation: str, params: dict[str, Any]) -> Any:
        with lock:
            return call(client, operation, params)

    with intercepting_aws(one_at_a_time):
        yield


@contextmanager
def counting_aws() -> Iterator[Counter[str]]:
    """AWS calls made inside, by operation."""
    calls: Counter[str] = Counter()

    def count(call: AwsCall, client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls[operation] += 1
        return call(client, operation, params)

    with intercepting_aws(count):
        yield calls


def candidate(version: str = "2099-01-01.1", **changes: Any) -> dict[str, Any]:
    """A candidate rulebook to put or dry-run: the packaged rulebook's document with
    ``changes`` ("section.key" -> value) and a new version."""
    document = load_rulebook().model_dump(mode="json")
    document["version"] = version
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = document
        for part in parents:
            node = node[part]
        node[last] = value
    return document


# --- engagement (issue 15) -------------------------------------------------------------------
POSTHOG_WEBHOOK_SECRET = "test-posthog-secret"


# --- destinations (issue 14): the stack with optional parts on, vendor stand-ins --------------
@contextmanager
def stack_with(
    monkeypatch: Any, parameters: dict[str, str], secrets: dict[str, str]
) -> Iterator[SamTemplate]:
    """template.yaml with ``parameters`` on in-process moto; ``secrets`` by logical id."""
    from moto import mock_aws

    from leadops_local.provision import provision

    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", WEBHOOK_SECRET)
    for logical_id, value in secrets.items():
        monkeypatch.setenv(f"LEADOPS_LOCAL_SECRET_{logical_id}", value)
    template = SamTemplate.load(TEMPLATE, parameters)
    with mock_aws():
        provision(template, None)
        yield template


@contextmanager
def hanging_stand_in(
    path: str, answer: str = "{}", hold_s: float = 15
) -> Iterator[tuple[Any, threading.Event]]:
    """A threaded vendor stand-in on 127.0.0.1 whose ``path`` hangs until the block ends
    (``hold_s`` at most; ``answer`` after that), so no late reply leaks into another test; the
    server and the event that releases it."""
    from pytest_httpserver import HTTPServer
    from werkzeug import Request, Response

    release = threading.Event()
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()

    def hang(request: Request) -> Response:
        release.wait(hold_s)
        return Response(answer, status=200, content_type="application/json")

    server.expect_request(path).respond_with_handler(hang)
    try:
        yield server, release
    finally:
        release.set()
        server.stop()
